#!/usr/bin/env node
// Single-package install check: what `npm install @se/x` gives a user works on its own.
//
// 1. `pnpm pack`s every published package (packages/*, not private) into a temp directory outside
//    the workspace and checks each tarball: package.json, README.md, LICENSE (the root's
//    Apache-2.0 text), dist/index.js and dist/index.d.ts (and every file its `exports` name) are
//    there, every source map's `sources` (../src/*.ts: the packages ship src/) and every
//    `sourceMappingURL` resolve inside the tarball, and no `workspace:` range is left (the @se
//    ranges are the packages' real versions).
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
// 4. The READMEs (readmeProject): one project installs every tarball; the root README's Usage
//    snippets and each package README's first snippet (scripts/pack-check/snippets.mjs) are
//    compiled by tsc (strict, NodeNext, skipLibCheck, as the README says; without skipLibCheck
//    only tfjs's declarations may have errors) and run as ES modules (fast-init.mjs, imported first, makes tfjs's
//    random initializers constant: the snippets build VGG-16 and SENet-154). Then CommonJS
//    (require.cjs): `require()` of every package works (Node ≥ 20.19 / 22.12) and gives the
//    modules `import()` gives; with require(esm) off, Node's ERR_REQUIRE_ESM says to use import().
//
// Run after `pnpm build`. Usage:
//   node scripts/pack-check/run.mjs [--keep] [--npm-cache=DIR] [package names and/or `readme`,
//   default all]
// --keep keeps the temp directory; --npm-cache is the npm cache, reused across runs (default
// ~/.cache/se-zoo/npm).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
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
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODELS, TFJS, TWO_COPIES } from './models.mjs';
import { readmeSnippets } from './snippets.mjs';

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

/**
 * `npm install` of `specs` (tarballs, registry ranges) in the project `dir`, through the shared
 * npm cache; `flags` come first (default: only errors are printed).
 */
function npmInstall(dir, specs, flags = ['--loglevel=error']) {
  return spawnSync(
    'npm',
    [
      'install',
      ...flags,
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      `--cache=${npmCache}`,
      ...specs,
    ],
    { cwd: dir, encoding: 'utf8', timeout: 300_000 },
  );
}

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

const rootLicense = readFileSync(join(root, 'LICENSE'), 'utf8');

/**
 * Every source map in the tarball (`.js.map`, `.d.ts.map`) names only sources the tarball ships
 * (the packages ship src/ beside dist/ so that debuggers and "go to definition" reach the
 * TypeScript), and every `sourceMappingURL` comment names a map it ships. Returns the map count.
 */
