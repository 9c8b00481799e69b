import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  countParams,
  type FcForm,
  type GateKind,
  resolveSEConfig,
  resolveSqueezeExcite,
  SqueezeExcite,
  type SqueezeExciteOptions,
  seHiddenChannels,
  squeezeExcite,
} from '../src/index.js';

// x: one 2×2 image with two channels. Channel 0 holds 1, 2, 3, 4; channel 1 holds 0, −2, 2, 4.
// Channel means are 2.5 and 1, channel maxima 4 and 4.
const X = [
  [
    [
      [1, 0],
      [2, -2],
    ],
    [
      [3, 2],
      [4, 4],
    ],
  ],
];
// fc1: C=2 → 1 with W1 = [1, 1], b1 = −1; fc2: 1 → 2 with W2 = [0.5, −0.2], b2 = [0, 0.5].
function seLayer(options: SqueezeExciteOptions, fc: FcForm): tf.LayersModel {
  const input = tf.input({ shape: [2, 2, 2] });
  const se = new SqueezeExcite({ ...options, reduction: 2, fc, name: 'se' });
  const model = tf.model({ inputs: input, outputs: se.apply(input) as tf.SymbolicTensor });
  const w1 = fc === 'dense' ? tf.tensor2d([[1], [1]]) : tf.tensor4d([1, 1], [1, 1, 2, 1]);
  const w2 = fc === 'dense' ? tf.tensor2d([[0.5, -0.2]]) : tf.tensor4d([0.5, -0.2], [1, 1, 1, 2]);
  se.setWeights(
    options.bias === false ? [w1, w2] : [w1, w2, tf.tensor1d([-1]), tf.tensor1d([0, 0.5])],
  );
  return model;
}

function scaled(gates: number[][]): number[][][][] {
  // y[h][w][c] = x[h][w][c] · gate, gates given per position (row-major) and channel.
  return [
    (X[0] ?? []).map((row, h) =>
      row.map((pixel, w) => pixel.map((v, c) => v * (gates[h * 2 + w]?.[c] ?? Number.NaN))),
    ),
  ];
}

describe('SqueezeExcite: outputs computed by hand', () => {
  // Average squeeze: z = [2.5, 1]; h = relu(2.5 + 1 − 1) = 2.5; logits = [1.25, −0.5 + 0.5 = 0].
  const avgGates: Record<GateKind, [number, number]> = {
    sigmoid: [0.7772998611746911, 0.5],
    tanh: [0.8482836399575129, 0],
    relu: [1.25, 0],
    hard_sigmoid: [4.25 / 6, 0.5],
  };
  for (const fc of ['conv1x1', 'dense'] as const) {
    for (const [gate, s] of Object.entries(avgGates)) {
      it(`avg squeeze, ${gate} gate, ${fc} FCs`, () => {
        const y = seLayer({ gate: gate as GateKind }, fc).predict(tf.tensor4d(X)) as tf.Tensor;
        const expected = scaled([s, s, s, s]);
        expectClose(y.arraySync() as number[][][][], expected);
      });
    }
    it(`max squeeze, ${fc} FCs`, () => {
      // z = [4, 4]; h = 7; logits = [3.5, −1.4 + 0.5 = −0.9].
      const s = [0.9706877692486436, 0.289050497374996];
      const y = seLayer({ squeeze: 'max' }, fc).predict(tf.tensor4d(X)) as tf.Tensor;
      expectClose(y.arraySync() as number[][][][], scaled([s, s, s, s]));
    });
    it(`NoSqueeze excites every position on its own, ${fc} FCs`, () => {
      // Per position h = relu(x0 + x1 − 1): 0, 0, 4, 7 → logits [0, .5], [0, .5], [2, −.3], [3.5, −.9].
      const gates = [
        [0.5, 0.6224593312018546],
        [0.5, 0.6224593312018546],
        [0.8807970779778823, 0.425557483188341],
        [0.9706877692486436, 0.289050497374996],
      ];
      const y = seLayer({ squeeze: 'none' }, fc).predict(tf.tensor4d(X)) as tf.Tensor;
      expectClose(y.arraySync() as number[][][][], scaled(gates));
    });
  }
  it('without biases', () => {
    // h = relu(3.5) = 3.5; logits = [1.75, −0.7].
    const s = [0.8519528019683106, 0.331812227831834];
    const y = seLayer({ bias: false }, 'conv1x1').predict(tf.tensor4d(X)) as tf.Tensor;
    expectClose(y.arraySync() as number[][][][], scaled([s, s, s, s]));
  });
  it('exposes the excitation the paper plots', () => {
    const model = seLayer({}, 'conv1x1');
    const se = model.getLayer('se') as SqueezeExcite;
    const s = se.excitation(tf.tensor4d(X));
    expect(s.shape).toEqual([1, 1, 1, 2]);
    expectClose(Array.from(s.dataSync()), [0.7772998611746911, 0.5]);
  });
});

