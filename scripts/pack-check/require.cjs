// Runs inside pack-check's README project (run.mjs), which installed every tarball: what a
// CommonJS program gets from `require('@se/…')`. The packages are ES modules; their `exports`
// give `require` the same ESM file, which Node ≥ 20.19 / ≥ 22.12 loads synchronously (require of
// ESM without top-level await). Older Node (or --no-experimental-require-module) throws
// ERR_REQUIRE_ESM, whose message says to use import().
//
//   node require.cjs 'PACKAGES as JSON'
//
// With require(esm): requires every package, builds and runs an SE model through the required
// @se/core, and checks that the program has one copy of everything: `import()` gives the same
// module (no dual-package hazard), SE Zoo's layers are registered in the tfjs the program
// `require`s, and `instanceof` holds across require and import. Without it: prints the error's
// code and message (run.mjs checks them). Prints one line per check; exits 1 on failure.
const packages = JSON.parse(process.argv[2]);

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

let modules;
try {
  modules = packages.map((name) => [name, require(name)]);
} catch (error) {
  console.log(`REQUIRE_FAILED ${JSON.stringify({ code: error.code, message: error.message })}`);
  process.exit(0);
}
const exported = Object.fromEntries(modules);

async function main() {
  console.log(
    `  require() of ${packages.length} packages: ${modules
      .map(([name, m]) => `${name} (${Object.keys(m).length} exports)`)
      .join(', ')}`,
  );
  const tf = require('@tensorflow/tfjs');
  // @se/backends registers the wasm backend at the highest priority: pick one, as its README does.
  await exported['@se/backends']?.setBackend('cpu', { quiet: true });
  const core = exported['@se/core'];
  const names = new Set(core.listModels().map((info) => info.name));
  for (const model of ['seresnet50', 'se_cnn', 'seresnext50_32x4d', 'se_mobilenetv1_100']) {
    assert(names.has(model), `require('@se/core').listModels() lacks ${model}`);
  }
  const model = core.createModel('seresnet20', { classes: 10, inputShape: [32, 32, 3] });
  const y = tf.tidy(() => model.predict(tf.ones([1, 32, 32, 3])).arraySync());
  assert(y[0].length === 10 && y[0].every(Number.isFinite), `seresnet20 gave ${y[0]}`);
  const se = model.layers.filter((layer) => layer instanceof core.SqueezeExcite).length;
  assert(
    se > 0,
    'no layer of the required seresnet20 is an instance of the required SqueezeExcite',
  );
  const registered = tf.serialization.SerializationMap.getMap().classNameMap;
  assert(
    Object.keys(registered).some((key) => key.endsWith('SqueezeExcite')),
    "SqueezeExcite is not registered in require('@tensorflow/tfjs')'s serialization map",
  );
  console.log(
    `  createModel('seresnet20') through require('@se/core') → [1, 10]; ${se} SqueezeExcite ` +
      "layers, registered in require('@tensorflow/tfjs')",
  );

  for (const [name, required] of modules) {
    const imported = await import(name);
    for (const key of Object.keys(imported)) {
      assert(
        required[key] === imported[key],
        `${name}: require().${key} !== (await import()).${key}`,
      );
    }
  }
  const { SqueezeExcite } = await import('@se/core');
  assert(
    model.layers.some((layer) => layer instanceof SqueezeExcite),
    'instanceof across import',
  );
  console.log(
    '  import() of each package gives the same exports as require() (one module instance, no ' +
      'dual-package hazard); instanceof holds across them',
  );
  model.dispose();
  process.exit(0);
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
