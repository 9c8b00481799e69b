#!/usr/bin/env node
// Checks the release configuration without touching the working tree: copies the manifests and
// .changeset/ to a temp directory, runs `changeset version` there, and asserts that
// - every published package (packages/*, not private) is released by a pending changeset, gets
//   the version its bumps imply (0.0.0 + minor = 0.1.0) and a CHANGELOG.md naming that version and
//   the changeset's summary; a changeset releasing several packages has a "- `@se/<name>`: …"
//   line for each;
// - private packages (@se/bench) keep their version and get no changelog;
// - the @se dependency ranges of the dependants are updated: still `workspace:` ranges (pnpm
//   replaces them on publish) or explicit ranges that the new versions satisfy, and `pnpm pack` of
//   the versioned copy writes `^<new version>` for them;
// - the working tree's own manifests are unchanged.
//
// Usage: node scripts/changeset-check.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const problems = [];
const fail = (message) => {
  problems.push(message);
  console.log(`  FAIL ${message}`);
};
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

/** Workspace package directories, relative to the root. */
// The workspace's packages (pnpm-workspace.yaml: packages/*, apps/*, tools/testing).
const packageDirs = [
  ...['packages', 'apps'].flatMap((group) =>
    existsSync(join(root, group))
      ? readdirSync(join(root, group))
          .sort()
          .map((name) => `${group}/${name}`)
      : [],
  ),
  'tools/testing',
].filter((dir) => existsSync(join(root, dir, 'package.json')));
const before = new Map(
  packageDirs.map((dir) => [dir, readFileSync(join(root, dir, 'package.json'), 'utf8')]),
);

/** The pending changesets: their bumps by package, and their summaries. */
function pendingChangesets() {
  const bumps = new Map();
  const summaries = [];
  const dir = join(root, '.changeset');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
    const text = readFileSync(join(dir, file), 'utf8');
    const match = text.match(/^---\n([\s\S]*?)\n---\n([\s\S]*)$/);
    if (!match) {
      fail(`.changeset/${file} has no front matter`);
      continue;
    }
    const released = new Set();
    for (const line of match[1].split('\n')) {
      const bump = line.match(/^\s*['"]?([^'":]+)['"]?\s*:\s*(major|minor|patch)\s*$/);
      if (!bump) continue;
      released.add(bump[1]);
      const order = ['patch', 'minor', 'major'];
      const current = bumps.get(bump[1]);
      if (!current || order.indexOf(bump[2]) > order.indexOf(current)) bumps.set(bump[1], bump[2]);
    }
    // A changeset that releases several packages says what changes in each: a line
    // "- `@se/<name>`: …" (or "- `@se/a`, `@se/b`: …") per package; its CHANGELOG gets the whole
    // text.
    if (released.size > 1) {
      const named = match[2]
        .split('\n')
        .map((line) => line.match(/^- (`[^:]+`):/)?.[1] ?? '')
        .join(' ');
      for (const name of released) {
        if (!named.includes(`\`${name}\``))
          fail(`.changeset/${file} releases ${name} but has no "- \`${name}\`: …" line`);
      }
    }
    summaries.push({ packages: released, text: match[2].trim().split('\n')[0] });
  }
  return { bumps, summaries };
}

