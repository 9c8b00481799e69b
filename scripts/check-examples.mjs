#!/usr/bin/env node
// Checks that every TSDoc `@example` of the published packages compiles.
//
// Extracts each ```ts fence that follows an `@example` tag in packages/*/src/**/*.ts, writes it as
// its own ES module under .examples/ (gitignored), and type-checks them all with one strict
// NodeNext tsconfig in which `@se/*` resolves to the built packages' `dist/*.d.ts` (so run
// `pnpm build` first: an example is checked against what a user installs). tsc's errors are
// reported against the example's source file, line and documented symbol.
//
// Usage: node scripts/check-examples.mjs [--source] [package directory names, default: all]
// --source checks against the packages' TypeScript sources instead of dist/ (no build needed).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, '.examples');

/** Every .ts file under `dir`, sorted. */
function sourceFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files.sort();
}

/** The name of the declaration a doc comment documents, from the code that follows it. */
function documentedSymbol(after) {
  const line =
    after
      .split('\n')
      .find((l) => l.trim() !== '' && !l.trim().startsWith('@') && !l.trim().startsWith('//')) ??
    '';
  const declaration = line.match(
    /\b(?:function\*?|class|interface|type|const|let|var|enum|namespace)\s+([A-Za-z_$][\w$]*)/,
  );
  if (declaration) return declaration[1];
  // A class member: `static foo(`, `get foo()`, `async foo<T>(`, `foo: …`.
  const member = line.match(
    /^\s*(?:(?:public|static|readonly|override|async|get|set)\s+)*([A-Za-z_$][\w$]*)\s*[(<:?=]/,
  );
  return member ? member[1] : '(unknown symbol)';
}

/**
 * The examples of one source file: the fenced ts code after each `@example` tag, with the source
 * line of the code's first line and the documented symbol.
 */
function examplesOf(file) {
  const text = readFileSync(file, 'utf8');
  const examples = [];
  const comment = /\/\*\*([\s\S]*?)\*\//g;
  for (let match = comment.exec(text); match; match = comment.exec(text)) {
    const body = match[1];
    if (!body.includes('@example')) continue;
    const commentLine = text.slice(0, match.index).split('\n').length;
    const symbol = documentedSymbol(text.slice(match.index + match[0].length));
    // The comment's lines without their leading ` * `.
    const lines = body.split('\n').map((l) => l.replace(/^\s*\*? ?/, ''));
    let inExample = false;
    let fence = null;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (fence) {
        if (/^```\s*$/.test(line)) {
          examples.push({ ...fence, symbol });
          fence = null;
        } else {
          fence.code.push(line);
        }
        continue;
      }
      if (/^@\w+/.test(line)) inExample = line.startsWith('@example');
      const open = line.match(/^(?:@example\s*)?```(\w*)\s*$/);
      if (inExample && open && ['ts', 'typescript'].includes(open[1])) {
        // Line i of the comment body is source line commentLine + i; the code starts on the next.
        fence = { line: commentLine + i + 1, code: [] };
      }
    }
  }
  return examples;
}

const fromSource = process.argv.includes('--source');
const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const packageDirs = readdirSync(join(root, 'packages'))
  .filter((name) => existsSync(join(root, 'packages', name, 'package.json')))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

// Each generated file starts with this many lines before the example's code.
const HEADER_LINES = 1;
const generated = new Map();
let count = 0;
for (const name of packageDirs) {
  const src = join(root, 'packages', name, 'src');
  if (!existsSync(src)) continue;
  for (const file of sourceFiles(src)) {
    const source = relative(root, file);
    const perSymbol = new Map();
    for (const example of examplesOf(file)) {
      const n = (perSymbol.get(example.symbol) ?? 0) + 1;
      perSymbol.set(example.symbol, n);
      const stem = relative(src, file).replace(/\.ts$/, '').replace(/[/\\]/g, '.');
      // Numbered first: names may differ only in case (ChannelShuffle, channelShuffle).
      const index = String(count + 1).padStart(3, '0');
      const out = `${index}.${name}.${stem}.${example.symbol.replace(/\$/g, '_')}.${n}.ts`;
      // `export {}` keeps an example without imports a module: its names stay its own and it
      // may use top-level await.
      const header = `// ${source}:${example.line} (${example.symbol})`;
      writeFileSync(join(outDir, out), `${header}\n${example.code.join('\n')}\nexport {};\n`);
      generated.set(out, { source, line: example.line, symbol: example.symbol });
      count += 1;
    }
  }
}

const tsconfig = {
  extends: '../tsconfig.base.json',
  compilerOptions: {
    noEmit: true,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    types: ['node'],
    // What a user gets from `npm install @se/x`: the published type declarations.
    paths: {
      '@se/*': [fromSource ? '../packages/*/src/index.ts' : '../packages/*/dist/index.d.ts'],
    },
  },
  include: ['*.ts'],
};
writeFileSync(join(outDir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);

const missingDist = packageDirs.filter(
  (name) => !existsSync(join(root, 'packages', name, 'dist', 'index.d.ts')),
);
if (missingDist.length > 0 && !fromSource) {
  console.log(`note: not built (run \`pnpm build\`): ${missingDist.join(', ')}`);
}
console.log(`type-checking ${count} @example blocks of ${packageDirs.length} packages`);

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const run = spawnSync(
  process.execPath,
  [tsc, '-p', join(outDir, 'tsconfig.json'), '--pretty', 'false'],
  {
    cwd: root,
    encoding: 'utf8',
  },
);
const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;

// `.examples/x.ts(12,5): error TS2304: …` → `packages/p/src/f.ts:40:5 (symbol): error TS2304: …`
const failing = new Set();
const lines = output.split('\n').filter((l) => l.trim() !== '');
for (const line of lines) {
  const match = line.match(/^\.examples[/\\]([^()]+)\((\d+),(\d+)\): (.*)$/);
  const origin = match && generated.get(match[1]);
  if (!origin) {
    console.log(line);
    continue;
  }
  failing.add(match[1]);
  const sourceLine = origin.line + Number(match[2]) - 1 - HEADER_LINES;
  console.log(
    `${origin.source}:${sourceLine}:${match[3]} (@example of ${origin.symbol}): ${match[4]}`,
  );
}

if (run.status !== 0) {
  console.log(
    `${failing.size} of ${count} @example blocks do not compile` +
      (failing.size === 0 ? ' (tsc failed; see above)' : ''),
  );
  process.exit(1);
}
console.log(`all ${count} @example blocks compile`);
