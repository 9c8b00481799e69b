// sgdMomentumUpdate: hand-computed steps on cpu (the composite form), and on webgpu SE Zoo's
// kernel SEZooSgdMomentum (one tfjs kernel, two dispatches) against the cpu results. The webgpu
// part runs on any WebGPU adapter (in CI, Dawn on Mesa's lavapipe) and is skipped, saying why,
// without one.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  registerWebGPUKernels,
  SGD_MOMENTUM_KERNEL,
  setBackend,
  sgdMomentumUpdate,
  unregisterWebGPUKernels,
  WEBGPU_KERNELS,
} from '../src/index.js';
import { data, relativeError, webgpuSkipReason } from './helpers.js';

const skipped = await webgpuSkipReason('sgd.test.ts');

const close = (got: tf.Tensor, want: number[]) => {
  const values = got.dataSync();
  expect(values.length).toBe(want.length);
  want.forEach((w, i) => {
    expect(values[i]).toBeCloseTo(w, 6);
  });
};

describe('sgdMomentumUpdate on cpu (composite ops)', () => {
  it('decays a weight when given λ: g + λw, v ← μv + g, w ← w − ηv', () => {
    const w = tf.tensor2d([
      [1, -2],
      [0.5, 4],
    ]);
    const v = tf.tensor2d([
      [0.1, 0.2],
      [-0.3, 0],
    ]);
    const g = tf.tensor2d([
      [0.5, 0.25],
      [-1, 2],
    ]);
    const next = sgdMomentumUpdate(w, v, g, {
      learningRate: 0.1,
      momentum: 0.9,
      weightDecay: 0.01,
    });
    // g + λw = [0.51, 0.23, −0.995, 2.04]; v = 0.9·v + that; w − 0.1·v.
    close(next.velocity, [0.6, 0.41, -1.265, 2.04]);
    close(next.value, [0.94, -2.041, 0.6265, 3.796]);
    expect(next.value.shape).toEqual([2, 2]);
    tf.dispose([w, v, g, next.value, next.velocity]);
  });

  it('adds nothing with λ = 0 (the optimizer passes 0 for biases and BatchNorm)', () => {
    const b = tf.tensor1d([1, 2]);
    const v = tf.tensor1d([0, 1]);
    const g = tf.tensor1d([0.5, -0.5]);
    const next = sgdMomentumUpdate(b, v, g, { learningRate: 0.1, momentum: 0.9, weightDecay: 0 });
    close(next.velocity, [0.5, 0.4]);
    close(next.value, [0.95, 1.96]);
    tf.dispose([b, v, g, next.value, next.velocity]);
  });

  it('leaves no tensor behind over steps, and checks shapes and scalars', () => {
    const w = tf.variable(tf.ones([3, 4]));
    const v = tf.variable(tf.zeros([3, 4]), false);
    const before = tf.memory().numTensors;
    for (let step = 0; step < 5; step++) {
      const g = tf.fill([3, 4], step);
      const next = sgdMomentumUpdate(w, v, g, {
        learningRate: 0.1,
        momentum: 0.9,
        weightDecay: 1e-4,
      });
      v.assign(next.velocity);
      w.assign(next.value);
      tf.dispose([g, next.value, next.velocity]);
    }
    expect(tf.memory().numTensors).toBe(before);
    const opts = { learningRate: 0.1, momentum: 0.9, weightDecay: 0 };
    expect(() => sgdMomentumUpdate(w, tf.zeros([4, 3]), v, opts)).toThrow(/velocity has shape/);
    expect(() => sgdMomentumUpdate(w, v, w, { ...opts, learningRate: Number.NaN })).toThrow(
      /learningRate must be finite/,
    );
    tf.dispose([w, v]);
  });
});

/** A weight, velocity and gradient of `shape` (seeded), as plain arrays. */
function operands(shape: number[], seed: number): Float32Array[] {
  const n = shape.reduce((a, b) => a * b, 1);
  return [data(n, seed), data(n, seed + 1), data(n, seed + 2)];
}

