#!/usr/bin/env node
// Single-package install check: what `npm install @se/x` gives a user works on its own.
//
// 1. `pnpm pack`s every published package (packages/*, not private) into a temp directory outside
//    the workspace and checks each tarball: package.json, README.md, dist/index.js and
//    dist/index.d.ts (and every file its `exports` name) are there, and no `workspace:` range is
//    left (the @se ranges are the packages' real versions).
// 2. For each package, makes a fresh npm project (`"type": "module"`) and `npm install`s the
//    tarball, the tarballs of the @se packages it depends on, and tfjs from the registry: no
//    workspace links. Its @se peers (@se/core for the families) are not named: npm 7+ installs
//    missing peers itself, here from their tarballs through an `overrides` entry (standing in for
//    the registry); the check asserts that npm installed each once, at the top level, as a peer.
//    scripts/pack-check/smoke.mjs then imports only that package and builds and runs the models
//    scripts/pack-check/models.mjs lists for it (@se/backends: setBackend('wasm') and a
//    convolution; @se/core: an SE block). For the TWO_COPIES families (models.mjs),
//    scripts/pack-check/copies.mjs saves a model with SE Zoo's layers with `model.save('file://…')`
//    and loads it with `tf.loadLayersModel` in a process that imports only the family.
// 3. Two copies of @se/core, in the first TWO_COPIES family's project: the other TWO_COPIES
//    families are unpacked beside it and each family gets its own nested copy of @se/core (another
//    version), as npm lays out a dependency whose version differs from the user's. copies.mjs then
//    runs the README snippet (`import '@se/<family>'`, then `createModel` from the top-level
//    @se/core), saves the families' models with @se/core and the families loaded (as
//    `se-zoo convert` does) and loads each after importing only its family. One or two families
//    are enough: every family reaches @se/core the same way (a static import that registers its
//    models and layers), and two show that registrations from different copies meet. Last, npm
//    must refuse (ERESOLVE) to install the family beside an @se/core of another version.
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
import { MODELS, TFJS, TWO_COPIES } from './models.mjs';

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
      if (!versions.has(dep)) continue;
      // A peer on @se/core spans its major (0.x): the zoo is released together, and a ^0.y peer
      // would make changesets release every family as a new major whenever core's minor moves.
      const version = versions.get(dep);
      const expected = field === 'peerDependencies' ? `${version.split('.')[0]}.x` : `^${version}`;
      if (range !== expected) fail(`${name}: ${field}.${dep} is ${range}, expected ${expected}`);
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

/** The @se peers of these packages and of those peers, transitively. */
function sePeers(names, seen = new Set()) {
  for (const name of names) {
    const manifest = manifests.find((m) => m.manifest.name === name)?.manifest.packed;
    for (const dep of Object.keys(manifest?.peerDependencies ?? {})) {
      if (versions.has(dep) && !seen.has(dep)) {
        seen.add(dep);
        sePeers([dep], seen);
      }
    }
  }
  return [...seen].filter((dep) => !names.includes(dep));
}

const copy = (project, script) => copyFileSync(join(here, script), join(project, script));
/** Runs `node <script> ...args` in the project, echoing its output; the error text on failure. */
function node(project, script, args) {
  const run = spawnSync(process.execPath, [script, ...args], {
    cwd: project,
    encoding: 'utf8',
    timeout: 300_000,
  });
  process.stdout.write(run.stdout);
  if (run.status === 0) return null;
  const stderr = run.stderr.trim().split('\n');
  // The thrown error's message (Node prints the source line and a caret above it).
  return stderr.find((line) => /^\w*Error\b/.test(line)) ?? stderr.slice(-5).join('\n');
}
const roundTrips = (families) =>
  JSON.stringify(families.map((family) => ({ family, ...TWO_COPIES[family].roundTrip })));

/** Saves each family's round-trip model and loads it in a process that imports only the family. */
function roundTrip(project, families, scenario) {
  const saved = join(project, `saved-${scenario.replace(' ', '-')}`);
  const failed = node(project, 'copies.mjs', ['save', saved, roundTrips(families)]);
  if (failed) fail(`${families.join(', ')} (${scenario}): model.save: ${failed}`);
  for (const family of families) {
    if (!existsSync(join(saved, family.replace('@', '').replace('/', '-'), 'model.json'))) continue;
    const loadFailed = node(project, 'copies.mjs', ['load', saved, family]);
    if (loadFailed) fail(`${family} (${scenario}): tf.loadLayersModel: ${loadFailed}`);
  }
}

/**
 * The two-copies scenario, in the project where the first TWO_COPIES family was installed alone:
 * the other TWO_COPIES families are unpacked beside it, and each family gets its own copy of
 * @se/core in its node_modules (the core tarball unpacked again, with another version), the layout
 * npm makes when a package's @se/core dependency and the user's differ. Their dependencies and
 * tfjs resolve to the top-level ones, as npm would dedupe them.
 */
