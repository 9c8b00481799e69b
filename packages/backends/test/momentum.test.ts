// SgdMomentum / sgdMomentum: on cpu, training with it gives tfjs's own momentum optimizer's
// weights (bit for bit: the composite ops are the same float32 arithmetic), weight decay (with its
// rule) and Nesterov do what is hand-computed in PyTorch's form, its state is keyed by weight name
// and its weights/config round-trip as tfjs's do; on webgpu (any
// adapter: in CI, Dawn on Mesa's lavapipe; skipped, saying why, without one) the same training
// matches cpu and each variable's update is one SEZooSgdMomentum kernel.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SGD_MOMENTUM_KERNEL, SgdMomentum, setBackend, sgdMomentum } from '../src/index.js';
import { data, relativeError, webgpuSkipReason } from './helpers.js';

const skipped = await webgpuSkipReason('momentum.test.ts');

const BATCH = 4;
const STEPS = 3;

/** A small convnet (conv, BN, dense) with seeded weights, compiled with `optimizer`. */
function smallModel(optimizer: tf.Optimizer): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, name: 'conv' }),
      tf.layers.batchNormalization({ name: 'bn' }),
      tf.layers.reLU(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4, activation: 'softmax', name: 'fc' }),
    ],
  });
  const weights = model.weights.map((w, i) =>
    tf.tidy(() => {
      const shape = w.shape as number[];
      // BatchNorm's moving variance must stay positive.
      const values = tf.tensor(data(tf.util.sizeFromShape(shape), 11 + i), shape);
      return w.name.includes('variance') ? tf.add(tf.abs(values), 0.5) : tf.mul(values, 0.5);
    }),
  );
  model.setWeights(weights);
  tf.dispose(weights);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  return model;
}

/** The batch every test trains on. */
function batch(): [tf.Tensor, tf.Tensor] {
  const x = tf.tensor(data(BATCH * 6 * 6 * 2, 3), [BATCH, 6, 6, 2]);
  const y = tf.oneHot(tf.tensor1d([0, 3, 1, 2], 'int32'), 4);
  return [x, y];
}

/** The model's weights after `STEPS` `trainOnBatch` steps with `optimizer` (then disposed). */
async function train(optimizer: tf.Optimizer): Promise<Float32Array[]> {
  const model = smallModel(optimizer);
  const [x, y] = batch();
  for (let step = 0; step < STEPS; step++) await model.trainOnBatch(x, y);
  const weights = await Promise.all(
    model.getWeights().map(async (w) => (await w.data()) as Float32Array),
  );
  model.dispose();
  optimizer.dispose();
  tf.dispose([x, y]);
  return weights;
}

