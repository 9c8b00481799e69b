#!/usr/bin/env node
// Single-package install check: what `npm install @se/x` gives a user works on its own.
//
// 1. `pnpm pack`s every published package (packages/*, not private) into a temp directory outside
//    the workspace and checks each tarball: package.json, README.md, dist/index.js and
//    dist/index.d.ts (and every file its `exports` name) are there, and no `workspace:` range is
//    left (the @se ranges are the packages' real versions).
// 2. For each package, makes a fresh npm project (`"type": "module"`) and `npm install`s the
//    tarball, the tarballs of the @se packages it depends on, and tfjs from the registry: no
//    workspace links. scripts/pack-check/smoke.mjs then imports only that package and builds and
//    runs the models scripts/pack-check/models.mjs lists for it (@se/backends: setBackend('wasm')
//    and a convolution; @se/core: an SE block).
//
// Run after `pnpm build`. Usage:
//   node scripts/pack-check/run.mjs [--keep] [--npm-cache=DIR] [package names, default all]
// --keep keeps the temp directory; --npm-cache is the npm cache, reused across runs (default
// ~/.cache/se-zoo/npm).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODELS, TFJS } from './models.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const here = fileURLToPath(new URL('.', import.meta.url));
const flags = process.argv.slice(2).filter((arg) => arg.startsWith('--'));
const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const keep = flags.includes('--keep');
const npmCache =
  flags.find((flag) => flag.startsWith('--npm-cache='))?.slice('--npm-cache='.length) ??
  join(homedir(), '.cache', 'se-zoo', 'npm');
const work = mkdtempSync(join(tmpdir(), 'se-zoo-pack-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);

const problems = [];
const fail = (message) => {
  problems.push(message);
  console.log(`  FAIL ${message}`);
};

const manifests = readdirSync(join(root, 'packages'))
  .sort()
  .map((dir) => join(root, 'packages', dir))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => !manifest.private);
const versions = new Map(manifests.map(({ manifest }) => [manifest.name, manifest.version]));

// 1. Pack and inspect.
console.log(`packing ${manifests.length} packages into ${tarballs}`);
const packed = new Map();
for (const { dir, manifest } of manifests) {
  const name = manifest.name;
  const before = new Set(readdirSync(tarballs));
  const result = spawnSync('pnpm', ['pack', '--pack-destination', tarballs], {
    cwd: dir,
    encoding: 'utf8',
  });
  const tarball = readdirSync(tarballs).find((file) => !before.has(file));
  if (result.status !== 0 || !tarball) {
    fail(`${name}: pnpm pack failed: ${result.stderr}${result.stdout}`);
    continue;
  }
  const path = join(tarballs, tarball);
  packed.set(name, path);
  const files = new Set(
    execFileSync('tar', ['-tzf', path], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((file) => file.replace(/^package\//, '')),
  );
  const packedManifest = JSON.parse(
    execFileSync('tar', ['-xzOf', path, 'package/package.json'], { encoding: 'utf8' }),
  );
  const exported = Object.values(packedManifest.exports ?? {}).flatMap((entry) =>
    typeof entry === 'string' ? [entry] : Object.values(entry),
  );
  const required = ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts'];
  for (const file of [...required, ...exported.map((p) => p.replace(/^\.\//, ''))]) {
    if (!files.has(file)) fail(`${name}: ${tarball} lacks ${file}`);
  }
  const declarations = [...files].filter((file) => file.endsWith('.d.ts')).length;
  const scripts = [...files].filter((file) => file.endsWith('.js')).length;
  if (declarations < scripts) {
    fail(`${name}: ${tarball} has ${scripts} .js files but only ${declarations} .d.ts`);
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(packedManifest[field] ?? {})) {
      if (String(range).startsWith('workspace:')) fail(`${name}: ${field}.${dep} is ${range}`);
      if (versions.has(dep) && range !== `^${versions.get(dep)}`) {
        fail(`${name}: ${field}.${dep} is ${range}, expected ^${versions.get(dep)}`);
      }
    }
  }
  console.log(
    `  ${tarball}: ${files.size} files (${declarations} .d.ts), dependencies ` +
      JSON.stringify(packedManifest.dependencies ?? {}),
  );
  manifest.packed = packedManifest;
}

/** The package and the @se packages it depends on, transitively, in install order. */
function withSeDependencies(name, seen = new Set()) {
  if (seen.has(name)) return [];
  seen.add(name);
  const manifest = manifests.find((m) => m.manifest.name === name)?.manifest.packed;
  const deps = Object.keys(manifest?.dependencies ?? {}).filter((dep) => versions.has(dep));
  return [...deps.flatMap((dep) => withSeDependencies(dep, seen)), name];
}

// 2. Install each package alone in a fresh project and run it.
for (const { manifest } of manifests) {
  const name = manifest.name;
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  if (!packed.has(name)) continue;
  const started = Date.now();
  const project = join(work, name.replace('@', '').replace('/', '-'));
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'se-zoo-pack-check', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  copyFileSync(join(here, 'smoke.mjs'), join(project, 'smoke.mjs'));
  const install = withSeDependencies(name).map((dep) => packed.get(dep));
  console.log(
    `${name}: npm install ${install.map((p) => p.slice(tarballs.length + 1)).join(' ')} ${TFJS}`,
  );
  const npm = spawnSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      `--cache=${npmCache}`,
      ...install,
      TFJS,
    ],
    { cwd: project, encoding: 'utf8', timeout: 300_000 },
  );
  if (npm.status !== 0) {
    fail(`${name}: npm install failed:\n${npm.stdout}${npm.stderr}`);
    continue;
  }
  const links = readdirSync(join(project, 'node_modules', '@se'));
  const smoke = spawnSync(
    process.execPath,
    ['smoke.mjs', name, JSON.stringify(MODELS[name] ?? [])],
    { cwd: project, encoding: 'utf8', timeout: 300_000 },
  );
  process.stdout.write(smoke.stdout);
  if (smoke.status !== 0) {
    fail(`${name}: smoke test failed (installed @se/${links.join(', @se/')}):\n${smoke.stderr}`);
    continue;
  }
  console.log(`  ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

if (keep) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
if (problems.length > 0) {
  console.log(`pack check: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log('pack check: every package packs and works installed on its own');