/** Three updates in a row of a weight of `shape` on the current backend: [value, velocity]. */
async function threeSteps(shape: number[], weightDecay: number): Promise<Float32Array[]> {
  const [w0, v0, g0] = operands(shape, shape.length * 7 + 1) as [Float32Array, ...Float32Array[]];
  const init = [tf.tensor(w0, shape), tf.tensor(v0 as Float32Array, shape)] as const;
  const w = tf.variable(init[0]);
  const v = tf.variable(init[1], false);
  tf.dispose([...init]);
  for (let step = 0; step < 3; step++) {
    const g = tf.tidy(() => tf.mul(tf.tensor(g0 as Float32Array, shape), step + 1));
    const next = sgdMomentumUpdate(w, v, g, { learningRate: 0.05, momentum: 0.9, weightDecay });
    v.assign(next.velocity);
    w.assign(next.value);
    tf.dispose([g, next.value, next.velocity]);
  }
  const out = [(await w.data()) as Float32Array, (await v.data()) as Float32Array];
  tf.dispose([w, v]);
  return out;
}

// Sizes around the workgroup of 128: below, a multiple, not a multiple, a conv kernel, a scalar,
// and a classifier-sized one.
const SHAPES = [[5], [128], [130], [3, 3, 4, 7], [], [512, 100]];

describe.skipIf(skipped != null)('sgdMomentumUpdate on webgpu (Dawn)', () => {
  const reference = new Map<string, Float32Array[]>();
  const key = (shape: number[], decay: number) => `${shape.join('×') || 'scalar'} λ=${decay}`;

  beforeAll(async () => {
    for (const shape of SHAPES) {
      for (const decay of [0, 1e-3])
        reference.set(key(shape, decay), await threeSteps(shape, decay));
    }
    await setBackend('webgpu', { quiet: true });
  });
  afterAll(async () => {
    registerWebGPUKernels();
    await tf.setBackend('cpu');
  });

  it('is an added kernel, registered by setBackend', () => {
    const entry = WEBGPU_KERNELS.find((k) => k.kernelName === SGD_MOMENTUM_KERNEL);
    expect(entry?.change).toBe('added');
    expect(tf.getKernel(SGD_MOMENTUM_KERNEL, 'webgpu')).toBeDefined();
  });

  for (const shape of SHAPES) {
    for (const decay of [0, 1e-3]) {
      it(`matches cpu over three steps: ${key(shape, decay)}`, async () => {
        const before = tf.memory().numTensors;
        const got = await threeSteps(shape, decay);
        expect(tf.memory().numTensors).toBe(before);
        const want = reference.get(key(shape, decay)) as Float32Array[];
        // Bit-exact on lavapipe; a GPU compiler may contract μ·v + g into an FMA.
        expect(relativeError(got[0] as Float32Array, want[0] as Float32Array)).toBeLessThan(1e-6);
        expect(relativeError(got[1] as Float32Array, want[1] as Float32Array)).toBeLessThan(1e-6);
      });
    }
  }

  it('is one tfjs kernel and two dispatches per weight', async () => {
    const [w, v, g] = operands([300], 5).map((a) => tf.tensor(a));
    const backend = tf.backend() as unknown as { runWebGPUProgram: (...a: unknown[]) => unknown };
    const run = backend.runWebGPUProgram;
    let dispatches = 0;
    backend.runWebGPUProgram = (...a: unknown[]) => {
      dispatches++;
      return run.apply(backend, a);
    };
    try {
      const info = await tf.profile(() => {
        const next = sgdMomentumUpdate(w as tf.Tensor, v as tf.Tensor, g as tf.Tensor, {
          learningRate: 0.1,
          momentum: 0.9,
          weightDecay: 1e-4,
        });
        return [next.value, next.velocity];
      });
      expect(info.kernels.map((k) => k.name)).toEqual([SGD_MOMENTUM_KERNEL]);
      expect(dispatches).toBe(2);
      expect(info.newTensors).toBe(2);
      tf.dispose(info.result as tf.Tensor[]);
    } finally {
      backend.runWebGPUProgram = run;
    }
    tf.dispose([w, v, g]);
  });

  it('falls back to composite ops once unregistered', async () => {
    unregisterWebGPUKernels();
    expect(tf.getKernel(SGD_MOMENTUM_KERNEL, 'webgpu')).toBeUndefined();
    const got = await threeSteps([130], 1e-3);
    const want = reference.get(key([130], 1e-3)) as Float32Array[];
    expect(relativeError(got[0] as Float32Array, want[0] as Float32Array)).toBeLessThan(1e-6);
    registerWebGPUKernels();
    expect(tf.getKernel(SGD_MOMENTUM_KERNEL, 'webgpu')).toBeDefined();
  });
});
