// The README snippets pack-check compiles and runs in a project that installed every tarball
// (run.mjs, "README snippets"): the root README's TypeScript blocks under "## Usage" and each
// published package README's first TypeScript block (its main snippet).
//
// A snippet is run as the user would paste it into an ES module. Three rules make snippets that are
// not complete programs runnable without changing the READMEs:
// - a snippet with no `import` lines continues the previous snippet of the same README: it gets
//   that snippet's imports;
// - PRELUDES declares the few free variables a snippet uses (the user's data);
// - COMPILE_ONLY names the snippets that need the network (they are type-checked, not run).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Declarations of a snippet's free variables, by README (relative to the repository root),
 * inserted just before the first line that uses one of `names`.
 */
export const PRELUDES = {
  // `images` and `labels` are the user's data: 8 random 32×32 images of 10 classes (made after
  // `setBackend`, as the user's data would be).
  'packages/backends/README.md': {
    names: ['images', 'labels'],
    lines: [
      'const images = tf.randomNormal([8, 32, 32, 3]);',
      "const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);",
    ],
  },
};

/** Snippets that are type-checked but not run: a text they contain, and why. */
export const COMPILE_ONLY = [
  {
    contains: "loadModel('seresnet50.a1_in1k')",
    why: "downloads timm's weights from the Hugging Face Hub and reads cat.jpg",
  },
];

/** The ```ts blocks of a Markdown text, with the heading of the section each is in. */
function tsBlocks(text) {
  const blocks = [];
  let heading = '';
  let block = null;
  let other = false;
  for (const line of text.split('\n')) {
    if (other) {
      if (line.startsWith('```')) other = false;
    } else if (block) {
      if (line.startsWith('```')) {
        blocks.push({ heading, code: block.join('\n') });
        block = null;
      } else {
        block.push(line);
      }
    } else if (/^```ts\s*$/.test(line)) {
      block = [];
    } else if (/^#{1,6} /.test(line)) {
      heading = line.replace(/^#+ /, '');
    } else if (line.startsWith('```')) {
      other = true; // another language's block: skipped to its end
    }
  }
  return blocks;
}

/** A snippet's import declarations (one or more lines each), in order. */
function importLines(code) {
  const lines = [];
  let open = false;
  for (const line of code.split('\n')) {
    if (/^import\s/.test(line)) open = true;
    if (open) lines.push(line);
    if (open && /(^import\s+['"]|\bfrom\s+['"]).*;/.test(line)) open = false;
  }
  return lines;
}

/**
 * The snippets: `{ id, readme, code, compileOnly? }`, `code` a complete ES module in TypeScript.
 * `packages` are the published packages' directories relative to the root.
 */
export function readmeSnippets(root, packages) {
  const snippets = [];
  const add = (readme, blocks) => {
    let previousImports = [];
    blocks.forEach(({ code }, i) => {
      let lines = code.split('\n');
      const imports = importLines(code);
      if (imports.length === 0) lines = [...previousImports, '', ...lines];
      else previousImports = imports;
      const prelude = PRELUDES[readme];
      if (prelude) {
        const uses = new RegExp(`\\b(${prelude.names.join('|')})\\b`);
        const first = lines.findIndex((line) => !/^import\s/.test(line) && uses.test(line));
        lines.splice(first < 0 ? lines.length : first, 0, ...prelude.lines);
      }
      const skip = COMPILE_ONLY.find(({ contains }) => code.includes(contains));
      const id = `${readme.replace(/\/README\.md$/, '').replace(/[^\w]+/g, '-')}-${i + 1}`;
      snippets.push({
        id: readme === 'README.md' ? `README-${i + 1}` : id,
        readme,
        code: `${lines.join('\n')}\n`,
        ...(skip ? { compileOnly: skip.why } : {}),
      });
    });
  };
  const rootBlocks = tsBlocks(readFileSync(join(root, 'README.md'), 'utf8')).filter(
    ({ heading }) => heading === 'Usage',
  );
  add('README.md', rootBlocks);
  for (const dir of packages) {
    const readme = `${dir}/README.md`;
    const first = tsBlocks(readFileSync(join(root, readme), 'utf8'))[0];
    if (first) add(readme, [first]);
  }
  return snippets;
}