describe('SgdMomentum on cpu', () => {
  it('trains a model to the weights tf.train.momentum gives, bit for bit', async () => {
    const want = await train(tf.train.momentum(0.05, 0.9));
    const before = tf.memory().numTensors;
    const got = await train(sgdMomentum({ learningRate: 0.05, momentum: 0.9 }));
    const left = tf.memory().numTensors - before;
    expect(got.length).toBe(want.length);
    got.forEach((w, i) => {
      expect(Array.from(w), `weight ${i}`).toEqual(Array.from(want[i] as Float32Array));
    });
    // The weights moved (the comparison is not of two untrained models).
    const unused = tf.train.sgd(0);
    const untrained = smallModel(unused);
    const initial = (untrained.getWeights()[0] as tf.Tensor).dataSync();
    untrained.dispose();
    unused.dispose();
    expect(relativeError(got[0] as Float32Array, initial as Float32Array)).toBeGreaterThan(1e-3);
    // What a model trained by plain SGD leaves (tfjs-layers keeps a tensor; tfjs's momentum
    // optimizer leaks its −η scalar too): the fused optimizer leaves nothing of its own.
    const sgdBefore = tf.memory().numTensors;
    await train(tf.train.sgd(0.05));
    expect(left).toBe(tf.memory().numTensors - sgdBefore);
  });

  it('matches minimize() too, and keeps the velocities and iterations tfjs does', async () => {
    const run = async (optimizer: tf.Optimizer) => {
      const w = tf.tidy(() =>
        tf.variable(tf.tensor1d([1, -2, 3]), true, `w${optimizer.getClassName()}`),
      );
      for (let step = 0; step < 4; step++) {
        optimizer.minimize((): tf.Scalar => tf.sum(tf.mul(tf.square(w), tf.tensor1d([1, 0.5, 2]))));
      }
      const weights = await optimizer.getWeights();
      const out = {
        w: Array.from(await w.data()),
        names: weights.map((v) => v.name),
        iter: Array.from(await (weights[0] as { tensor: tf.Tensor }).tensor.data()),
        velocity: Array.from(await (weights[1] as { tensor: tf.Tensor }).tensor.data()),
      };
      tf.dispose((weights[0] as { tensor: tf.Tensor }).tensor);
      w.dispose();
      optimizer.dispose();
      return out;
    };
    const ours = await run(sgdMomentum({ learningRate: 0.1, momentum: 0.8 }));
    const theirs = await run(tf.train.momentum(0.1, 0.8));
    expect(ours.w).toEqual(theirs.w);
    expect(ours.velocity).toEqual(theirs.velocity);
    expect(ours.iter).toEqual([4]);
    expect(theirs.iter).toEqual([4]);
    expect(ours.names).toEqual(['iter', 'wSEZooMomentum/momentum']);
    expect(theirs.names).toEqual(['iter', 'wMomentum/momentum']);
  });

  it('decays weights as hand-computed: v ← μv + g + λw, w ← w − ηv', () => {
    const w = tf.tidy(() => tf.variable(tf.tensor1d([1, -2]), true, 'decayed'));
    // A rule that decays every weight (the default spares rank ≤ 1 ones, as this one).
    const optimizer = sgdMomentum({
      learningRate: 0.1,
      momentum: 0.9,
      weightDecay: 0.5,
      decays: () => true,
    });
    // Loss Σ w·[1, 2]: g = [1, 2] every step.
    const loss = (): tf.Scalar => tf.sum(tf.mul(w, tf.tensor1d([1, 2])));
    optimizer.minimize(loss);
    // v = g + λw = [1.5, 1]; w = [1, −2] − 0.1·v = [0.85, −2.1].
    const first = Array.from(w.dataSync());
    expect(first[0]).toBeCloseTo(0.85, 6);
    expect(first[1]).toBeCloseTo(-2.1, 6);
    optimizer.minimize(loss);
    // v = 0.9·[1.5, 1] + [1, 2] + 0.5·[0.85, −2.1] = [2.775, 1.85]; w = [0.5725, −2.285].
    const second = Array.from(w.dataSync());
    expect(second[0]).toBeCloseTo(0.5725, 6);
    expect(second[1]).toBeCloseTo(-2.285, 6);
    optimizer.dispose();
    w.dispose();
  });

  it('round-trips its weights and config, and leaves no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.tensor2d([[1, 2]]), true, 'roundtrip'));
    const loss = (): tf.Scalar => tf.sum(tf.square(w));
    const a = sgdMomentum({ learningRate: 0.1, momentum: 0.9, weightDecay: 1e-3 });
    a.minimize(loss);
    a.minimize(loss);
    expect(a.iterations).toBe(2);
    const saved = await a.getWeights();
    // A copy from the saved weights (as a model loaded with its optimizer state would get).
    const config = a.getConfig();
    expect(config).toEqual({
      learningRate: 0.1,
      momentum: 0.9,
      nesterov: false,
      weightDecay: 1e-3,
    });
    expect(a.getClassName()).toBe('SEZooMomentum');
    const cls = tf.serialization.SerializationMap.getMap().classNameMap.SEZooMomentum;
    expect(cls?.[0]).toBe(SgdMomentum);
    const b = SgdMomentum.fromConfig<SgdMomentum>(SgdMomentum, config);
    await b.setWeights(saved);
    expect(b.iterations).toBe(2);
    // Both take one more step of the same weight (the state is keyed by its name) from the same
    // value and state: the same result.
    const start = w.clone();
    a.minimize(loss);
    const afterA = Array.from(w.dataSync());
    w.assign(start);
    b.minimize(loss);
    expect(Array.from(w.dataSync())).toEqual(afterA);
    // Restoring the weights it already holds is safe.
    const again = await b.getWeights();
    await b.setWeights(again);
    b.minimize(loss);
    a.dispose();
    b.dispose();
    // getWeights' iteration scalars are the caller's (the velocities are the optimizer's).
    tf.dispose([
      w,
      start,
      (saved[0] as { tensor: tf.Tensor }).tensor,
      (again[0] as { tensor: tf.Tensor }).tensor,
    ]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => sgdMomentum({ learningRate: Number.NaN, momentum: 0.9 })).toThrow(
      /learningRate must be a finite number/,
    );
  });

  it('names a gradient that belongs to no variable', () => {
    const optimizer = sgdMomentum({ learningRate: 0.1, momentum: 0.9 });
    const grad = tf.ones([2]);
    expect(() => optimizer.applyGradients({ 'no/such/weight': grad })).toThrow(
      "SgdMomentum: no variable named 'no/such/weight'",
    );
    tf.dispose(grad);
    optimizer.dispose();
  });
});