describe('SqueezeExcite: parameters', () => {
  function params(channels: number, options: SqueezeExciteOptions): number {
    const input = tf.input({ shape: [4, 4, channels] });
    const se = new SqueezeExcite(options);
    return countParams(tf.model({ inputs: input, outputs: se.apply(input) as tf.SymbolicTensor }));
  }
  it('is 2C²/r without biases and 2C²/r + C/r + C with them', () => {
    for (const r of [2, 4, 8, 16, 32]) {
      expect(params(64, { reduction: r, bias: false })).toBe((2 * 64 * 64) / r);
      expect(params(64, { reduction: r })).toBe((2 * 64 * 64) / r + 64 / r + 64);
      expect(params(64, { reduction: r, fc: 'dense' })).toBe((2 * 64 * 64) / r + 64 / r + 64);
    }
  });
  it('takes an explicit hidden width', () => {
    expect(params(10, { hiddenChannels: 3 })).toBe(2 * 10 * 3 + 3 + 10);
  });
  it('rounds the hidden width as documented (Caffe floor, timm make_divisible)', () => {
    const caffe = { reduction: 16, hiddenChannels: null, divisor: 1 };
    const timm = { ...caffe, divisor: 8 };
    expect([64, 100, 256, 2048].map((c) => seHiddenChannels(c, caffe))).toEqual([4, 6, 16, 128]);
    // timm: max(8, ⌊C/16 + 4⌋ rounded down to 8): 64 → 8, 100 → 8, 200 → 16, 256 → 16.
    expect([64, 100, 200, 256].map((c) => seHiddenChannels(c, timm))).toEqual([8, 8, 16, 16]);
  });
  it('raises the hidden width to minHidden, so that any ratio builds', () => {
    const atLeastOne = { reduction: 32, hiddenChannels: null, divisor: 1, minHidden: 1 };
    // ⌊16/32⌋ = 0 → 1; ⌊64/32⌋ = 2 stays 2.
    expect([16, 64].map((c) => seHiddenChannels(c, atLeastOne))).toEqual([1, 2]);
    expect(params(16, { reduction: 32, minHidden: 1 })).toBe(2 * 16 * 1 + 1 + 16);
  });
});

describe('SqueezeExcite: clear errors', () => {
  const apply = (channels: number, options: SqueezeExciteOptions) => () =>
    new SqueezeExcite({ ...options, name: 'layer1.0.se' }).apply(
      tf.input({ shape: [4, 4, channels] }),
    );
  it('rejects r ≤ 0 naming the field and value', () => {
    expect(apply(16, { reduction: 0 })).toThrow('Invalid layer1.0.se se.reduction: 0');
    expect(apply(16, { reduction: -4 })).toThrow(/reduction: -4\. Expected a positive number/);
  });
  it('rejects r larger than the channels', () => {
    expect(apply(16, { reduction: 32 })).toThrow(
      "Invalid layer 'layer1.0.se' se.reduction: 32. Expected a ratio no larger than the 16 channels it reduces.",
    );
  });
  it('rejects a negative or fractional minHidden', () => {
    expect(apply(16, { minHidden: -1 })).toThrow(/se\.minHidden: -1\. Expected an integer ≥ 0/);
    expect(apply(16, { minHidden: 1.5 })).toThrow(/se\.minHidden: 1\.5/);
  });
  it('rejects unknown squeeze, gate and FC forms', () => {
    expect(apply(16, { squeeze: 'median' as never })).toThrow(
      `se.squeeze: "median". Expected one of 'avg', 'max', 'none'`,
    );
    expect(apply(16, { gate: 'softmax' as never })).toThrow(/se\.gate: "softmax"/);
    expect(apply(16, { fc: 'linear' as never })).toThrow(/se\.fc: "linear"/);
  });
  it('rejects an input that is not an NHWC feature map', () => {
    const se = new SqueezeExcite({ name: 'se' });
    expect(() => se.apply(tf.input({ shape: [16] }))).toThrow(
      "Invalid layer 'se' input shape: [null, 16]. Expected a rank-4 NHWC feature map",
    );
  });
});

describe('SqueezeExcite: resolved options', () => {
  it('takes a resolved block as it is and serializes it like the plain arguments', () => {
    const block = resolveSqueezeExcite({ reduction: 4, gate: 'hard_sigmoid', fc: 'dense' });
    const fromBlock = new SqueezeExcite({ block, name: 'a' });
    const fromArgs = new SqueezeExcite({
      reduction: 4,
      gate: 'hard_sigmoid',
      fc: 'dense',
      name: 'a',
    });
    expect(fromBlock.options).toEqual(block);
    expect(fromBlock.options).toEqual(fromArgs.options);
    expect(fromBlock.getConfig()).toEqual(fromArgs.getConfig());
  });
  it('squeezeExcite builds the layer from resolveSEConfig without resolving again', () => {
    const se = resolveSEConfig({ reduction: 8, hiddenChannels: 3, bias: false }, {}, 4, true);
    const x = tf.input({ shape: [4, 4, 16] });
    const y = squeezeExcite(x, se?.block ?? resolveSqueezeExcite(), 'layer1.0.se');
    const model = tf.model({ inputs: x, outputs: y });
    const layer = model.getLayer('layer1.0.se') as SqueezeExcite;
    expect(layer.options).toEqual(se?.block);
    expect(layer.hiddenChannelCount).toBe(3);
    // The saved config has the plain fields, so a saved model loads through the constructor.
    const config = layer.getConfig();
    expect(config).toMatchObject({ reduction: 8, hiddenChannels: 3, bias: false });
    expect('block' in config).toBe(false);
    const copy = SqueezeExcite.fromConfig(SqueezeExcite, config) as SqueezeExcite;
    expect(copy.options).toEqual(layer.options);
  });
});

function expectClose(actual: unknown, expected: unknown, tolerance = 1e-6): void {
  const a = [actual].flat(4) as number[];
  const e = [expected].flat(4) as number[];
  expect(a.length).toBe(e.length);
  for (const [i, v] of a.entries())
    expect(Math.abs(v - (e[i] ?? Number.NaN))).toBeLessThan(tolerance);
}