/** semver bump of a plain x.y.z version. */
function bumpVersion(version, bump) {
  const [major, minor, patch] = version.split('.').map(Number);
  if (bump === 'major') return `${major + 1}.0.0`;
  if (bump === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

/** Whether `version` satisfies a caret, tilde or exact range (what changesets writes). */
function satisfies(version, range) {
  const match = range.match(/^([\^~]?)(\d+)\.(\d+)\.(\d+)$/);
  if (!match) return false;
  const [, op, ...base] = match;
  const v = version.split('.').map(Number);
  const b = base.map(Number);
  const cmp = (x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  if (op === '') return cmp(v, b) === 0;
  if (cmp(v, b) < 0) return false;
  if (op === '~') return v[0] === b[0] && v[1] === b[1];
  if (b[0] > 0) return v[0] === b[0];
  if (b[1] > 0) return v[0] === 0 && v[1] === b[1];
  return v[0] === 0 && v[1] === 0 && v[2] === b[2];
}

const { bumps, summaries } = pendingChangesets();
const work = mkdtempSync(join(tmpdir(), 'se-zoo-changeset-'));
try {
  // The copy: the manifests, the workspace file and .changeset/; the CLI and its changelog
  // generator come from the real node_modules.
  for (const file of [
    'package.json',
    'pnpm-workspace.yaml',
    ...packageDirs.map((d) => `${d}/package.json`),
  ]) {
    mkdirSync(dirname(join(work, file)), { recursive: true });
    cpSync(join(root, file), join(work, file));
  }
  for (const dir of packageDirs) {
    for (const file of ['README.md', 'CHANGELOG.md']) {
      if (existsSync(join(root, dir, file))) cpSync(join(root, dir, file), join(work, dir, file));
    }
  }
  cpSync(join(root, '.changeset'), join(work, '.changeset'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));

  const cli = join(root, 'node_modules', '@changesets', 'cli', 'bin.js');
  const version = spawnSync(process.execPath, [cli, 'version'], { cwd: work, encoding: 'utf8' });
  if (version.status !== 0) {
    fail(`changeset version failed:\n${version.stdout}${version.stderr}`);
  } else {
    console.log(`changeset version in ${work}: ok`);
  }

  const released = new Map();
  for (const dir of packageDirs) {
    const old = JSON.parse(before.get(dir));
    const now = readJson(join(work, dir, 'package.json'));
    const changelog = join(work, dir, 'CHANGELOG.md');
    if (old.private) {
      if (now.version !== old.version)
        fail(`${old.name} is private but went ${old.version} → ${now.version}`);
      if (existsSync(changelog) && !existsSync(join(root, dir, 'CHANGELOG.md'))) {
        fail(`${old.name} is private but got a CHANGELOG.md`);
      }
      console.log(`  ${old.name}: private, stays ${now.version}`);
      continue;
    }
    const bump = bumps.get(old.name);
    if (!bump) {
      fail(`${old.name} is published but no pending changeset releases it`);
      continue;
    }
    const expected = bumpVersion(old.version, bump);
    if (now.version !== expected)
      fail(`${old.name}: ${old.version} + ${bump} gave ${now.version}, expected ${expected}`);
    released.set(old.name, now.version);
    const log = existsSync(changelog) ? readFileSync(changelog, 'utf8') : '';
    if (!log.includes(`## ${expected}`))
      fail(`${old.name}: CHANGELOG.md lacks a "## ${expected}" section`);
    // A package's changelog carries the summaries of the changesets that release it.
    for (const summary of summaries) {
      if (!summary.packages.has(old.name)) continue;
      if (!log.includes(summary.text))
        fail(`${old.name}: CHANGELOG.md lacks the summary "${summary.text}"`);
    }
    console.log(`  ${old.name}: ${old.version} → ${now.version} (${bump}), CHANGELOG.md ok`);
  }

  // The dependants' ranges, as written and as published.
  for (const dir of packageDirs) {
    const now = readJson(join(work, dir, 'package.json'));
    if (now.private) continue;
    const ranges = Object.entries(now.dependencies ?? {}).filter(([dep]) => released.has(dep));
    if (ranges.length === 0) continue;
    for (const [dep, range] of ranges) {
      if (!range.startsWith('workspace:') && !satisfies(released.get(dep), range)) {
        fail(
          `${now.name}: dependencies.${dep} is ${range}, which ${released.get(dep)} does not satisfy`,
        );
      }
    }
    // pnpm reads a workspace dependency's version from its node_modules link, as installed:
    // link every workspace package the manifest names (dev dependencies too).
    const workspaceDeps = Object.entries({ ...now.devDependencies, ...now.dependencies })
      .filter(([, range]) => String(range).startsWith('workspace:'))
      .map(([dep]) => dep);
    for (const dep of workspaceDeps) {
      const target = packageDirs.find((d) => readJson(join(work, d, 'package.json')).name === dep);
      if (!target) {
        fail(
          `${now.name}: ${dep} is a workspace dependency but no workspace package has that name`,
        );
        continue;
      }
      mkdirSync(dirname(join(work, dir, 'node_modules', dep)), { recursive: true });
      symlinkSync(join(work, target), join(work, dir, 'node_modules', dep));
    }
    const pack = spawnSync('pnpm', ['pack', '--pack-destination', work], {
      cwd: join(work, dir),
      encoding: 'utf8',
    });
    const tarball = join(work, `${now.name.replace('@', '').replace('/', '-')}-${now.version}.tgz`);
    if (pack.status !== 0 || !existsSync(tarball)) {
      fail(`${now.name}: pnpm pack of the versioned copy failed: ${pack.stderr}${pack.stdout}`);
      continue;
    }
    const packed = JSON.parse(
      execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }),
    );
    const shown = [];
    for (const [dep] of ranges) {
      const range = packed.dependencies?.[dep];
      if (range !== `^${released.get(dep)}`)
        fail(`${now.name}: publishes ${dep}@${range}, expected ^${released.get(dep)}`);
      shown.push(`${dep}@${range}`);
    }
    console.log(`  ${now.name}@${now.version} publishes ${shown.join(', ')}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

for (const [dir, text] of before) {
  if (readFileSync(join(root, dir, 'package.json'), 'utf8') !== text)
    fail(`${dir}/package.json changed in the working tree`);
}
if (problems.length > 0) {
  console.log(`changeset check: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(
  'changeset check: every published package is released with a changelog and updated ranges',
);