describe("SgdMomentum's decay rule, Nesterov and layer-weight steps, by hand", () => {
  /** A built dense layer 2 → 2: kernel [2, 2] (rank 2, decays) and bias [2] (rank 1, does not). */
  function denseLayer(): tf.layers.Layer {
    const layer = tf.layers.dense({ units: 2, kernelInitializer: 'zeros' });
    layer.build([null, 2]);
    const [kernel, bias] = layer.weights as [tf.LayerVariable, tf.LayerVariable];
    kernel.write(
      tf.tensor2d([
        [1, -2],
        [0.5, 4],
      ]),
    );
    bias.write(tf.tensor1d([1, 2]));
    return layer;
  }
  const values = (t: tf.Tensor | undefined) => Array.from((t as tf.Tensor).dataSync());

  it('step(): decay on the kernel (rank 2) only, velocities keyed by originalName', () => {
    const layer = denseLayer();
    const [kernel, bias] = layer.weights as [tf.LayerVariable, tf.LayerVariable];
    const optimizer = sgdMomentum({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.01 });
    const grads = {
      [kernel.name]: tf.tensor2d([
        [0.5, 0.25],
        [-1, 2],
      ]),
      [bias.name]: tf.tensor1d([0.5, -0.5]),
    };
    optimizer.step(layer.weights, grads);
    // Kernel: v = g + λw = [0.51, 0.23, −0.995, 2.04], w − 0.1·v.
    values(kernel.read()).forEach((got, i) => {
      expect(got).toBeCloseTo([0.949, -2.023, 0.5995, 3.796][i] as number, 6);
    });
    // Bias: v = g (no decay), w − 0.1·v.
    expect(values(bias.read())[0]).toBeCloseTo(0.95, 6);
    expect(values(bias.read())[1]).toBeCloseTo(2.05, 6);
    optimizer.step(layer.weights, grads);
    // Second step: v = 0.9·v + g.
    const vBias = values(optimizer.state().get(bias.originalName));
    expect(vBias[0]).toBeCloseTo(0.95, 6);
    expect(vBias[1]).toBeCloseTo(-0.95, 6);
    expect([...optimizer.state().keys()]).toEqual([kernel.originalName, bias.originalName]);
    expect(optimizer.iterations).toBe(2);
    tf.dispose(Object.values(grads));
    optimizer.dispose();
    for (const w of layer.weights) w.dispose();
  });

  it("Nesterov: v ← μv + g + λw, w ← w − η·(g + λw + μv) (PyTorch's form)", () => {
    const layer = denseLayer();
    const [kernel, bias] = layer.weights as [tf.LayerVariable, tf.LayerVariable];
    const optimizer = sgdMomentum({
      learningRate: 0.1,
      momentum: 0.9,
      nesterov: true,
      weightDecay: 0.5,
    });
    const grads = { [kernel.name]: tf.ones([2, 2]), [bias.name]: tf.tensor1d([1, -1]) };
    optimizer.step(layer.weights, grads);
    // Bias: v = g = (1, −1); w = (1, 2) − 0.1·(g + 0.9·v) = (0.81, 2.19).
    expect(values(bias.read())[0]).toBeCloseTo(0.81, 6);
    expect(values(bias.read())[1]).toBeCloseTo(2.19, 6);
    // Kernel [0][0] = 1: g = 1 + 0.5·1 = 1.5, v = 1.5, w = 1 − 0.1·(1.5 + 1.35) = 0.715.
    expect(values(kernel.read())[0]).toBeCloseTo(0.715, 6);
    // Second step on the bias: v = 0.9·(1, −1) + g = (1.9, −1.9); w −= 0.1·(g + 0.9·v).
    optimizer.step(layer.weights, grads);
    expect(values(bias.read())[0]).toBeCloseTo(0.81 - 0.1 * (1 + 0.9 * 1.9), 6);
    tf.dispose(Object.values(grads));
    optimizer.dispose();
    for (const w of layer.weights) w.dispose();
  });

  it('state() / restore() and getWeights() / setWeights() by weight name', async () => {
    const layer = denseLayer();
    const [kernel, bias] = layer.weights as [tf.LayerVariable, tf.LayerVariable];
    const a = sgdMomentum({ learningRate: 0.1 });
    const grads = { [kernel.name]: tf.ones([2, 2]), [bias.name]: tf.tensor1d([1, -1]) };
    a.step(layer.weights, grads);
    const saved = await a.getWeights();
    expect(saved.map((w) => w.name)).toEqual([
      'iter',
      `${kernel.originalName}/momentum`,
      `${bias.originalName}/momentum`,
    ]);
    const b = sgdMomentum({ learningRate: 0.1 });
    await b.setWeights(saved);
    const c = sgdMomentum({ learningRate: 0.1 });
    c.restore(a.state());
    for (const other of [b, c]) {
      expect([...other.state().keys()]).toEqual([...a.state().keys()]);
      expect(values(other.state().get(bias.originalName))).toEqual([1, -1]);
    }
    tf.dispose([...Object.values(grads), (saved[0] as { tensor: tf.Tensor }).tensor]);
    for (const o of [a, b, c]) o.dispose();
    for (const w of layer.weights) w.dispose();
  });
});

