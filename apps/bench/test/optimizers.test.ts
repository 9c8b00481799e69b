// The trainer's optimizers on cpu. SgdMomentum: the hand-computed PyTorch update (weight decay on the dense kernel, not on
// its bias), the same bits as the optimizer's former inline composite ops over several steps,
// and no tensor left behind.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { RmsProp, SgdMomentum } from '../src/train/optimizers.js';

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

/** The update as SgdMomentum computed it before the fused op, tfjs ops one by one. */
function formerStep(
  weights: tf.LayerVariable[],
  grads: tf.NamedTensorMap,
  velocities: Map<string, tf.Variable>,
  o: { learningRate: number; momentum: number; weightDecay: number },
): void {
  tf.tidy(() => {
    for (const weight of weights) {
      const grad = grads[weight.name] as tf.Tensor;
      const value = weight.read();
      const decayed =
        o.weightDecay > 0 && weight.shape.length > 1
          ? tf.add(grad, tf.mul(value, o.weightDecay))
          : grad;
      let velocity = velocities.get(weight.name);
      if (!velocity) {
        velocity = tf.variable(tf.zerosLike(value), false);
        velocities.set(weight.name, velocity);
      }
      velocity.assign(tf.add(tf.mul(velocity, o.momentum), decayed));
      weight.write(tf.sub(value, tf.mul(velocity, o.learningRate)));
    }
  });
}

/** Gradients for a step: fixed values scaled by the step number. */
function gradsFor(weights: tf.LayerVariable[], step: number): tf.NamedTensorMap {
  const [kernel, bias] = weights as [tf.LayerVariable, tf.LayerVariable];
  return {
    [kernel.name]: tf.mul(
      tf.tensor2d([
        [0.5, 0.25],
        [-1, 2],
      ]),
      step,
    ),
    [bias.name]: tf.mul(tf.tensor1d([0.5, -0.5]), step),
  };
}

describe('SgdMomentum', () => {
  it('decays the dense kernel (rank 2) and not its bias (rank 1)', () => {
    const layer = denseLayer();
    const weights = layer.weights;
    const [kernel, bias] = weights as [tf.LayerVariable, tf.LayerVariable];
    const optimizer = new SgdMomentum({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.01 });
    const grads = tf.tidy(() => gradsFor(weights, 1));
    optimizer.step(weights, grads);
    // Kernel: v = g + λw = [0.51, 0.23, −0.995, 2.04], w − 0.1·v.
    const k = kernel.read().dataSync();
    [0.949, -2.023, 0.5995, 3.796].forEach((want, i) => {
      expect(k[i]).toBeCloseTo(want, 6);
    });
    // Bias: v = g = [0.5, −0.5] (no decay), w − 0.1·v.
    const b = bias.read().dataSync();
    [0.95, 2.05].forEach((want, i) => {
      expect(b[i]).toBeCloseTo(want, 6);
    });
    // A second step: v = 0.9·v + g + λw.
    optimizer.step(weights, grads);
    const vBias = optimizer.state().get(bias.originalName)?.dataSync() as Float32Array;
    expect(vBias[0]).toBeCloseTo(0.95, 6);
    expect(vBias[1]).toBeCloseTo(-0.95, 6);
    tf.dispose(Object.values(grads));
    optimizer.dispose();
    for (const w of layer.weights) w.dispose();
  });

  it('gives the bits of the former inline ops over five steps, and leaks nothing', () => {
    const o = { learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4 };
    const ours = denseLayer();
    const former = denseLayer();
    const optimizer = new SgdMomentum(o);
    const velocities = new Map<string, tf.Variable>();
    let tensors = 0;
    for (let step = 1; step <= 5; step++) {
      const a = tf.tidy(() => gradsFor(ours.weights, step));
      const b = tf.tidy(() => gradsFor(former.weights, step));
      optimizer.step(ours.weights, a);
      formerStep(former.weights, b, velocities, o);
      tf.dispose([...Object.values(a), ...Object.values(b)]);
      // Velocities exist from the first step on; from then the count must not grow.
      if (step === 1) tensors = tf.memory().numTensors;
      else expect(tf.memory().numTensors).toBe(tensors);
    }
    ours.weights.forEach((w, i) => {
      const f = former.weights[i] as tf.LayerVariable;
      expect(Array.from(w.read().dataSync())).toEqual(Array.from(f.read().dataSync()));
      const v = optimizer.state().get(w.originalName) as tf.Variable;
      expect(Array.from(v.dataSync())).toEqual(
        Array.from((velocities.get(f.name) as tf.Variable).dataSync()),
      );
    });
    optimizer.dispose();
    tf.dispose([...velocities.values()]);
    for (const w of [...ours.weights, ...former.weights]) w.dispose();
  });
});

describe('Nesterov SGD and RMSprop, by hand', () => {
  const values = (t: tf.Tensor | undefined) => Array.from((t as tf.Tensor).dataSync());

  it("Nesterov: w ← w − η·(g + μ·v), v ← μ·v + g (PyTorch's form), decay on the kernel only", () => {
    const layer = denseLayer();
    const [kernel, bias] = layer.weights as [tf.LayerVariable, tf.LayerVariable];
    const optimizer = new SgdMomentum({
      learningRate: 0.1,
      momentum: 0.9,
      nesterov: true,
      weightDecay: 0.5,
    });
    const grads = { [kernel.name]: tf.ones([2, 2]), [bias.name]: tf.tensor1d([1, -1]) };
    optimizer.step(layer.weights, grads);
    // Bias: v = g = (1, −1); w = (1, 2) − 0.1·(g + 0.9·v) = (1 − 0.19, 2 + 0.19).
    expect(values(bias.read())[0]).toBeCloseTo(0.81, 6);
    expect(values(bias.read())[1]).toBeCloseTo(2.19, 6);
    // Kernel [0][0] = 1: g = 1 + 0.5·1 = 1.5, v = 1.5, w = 1 − 0.1·(1.5 + 1.35) = 0.715.
    expect(values(kernel.read())[0]).toBeCloseTo(0.715, 6);
    tf.dispose(Object.values(grads));
    optimizer.dispose();
    for (const w of layer.weights) w.dispose();
  });

  it("RMSprop in Keras's form: ε outside the root", () => {
    const layer = denseLayer();
    const [kernel, bias] = layer.weights as [tf.LayerVariable, tf.LayerVariable];
    const optimizer = new RmsProp({ learningRate: 0.01, rho: 0.9, epsilon: 1e-7 });
    const grads = { [kernel.name]: tf.fill([2, 2], 2), [bias.name]: tf.tensor1d([1e-4, 0]) };
    optimizer.step(layer.weights, grads);
    // ms = 0.1·g²; w −= 0.01·g / (√ms + ε): kernel 1 − 0.01·2/(√0.4 + 1e-7) = 0.968377…
    expect(values(kernel.read())[0]).toBeCloseTo(1 - 0.02 / (Math.sqrt(0.4) + 1e-7), 6);
    // A tiny gradient: 1e-4/(√1e-9 + 1e-7) = 1e-4/1.3162e-4 (ε inside the root would give 1e-4/3.3e-4).
    expect(values(bias.read())[0]).toBeCloseTo(1 - (0.01 * 1e-4) / (Math.sqrt(1e-9) + 1e-7), 7);
    expect(values(bias.read())[1]).toBe(2);
    expect(values(optimizer.state().get(kernel.originalName))[0]).toBeCloseTo(0.4, 6);
    tf.dispose(Object.values(grads));
    optimizer.dispose();
    for (const w of layer.weights) w.dispose();
  });
});