function checkSourceMaps(name, unpacked, files) {
  let count = 0;
  for (const file of files) {
    if (file.endsWith('.js') || file.endsWith('.d.ts')) {
      const url = readFileSync(join(unpacked, file), 'utf8').match(
        /\/\/# sourceMappingURL=(\S+)\s*$/,
      )?.[1];
      if (url && !url.startsWith('data:')) {
        const map = posix.join(posix.dirname(file), url);
        if (!files.has(map)) fail(`${name}: ${file} points at ${url}, which the tarball lacks`);
      }
    }
    if (!file.endsWith('.map')) continue;
    count++;
    const map = JSON.parse(readFileSync(join(unpacked, file), 'utf8'));
    for (const source of map.sources ?? []) {
      const resolved = posix.normalize(
        posix.join(posix.dirname(file), map.sourceRoot ?? '', source),
      );
      if (resolved.startsWith('..') || !files.has(resolved)) {
        fail(`${name}: ${file} maps to ${source}, which the tarball lacks (${resolved})`);
      }
    }
  }
  return count;
}

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
  const required = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts'];
  for (const file of [...required, ...exported.map((p) => p.replace(/^\.\//, ''))]) {
    if (!files.has(file)) fail(`${name}: ${tarball} lacks ${file}`);
  }
  const unpacked = join(work, 'unpacked', tarball);
  mkdirSync(unpacked, { recursive: true });
  execFileSync('tar', ['-xzf', path, '-C', unpacked, '--strip-components=1']);
  if (files.has('LICENSE') && readFileSync(join(unpacked, 'LICENSE'), 'utf8') !== rootLicense) {
    fail(`${name}: ${tarball}'s LICENSE is not the repository's LICENSE (Apache-2.0)`);
  }
  const maps = checkSourceMaps(name, unpacked, files);
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
    `  ${tarball}: ${files.size} files (${declarations} .d.ts, ${maps} source maps whose ` +
      `sources it ships), LICENSE, dependencies ` +
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
  const npm = npmInstall(dir, [packed.get(family), TFJS], ['--dry-run']);
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
  const npm = npmInstall(project, [...install.map((dep) => packed.get(dep)), TFJS]);
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

/** The messages of tsc's output, by the package whose file they are in (or the snippet). */
function tscErrors(output) {
  const byPackage = new Map();
  for (const match of output.matchAll(/^(\S+?)\(\d+,\d+\): error (TS\d+)/gm)) {
    const pkg = match[1].match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? match[1];
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + 1);
  }
  return byPackage;
}

/**
 * 4. The READMEs, as users paste them, in one project that installed every tarball (and tfjs):
 *    the root README's Usage snippets and each package README's main snippet (snippets.mjs) are
 *    compiled with the workspace's tsc (strict, NodeNext, skipLibCheck, as the README's
 *    TypeScript section says) and run as ES modules; tsc without skipLibCheck shows why the
 *    README asks for it (errors only in tfjs's declarations; one in ours fails). Then CommonJS:
 *    `require()` of every package (require.cjs), and with require(esm) off (Node < 20.19 /
 *    22.12) the error that says to use import().
 */
async function readmeProject() {
  const started = Date.now();
  const project = join(work, 'readme');
  mkdirSync(join(project, 'snippets'), { recursive: true });
  const names = [...packed.keys()];
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'se-zoo-readme-check', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022', 'DOM'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: true,
      rootDir: 'snippets',
      outDir: 'out',
    },
    include: ['snippets'],
  };
  writeFileSync(join(project, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  copy(project, 'require.cjs');
  copy(project, 'fast-init.mjs');
  writeFileSync(
    join(project, 'run-snippet.mjs'),
    "await import('./fast-init.mjs');\nawait import(process.argv[2]);\nprocess.exit(0);\n",
  );
  console.log(`README snippets: npm install of all ${names.length} tarballs and ${TFJS}`);
  const npm = npmInstall(project, [...names.map((name) => packed.get(name)), TFJS]);
  if (npm.status !== 0) {
    fail(`README project: npm install failed:\n${npm.stdout}${npm.stderr}`);
    return;
  }
  const snippets = readmeSnippets(
    root,
    manifests
      .filter(({ manifest }) => packed.has(manifest.name))
      .map(({ dir }) => relative(root, dir)),
  );
  for (const { id, code } of snippets) writeFileSync(join(project, 'snippets', `${id}.ts`), code);
  // A CommonJS module in TypeScript (TypeScript ≥ 5.8 types require() of ES modules).
  writeFileSync(
    join(project, 'snippets', 'require-check.cts'),
    [
      "import core = require('@se/core');",
      "import resnet = require('@se/resnet');",
      '',
      "const model = core.createModel('seresnet20', { classes: 10, inputShape: [32, 32, 3] });",
      "console.log(`createModel('seresnet20'):`, core.countParams(model), 'parameters;', typeof resnet.seResNet50);",
      '',
    ].join('\n'),
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const compiled = spawnSync(process.execPath, [tsc, '-p', project], {
    cwd: project,
    encoding: 'utf8',
  });
  if (compiled.status !== 0) {
    fail(`README snippets: tsc (strict, NodeNext, skipLibCheck) failed:\n${compiled.stdout}`);
    return;
  }
  console.log(
    `  tsc (strict, NodeNext, skipLibCheck): ${snippets.length} snippets compile (` +
      `${[...new Set(snippets.map((s) => s.readme))].join(', ')})`,
  );
  // tsc without skipLibCheck, beside the snippet runs (it reports at the end).
  const strictLibs = new Promise((resolveRun) => {
    let stdout = '';
    const child = spawn(
      process.execPath,
      [tsc, '-p', project, '--noEmit', '--skipLibCheck', 'false'],
      {
        cwd: project,
      },
    );
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('close', () => resolveRun(stdout));
  });
  // Two snippets at a time (each is one mostly single-threaded process), reported in order.
  const runSnippet = ({ id }) =>
    new Promise((resolveRun) => {
      const snippetStarted = Date.now();
      // run-snippet.mjs: fast-init.mjs first, then the snippet, then process.exit (the threaded
      // wasm backend's workers keep Node's event loop alive). No node flags: workers inherit them.
      const child = spawn(process.execPath, ['run-snippet.mjs', `./out/${id}.js`], {
        cwd: project,
        timeout: 300_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
      });
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      child.on('close', (status) =>
        resolveRun({ status, stdout, stderr, seconds: (Date.now() - snippetStarted) / 1000 }),
      );
    });
  const runnable = snippets.filter(({ compileOnly }) => !compileOnly);
  const results = new Map();
  const queue = [...runnable];
  const worker = async () => {
    for (let snippet = queue.shift(); snippet; snippet = queue.shift()) {
      results.set(snippet.id, await runSnippet(snippet));
    }
  };
  const snippetsStarted = Date.now();
  await Promise.all([worker(), worker()]);
  for (const { id, readme, compileOnly } of snippets) {
    if (compileOnly) {
      console.log(`  ${id} (${readme}): compiled, not run: it ${compileOnly}`);
      continue;
    }
    const run = results.get(id);
    if (run.status !== 0) {
      const stderr = run.stderr.trim().split('\n');
      const error = stderr.find((line) => /^\w*Error\b/.test(line)) ?? stderr.slice(-5).join('\n');
      fail(`${id} (${readme}): the snippet failed: ${error}`);
    } else {
      const last = run.stdout.trim().split('\n').at(-1) ?? '';
      console.log(
        `  ${id} (${readme}): ran (${run.seconds.toFixed(1)} s)` +
          (last ? `; its last line: ${last.slice(0, 80)}` : ''),
      );
    }
  }
  console.log(
    `  ${runnable.length} snippets ran in ${((Date.now() - snippetsStarted) / 1000).toFixed(1)} s, two at a time`,
  );
  commonJs(project, names);
  const typescriptRequire = spawnSync(process.execPath, ['out/require-check.cjs'], {
    cwd: project,
    encoding: 'utf8',
  });
  if (typescriptRequire.status !== 0) {
    fail(`TypeScript CommonJS (import x = require()): ${typescriptRequire.stderr}`);
  } else {
    console.log(
      "  TypeScript CommonJS (.cts, NodeNext): `import core = require('@se/core')` type-checks and " +
        `runs: ${typescriptRequire.stdout.trim().split('\n').at(-1)}`,
    );
  }
  const output = await strictLibs;
  const errors = tscErrors(output);
  const ours = [...errors.keys()].filter((pkg) => versions.has(pkg) || pkg.startsWith('snippets/'));
  if (ours.length > 0) {
    fail(`README snippets: without skipLibCheck, errors in ${ours.join(', ')}:\n${output}`);
  } else if (errors.size === 0) {
    console.log('  without skipLibCheck: no errors (the README need not ask for skipLibCheck)');
  } else {
    console.log(
      `  without skipLibCheck: ${[...errors].map(([pkg, n]) => `${n} error(s) in ${pkg}`).join(', ')}` +
        ' (none in SE Zoo): the README asks for skipLibCheck',
    );
  }
  console.log(`  README project: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** require() of every package: works where Node has require(esm), else a clear ERR_REQUIRE_ESM. */
function commonJs(project, names) {
  const run = (flags) => {
    const result = spawnSync(process.execPath, [...flags, 'require.cjs', JSON.stringify(names)], {
      cwd: project,
      encoding: 'utf8',
      timeout: 300_000,
    });
    const refused = result.stdout.match(/^REQUIRE_FAILED (.*)$/m)?.[1];
    return { ...result, refused: refused && JSON.parse(refused) };
  };
  const checkRefusal = (refused, when) => {
    if (refused.code !== 'ERR_REQUIRE_ESM' || !refused.message.includes('import()')) {
      fail(
        `require() ${when}: expected ERR_REQUIRE_ESM saying to use import(), got ${refused.code}: ${refused.message}`,
      );
    } else {
      console.log(
        `  require() ${when}: ${refused.code}: ${refused.message.replace(/\s+/g, ' ').slice(0, 160)}…`,
      );
    }
  };
  const current = run([]);
  if (current.status !== 0) {
    fail(
      `require() on Node ${process.version}: ${current.stderr.trim().split('\n').slice(0, 5).join('\n')}`,
    );
  } else if (current.refused) {
    // A Node without require(esm) (< 20.19, 22.0–22.11).
    checkRefusal(current.refused, `on Node ${process.version} (no require(esm))`);
  } else {
    process.stdout.write(current.stdout);
    const warned = /ExperimentalWarning[^\n]*/.exec(current.stderr)?.[0];
    console.log(
      `  require() works on Node ${process.version}${warned ? ` (Node warns: ${warned.slice(0, 100)})` : ''}`,
    );
    const off = run(['--no-experimental-require-module']);
    if (off.refused)
      checkRefusal(off.refused, 'with require(esm) off (as Node < 20.19, 22.0–22.11)');
    else fail(`require() with --no-experimental-require-module: ${off.stdout}${off.stderr}`);
  }
}

if (wanted.length === 0 || wanted.includes('readme')) await readmeProject();

if (keep) console.log(`kept ${work}`);
else {
  // Tens of thousands of files in the npm projects: removed by a detached `rm`, so that the check
  // ends when its checks do (the removal takes minutes on a slow disk).
  const remover = spawn('rm', ['-rf', work], { detached: true, stdio: 'ignore' });
  remover.on('error', () => rmSync(work, { recursive: true, force: true }));
  remover.unref();
}
if (problems.length > 0) {
  console.log(`pack check: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(
  'pack check: every package packs and works installed on its own, and the families with copies of @se/core',
);