describe.skipIf(skipped != null)('SgdMomentum on webgpu (Dawn)', () => {
  let reference: Float32Array[] = [];

  beforeAll(async () => {
    reference = await train(sgdMomentum({ learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3 }));
    await setBackend('webgpu', { quiet: true });
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('trains a model to the cpu weights', async () => {
    const got = await train(sgdMomentum({ learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3 }));
    got.forEach((w, i) => {
      expect(relativeError(w, reference[i] as Float32Array), `weight ${i}`).toBeLessThan(1e-5);
    });
  });

  it('updates each variable with one SEZooSgdMomentum kernel', async () => {
    const optimizer = sgdMomentum({ learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3 });
    const model = smallModel(optimizer);
    const [x, y] = batch();
    await model.trainOnBatch(x, y);
    const engine = tf.engine();
    let from = -1;
    const apply = optimizer.applyGradients;
    optimizer.applyGradients = (grads: Parameters<typeof apply>[0]) => {
      from = engine.state.activeProfile.kernels.length;
      return apply.call(optimizer, grads);
    };
    const info = await tf.profile(async () => {
      await model.trainOnBatch(x, y);
    });
    optimizer.applyGradients = apply;
    const update = info.kernels.slice(from).map((k) => k.name);
    // conv kernel and bias, BN gamma and beta, dense kernel and bias.
    expect(model.trainableWeights.length).toBe(6);
    expect(update).toEqual(Array(6).fill(SGD_MOMENTUM_KERNEL));
    model.dispose();
    optimizer.dispose();
    tf.dispose([x, y]);
  });
});