function twoCopies(project) {
  const started = Date.now();
  const families = Object.keys(TWO_COPIES).filter((family) => packed.has(family));
  const unpack = (tarball, dir) => {
    mkdirSync(dir, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1']);
  };
  const coreVersion = versions.get('@se/core');
  families.forEach((family, i) => {
    const dir = join(project, 'node_modules', family);
    if (!existsSync(dir)) {
      const packedManifest = manifests.find((m) => m.manifest.name === family).manifest.packed;
      for (const dep of Object.keys(packedManifest.dependencies ?? {})) {
        if (!existsSync(join(project, 'node_modules', dep))) {
          fail(`two copies: ${family} depends on ${dep}, which the project lacks`);
        }
      }
      unpack(packed.get(family), dir);
    }
    const nested = join(dir, 'node_modules', '@se', 'core');
    unpack(packed.get('@se/core'), nested);
    const manifest = JSON.parse(readFileSync(join(nested, 'package.json'), 'utf8'));
    manifest.version = `${coreVersion}-copy.${i + 1}`;
    writeFileSync(join(nested, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  });
  console.log(
    `two copies: ${families.join(' and ')} with a copy of @se/core each ` +
      `(${families.map((_, i) => `${coreVersion}-copy.${i + 1}`).join(', ')}) beside the ` +
      `top-level ${coreVersion}`,
  );
  const readme = JSON.stringify(families.map((family) => TWO_COPIES[family].readme));
  const failed = node(project, 'copies.mjs', ['readme', JSON.stringify(families), readme]);
  if (failed) fail(`two copies: the README snippet failed: ${failed}`);
  roundTrip(project, families, 'two copies');
  console.log(`  two copies: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * With @se/core a peer, npm refuses (ERESOLVE) a family beside an @se/core its range does not
 * take, where a dependency got a second, nested copy: a project that depends on the family's copy
 * made by twoCopies (another version) installs the family (--dry-run: the refusal comes first).
 */
function mismatch(project, family) {
  const started = Date.now();
  const core = join(project, 'node_modules', family, 'node_modules', '@se', 'core');
  const dir = join(work, 'mismatch');
  mkdirSync(dir);
  const manifest = { name: 'se-zoo-pack-check', version: '1.0.0', private: true };
  manifest.dependencies = { '@se/core': `file:${core}` };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const { version } = JSON.parse(readFileSync(join(core, 'package.json'), 'utf8'));
  const npm = spawnSync(
    'npm',
    [
      'install',
      '--dry-run',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      `--cache=${npmCache}`,
    ].concat([packed.get(family), TFJS]),
    { cwd: dir, encoding: 'utf8', timeout: 300_000 },
  );
  const output = `${npm.stdout}${npm.stderr}`;
  const peer = output.match(/Could not resolve dependency:\s*npm error (peer [^\n]+)/)?.[1];
  if (npm.status !== 0 && output.includes('ERESOLVE')) {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `  @se/core ${version} installed: npm refuses ${family} (ERESOLVE, ${peer}) (${seconds} s)`,
    );
  } else {
    fail(`${family} beside @se/core ${version}: npm did not refuse it (ERESOLVE):\n${output}`);
  }
}

// 2. Install each package alone in a fresh project and run it. Its @se dependencies are installed
//    from their tarballs; its @se peers are left to npm to install (npm 7+ installs missing peers),
//    with an override pointing them at their tarballs, as if npm got them from the registry.
for (const { manifest } of manifests) {
  const name = manifest.name;
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  if (!packed.has(name)) continue;
  const started = Date.now();
  const project = join(work, name.replace('@', '').replace('/', '-'));
  mkdirSync(project);
  const install = withSeDependencies(name);
  const peers = sePeers(install).filter((dep) => !install.includes(dep));
  const overrides = Object.fromEntries(peers.map((dep) => [dep, `file:${packed.get(dep)}`]));
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'se-zoo-pack-check', version: '1.0.0', private: true, type: 'module', overrides }, null, 2)}\n`,
  );
  copy(project, 'smoke.mjs');
  copy(project, 'copies.mjs');
  const tarballNames = install.map((dep) => packed.get(dep).slice(tarballs.length + 1));
  console.log(
    `${name}: npm install ${tarballNames.join(' ')} ${TFJS}` +
      (peers.length > 0 ? ` (peers ${peers.join(', ')} left to npm)` : ''),
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
      ...install.map((dep) => packed.get(dep)),
      TFJS,
    ],
    { cwd: project, encoding: 'utf8', timeout: 300_000 },
  );
  if (npm.status !== 0) {
    fail(`${name}: npm install failed:\n${npm.stdout}${npm.stderr}`);
    continue;
  }
  // npm installed each @se peer itself, once, at the top level, as a peer (not a dependency of
  // the project, nor nested under the package).
  const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')).packages;
  for (const dep of peers) {
    const copies = Object.keys(lock).filter((path) => path.endsWith(`node_modules/${dep}`));
    if (!lock[`node_modules/${dep}`]?.peer || copies.length !== 1) {
      fail(`${name}: npm did not install its peer ${dep} once, as a peer (${copies.join(', ')})`);
    } else {
      console.log(`  npm installed the peer ${dep} (${lock[`node_modules/${dep}`].version})`);
    }
  }
  const links = readdirSync(join(project, 'node_modules', '@se'));
  const smokeFailed = node(project, 'smoke.mjs', [name, JSON.stringify(MODELS[name] ?? [])]);
  if (smokeFailed) {
    fail(`${name}: smoke test failed (installed @se/${links.join(', @se/')}): ${smokeFailed}`);
    continue;
  }
  if (TWO_COPIES[name]) {
    const roundTripStarted = Date.now();
    roundTrip(project, [name], 'alone');
    console.log(`  round trip: ${((Date.now() - roundTripStarted) / 1000).toFixed(1)} s`);
  }
  if (name === Object.keys(TWO_COPIES)[0]) {
    twoCopies(project);
    mismatch(project, name);
  }
  console.log(`  done (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

if (keep) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
if (problems.length > 0) {
  console.log(`pack check: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(
  'pack check: every package packs and works installed on its own, and the families with copies of @se/core',
);
