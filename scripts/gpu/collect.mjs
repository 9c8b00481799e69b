// `pnpm bench:gpu --collect DIR...`: files a GPU run's results (each DIR is the files_at of one
// device reply: a kernels run and a models run may come back separately) as
// benchmarks/gpu/<date>[-part].json, and their tables between the markers of
// benchmarks/gpu/README.md.
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dirs = process.argv.slice(2);
if (dirs.length === 0) throw new Error('usage: pnpm bench:gpu --collect DIR...');
const target = new URL('../../benchmarks/gpu/', import.meta.url);
const filed = [];
const tables = [];
for (const dir of dirs) {
  for (const f of readdirSync(dir).sort()) {
    if (/^\d{4}-\d\d-\d\d[a-z-]*\.json$/.test(f)) {
      copyFileSync(join(dir, f), new URL(f, target));
      filed.push(f);
    } else if (/^table[a-z-]*\.md$/.test(f)) {
      tables.push(readFileSync(join(dir, f), 'utf8').trim());
    }
  }
}
if (filed.length === 0) throw new Error(`no <date>.json in ${dirs.join(', ')}`);
const readme = new URL('README.md', target);
const text = readFileSync(readme, 'utf8');
const begin = '<!-- results:begin -->';
const end = '<!-- results:end -->';
const i = text.indexOf(begin);
const j = text.indexOf(end);
if (i < 0 || j < i) throw new Error('benchmarks/gpu/README.md lacks the results markers');
const body = `Measured ${filed[0].slice(0, 10)} (\`${filed.join('`, `')}\`).\n\n${tables.join('\n\n')}`;
writeFileSync(readme, `${text.slice(0, i + begin.length)}\n${body}\n${text.slice(j)}`);
console.log(`filed ${filed.join(', ')} and the README table`);
