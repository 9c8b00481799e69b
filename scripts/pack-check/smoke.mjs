// Runs inside a fresh npm project in which one SE Zoo package was installed from its tarball
// (with the @se tarballs it depends on and tfjs from the registry): imports that package and
// builds and runs the models it should register. Prints one line per check; exits 1 on failure.
//
//   node smoke.mjs PACKAGE 'MODELS as JSON'
import * as tf from '@tensorflow/tfjs';

const [pkg, modelsJson = '[]'] = process.argv.slice(2);
const models = JSON.parse(modelsJson);
tf.enableProdMode();

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

const exports = await import(pkg);
console.log(`  ${pkg}: imported (${Object.keys(exports).length} exports)`);

if (pkg === '@se/core') {
  // The SE block on its own: 8 channels, reduction 4 → 2 hidden units, (8·2 + 2) + (2·8 + 8).
  const { SqueezeExcite, countParams } = exports;
  const input = tf.input({ shape: [6, 6, 8] });
  const output = new SqueezeExcite({ reduction: 4 }).apply(input);
  const model = tf.model({ inputs: input, outputs: output });
  const y = model.predict(tf.ones([1, 6, 6, 8]));
  assert(y.shape.join('x') === '1x6x6x8', `SqueezeExcite output shape ${y.shape}`);
  assert(countParams(model) === 42, `SqueezeExcite has ${countParams(model)} parameters, not 42`);
  console.log('  @se/core: SqueezeExcite on 6×6×8 → [1, 6, 6, 8], 42 parameters');
  model.dispose();
}

if (pkg === '@se/backends') {
  const { setBackend } = exports;
  await tf.setBackend('cpu');
  const x = tf.tidy(() => tf.randomNormal([1, 9, 9, 3], 0, 1, 'float32', 1));
  const w = tf.tidy(() => tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2));
  const convAndGrad = () =>
    tf.tidy(() => {
      const f = (filter) => tf.conv2d(x, filter, 2, 'same').square().sum();
      return [tf.conv2d(x, w, 2, 'same'), tf.grad(f)(w)].map((t) => t.arraySync());
    });
  const expected = convAndGrad();
  const info = await setBackend('wasm', { quiet: true });
  assert(tf.getBackend() === 'wasm', `setBackend('wasm') left tfjs on ${tf.getBackend()}`);
  const actual = convAndGrad();
  const diff = Math.max(
    ...expected.map((e, i) =>
      Math.max(...e.flat(3).map((v, j) => Math.abs(v - actual[i].flat(3)[j]))),
    ),
  );
  assert(diff < 1e-3, `wasm conv2d and its filter gradient differ from cpu by ${diff}`);
  console.log(
    `  @se/backends: setBackend('wasm') → ${info.name}, ${info.threads} thread(s); ` +
      `3×3 conv and its filter gradient match cpu (max |Δ| ${diff.toExponential(1)})`,
  );
}

if (models.length > 0) {
  const { createModel, getModelInfo, listModels } = await import('@se/core');
  const registered = new Set(listModels().map((info) => info.name));
  for (const { model: name, size = 64 } of models) {
    assert(registered.has(name), `${pkg} installed alone does not register '${name}'`);
    const info = getModelInfo(name);
    const side = Math.max(size, info.minInputSize);
    const channels = info.defaultInputShape[2];
    const model = createModel(name, { classes: 10, inputShape: [side, side, channels] });
    const y = tf.tidy(() => {
      const out = model.predict(tf.randomNormal([1, side, side, channels], 0, 1, 'float32', 3));
      return out.arraySync();
    });
    const shape = [y.length, y[0].length];
    assert(shape.join('x') === '1x10', `${name}: output shape [${shape}], expected [1, 10]`);
    assert(y[0].every(Number.isFinite), `${name}: non-finite output ${y[0]}`);
    console.log(
      `  ${pkg}: ${name} at ${side}×${side}×${channels}, ${model.countParams()} weights → [1, 10]`,
    );
    model.dispose();
  }
}

// The threaded wasm backend's pthread workers keep Node's event loop alive (as in apps/bench's
// CLI, which exits explicitly too).
process.exit(0);
