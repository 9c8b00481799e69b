// Runs inside a pack-check project (see run.mjs) to check what users see when more than one copy
// of @se/core is installed, one mode per process (a saved model must load in a process that has
// imported only the family):
//
//   node copies.mjs readme 'FAMILIES as JSON' 'MODELS as JSON'
//     The README snippet: `import '@se/<family>'` for each family, then `createModel` from the
//     top-level `@se/core`, for each model. Prints which copies of @se/core the process loaded.
//   node copies.mjs save DIR 'ROUND_TRIP as JSON'
//     For each family, builds the model its export makes (`{ family, export, options, args, size,
//     layers }`, models.mjs), runs it on a
//     fixed input and saves it (it must have the SE Zoo `layers` listed) in the tfjs format with `model.save('file://DIR/<family>')` (the
//     router @se/core registers in Node), with the output beside it.
//   node copies.mjs load DIR FAMILY
//     Imports tfjs and FAMILY only (not @se/core), loads DIR/<family>/model.json with
//     `tf.loadLayersModel` (SE Zoo's layers must be registered by the family's import) and checks
//     that it gives the saved output.
//
// Prints one line per check; exits 1 on failure, with the error on stderr.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';

const [mode, ...args] = process.argv.slice(2);
tf.enableProdMode();

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

const slug = (pkg) => pkg.replace('@', '').replace('/', '-');
const fixedInput = (size) => tf.randomNormal([1, size, size, 3], 0, 1, 'float32', 7);

/** The copies of @se/core a family would load: its own nested one if there is one, else the top-level one. */
function coreCopyOf(family) {
  const nested = join('node_modules', family, 'node_modules', '@se', 'core');
  return existsSync(join(nested, 'package.json')) ? nested : join('node_modules', '@se', 'core');
}

/**
 * The IO handler tfjs's routers give for a file:// URL. tfjs refuses a URL that more than one
 * router claims (each copy of @se/core that registers its own file:// router adds one): that is
 * recorded as a failure, and the first handler is used so that the other checks still run.
 */
const routing = [];
function handler(kind, url) {
  const handlers = kind === 'save' ? tf.io.getSaveHandlers(url) : tf.io.getLoadHandlers(url);
  assert(handlers.length > 0, `no ${kind} handler for file:// URLs (no @se/core router)`);
  if (handlers.length > 1) {
    routing.push(
      `tf.io finds ${handlers.length} ${kind} handlers for file:// URLs (a router per copy of ` +
        `@se/core), so model.${kind === 'save' ? 'save' : 'loadLayersModel'}('file://…') throws ` +
        `"Found more than one (${handlers.length}) ${kind} handlers"`,
    );
    console.log(`  ${routing.at(-1)}; the checks go on with the first handler`);
  }
  return handlers[0];
}

if (mode === 'readme') {
  const families = JSON.parse(args[0]);
  const models = JSON.parse(args[1]);
  for (const family of families) await import(family);
  const core = await import('@se/core');
  // The copies this process loaded: the top-level one and each family's (same module when the
  // family resolves '@se/core' to the same file).
  const copies = new Map([[resolve('node_modules/@se/core'), { module: core, users: ['you'] }]]);
  for (const family of families) {
    const dir = resolve(coreCopyOf(family));
    if (!copies.has(dir)) {
      const entry = pathToFileURL(join(dir, 'dist', 'index.js')).href;
      copies.set(dir, { module: await import(entry), users: [] });
    }
    copies.get(dir).users.push(family);
  }
  const described = [...copies].map(([dir, { users }]) => {
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return `${version} (${users.join(', ')})`;
  });
  console.log(
    `  ${copies.size} cop${copies.size === 1 ? 'y' : 'ies'} of @se/core loaded: ${described.join('; ')}`,
  );
  const registered = new Set(core.listModels().map((info) => info.name));
  for (const { model: name, size = 64 } of models) {
    assert(
      registered.has(name),
      `after import '${families.join("', '")}', the top-level @se/core's listModels() lacks ` +
        `'${name}' (it lists ${registered.size} models)`,
    );
    const info = core.getModelInfo(name);
    const side = Math.max(size, info.minInputSize);
    const model = core.createModel(name, { classes: 10, inputShape: [side, side, 3] });
    const y = tf.tidy(() => model.predict(fixedInput(side)).arraySync());
    assert(y[0].length === 10 && y[0].every(Number.isFinite), `${name}: output ${y[0]}`);
    console.log(`  createModel('${name}') from the top-level @se/core: [1, 10] at ${side}×${side}`);
    model.dispose();
  }
} else if (mode === 'save') {
  const dir = resolve(args[0]);
  // What `se-zoo convert` has loaded when it saves: @se/core and the families.
  await import('@se/core');
  for (const { family, export: name, options, args: rest = [], size, layers } of JSON.parse(
    args[1],
  )) {
    const exports = await import(family);
    assert(typeof exports[name] === 'function', `${family} does not export a function '${name}'`);
    const model = exports[name]({ classes: 10, inputShape: [size, size, 3], ...options }, ...rest);
    const y = tf.tidy(() => model.predict(fixedInput(size)).arraySync());
    const target = join(dir, slug(family));
    await model.save(handler('save', `file://${target}`));
    writeFileSync(join(target, 'expected.json'), JSON.stringify({ size, y }));
    const { modelTopology } = JSON.parse(readFileSync(join(target, 'model.json'), 'utf8'));
    const classes = new Set(
      JSON.stringify(modelTopology)
        .match(/"class_name":"[^"]+"/g)
        .map((match) => match.slice('"class_name":"'.length, -1)),
    );
    const found = layers.map((layer) => {
      const saved = [...classes].find((c) => c.replace(/^.*>/, '') === layer);
      assert(saved, `${family}.${name}: the saved model has no ${layer} layer (${[...classes]})`);
      return saved;
    });
    console.log(
      `  ${family}: ${name}() saved to file://…/${slug(family)} (${model.countParams()} weights; ` +
        `layers ${found.join(', ')} …)`,
    );
    model.dispose();
  }
} else if (mode === 'load') {
  const [dir, family] = args;
  await import(family);
  const target = join(resolve(dir), slug(family));
  const { size, y: expected } = JSON.parse(readFileSync(join(target, 'expected.json'), 'utf8'));
  const model = await tf.loadLayersModel(handler('load', `file://${join(target, 'model.json')}`));
  const y = tf.tidy(() => model.predict(fixedInput(size)).arraySync());
  const diff = Math.max(...y[0].map((v, i) => Math.abs(v - expected[0][i])));
  assert(diff < 1e-4, `${family}: the loaded model's output differs from the saved one by ${diff}`);
  console.log(
    `  ${family} imported alone (not @se/core): tf.loadLayersModel('file://…/${slug(family)}/model.json') ` +
      `gives the saved output (max |Δ| ${diff.toExponential(1)})`,
  );
  model.dispose();
} else {
  throw new Error(`copies.mjs: unknown mode '${mode}' (readme, save or load)`);
}
if (routing.length > 0) throw new Error(routing[0]);
process.exit(0);
