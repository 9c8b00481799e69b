import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  ChannelShuffle,
  classifierHead,
  conv2d,
  convBn,
  countMacs,
  countParams,
  formatSummary,
  GroupedConv2D,
  type ModelOptions,
  Pool2D,
  type ResolvedSE,
  residualUnit,
  resolveModelOptions,
  resolveSEConfig,
  SqueezeExcite,
  summarize,
} from '../src/index.js';

/**
 * A small network whose counts are worked out by hand:
 *  conv 3×3, 3 → 16, 8×8 'same':   MACs 8·8·16·27 = 27,648   params 432
 *  BN:                                                         params 32
 *  SE r=4 (hidden 4):              MACs 2·16·4 = 128          params 2·16·4 + 4 + 16 = 148
 *  grouped conv 3×3/2, 4 groups, 16 → 32, pad 1, 4×4 out:
 *                                  MACs 4·4·32·9·4 = 18,432   params 9·4·32 = 1,152
 *  global average pool, dense 32 → 10: MACs 320               params 330
 * Total MACs 46,528, parameters 2,094.
 */
function smallNetwork(inputShape: [number | null, number | null, number] = [8, 8, 3]) {
  const input = tf.input({ shape: inputShape });
  let x = convBn(input, {
    name: 'conv1',
    bnName: 'bn1',
    filters: 16,
    kernelSize: 3,
    activation: 'relu',
  });
  x = new SqueezeExcite({ reduction: 4, name: 'se' }).apply(x) as tf.SymbolicTensor;
  x = conv2d(x, { name: 'conv2', filters: 32, kernelSize: 3, strides: 2, groups: 4 });
  const options = resolveModelOptions(
    { classes: 10 },
    { defaultInputShape: [8, 8, 3], minInputSize: 2 },
  );
  return tf.model({ inputs: input, outputs: classifierHead(x, options, { classifier: 'fc' }) });
}

describe('counting', () => {
  it('counts the small network by hand', () => {
    const model = smallNetwork();
    expect(countParams(model)).toBe(2094);
    expect(countMacs(model)).toBe(46528);
    const count = summarize(model);
    expect(count.trainableParams).toBe(2094);
    const byName = Object.fromEntries(count.layers.map((l) => [l.name, l]));
    expect(byName.conv1?.macs).toBe(27648);
    expect(byName.se?.macs).toBe(128);
    expect(byName.conv2?.macs).toBe(18432);
    expect(byName.conv2?.outputShape).toEqual([4, 4, 32]);
    expect(byName.fc?.macs).toBe(320);
    expect(byName.bn1?.params).toBe(32);
  });
  it("counts the SE scaling on request: one multiply per element of the SE block's output", () => {
    const model = smallNetwork();
    // The SE block scales an 8×8×16 map: 1,024 multiplies on top of its FC layers' 128.
    expect(countMacs(model, { seScale: true })).toBe(46528 + 8 * 8 * 16);
    expect(summarize(model, { seScale: true }).layers.find((l) => l.name === 'se')?.macs).toBe(
      128 + 1024,
    );
    const anySize = smallNetwork([null, null, 3]);
    expect(countMacs(anySize, { inputShape: [16, 16, 3], seScale: true })).toBe(
      4 * 27648 + 128 + 16 * 16 * 16 + 4 * 18432 + 320,
    );
  });
  it('propagates shapes for a model that accepts any size', () => {
    const model = smallNetwork([null, null, 3]);
    // Doubling the side: the convolutions and SE scale by 4, the classifier does not.
    expect(countMacs(model, [16, 16, 3])).toBe(4 * 27648 + 128 + 4 * 18432 + 320);
    expect(() => countMacs(model)).toThrow(/concrete positive sizes/);
    expect(() => countMacs(smallNetwork(), [16, 16, 3])).toThrow(
      /the model's own input shape \[8, 8, 3\]/,
    );
  });
  it('prints a summary with totals', () => {
    const text = formatSummary(summarize(smallNetwork()));
    expect(text).toContain('Parameters: 2,094 (trainable 2,094)');
    expect(text).toContain('MACs at 8×8×3: 46,528 (0.0 M)');
    expect(text).toMatch(
      /\| conv2\s*\| GroupedConv2D\s*\| \[4, 4, 32\]\s*\|\s*1,152 \|\s*18,432 \|/,
    );
  });
});

describe('SE integration positions (paper Fig. 5)', () => {
  /** A bottleneck-like unit: 1×1 → 3×3 → 1×1 with a projection shortcut. */
  function unit(position: ResolvedSE['position'] | null) {
    const input = tf.input({ shape: [8, 8, 8] });
    const se = position ? resolveSEConfig({ position, reduction: 2 }, {}, 1, true) : null;
    const out = residualUnit(input, {
      name: 'u',
      se,
      branch: (x, after3x3) => {
        let y = convBn(x, {
          name: 'u.conv1',
          bnName: 'u.bn1',
          filters: 4,
          kernelSize: 1,
          activation: 'relu',
        });
        y = after3x3(
          convBn(y, {
            name: 'u.conv2',
            bnName: 'u.bn2',
            filters: 4,
            kernelSize: 3,
            activation: 'relu',
          }),
        );
        return convBn(y, { name: 'u.conv3', bnName: 'u.bn3', filters: 16, kernelSize: 1 });
      },
      shortcut: (x) =>
        convBn(x, { name: 'u.down.0', bnName: 'u.down.1', filters: 16, kernelSize: 1 }),
    });
    return tf.model({ inputs: input, outputs: out });
  }
  const feeds = (model: tf.LayersModel, name: string) =>
    model.getLayer(name).inboundNodes[0]?.inboundLayers.map((l) => l.name) ?? [];

  it('standard: after the branch’s last BN, before the addition', () => {
    const m = unit('standard');
    expect(feeds(m, 'u.se')).toEqual(['u.bn3']);
    expect(feeds(m, 'u.add')).toEqual(['u.se', 'u.down.1']);
    expect((m.getLayer('u.se') as SqueezeExcite).channelCount).toBe(16);
  });
  it('SE-PRE: on the unit input, feeding only the residual branch', () => {
    const m = unit('pre');
    expect(feeds(m, 'u.conv1')).toEqual(['u.se']);
    expect(feeds(m, 'u.down.0')[0]).toMatch(/^input/);
    expect((m.getLayer('u.se') as SqueezeExcite).channelCount).toBe(8);
  });
  it('SE-POST: after the addition and its ReLU', () => {
    const m = unit('post');
    expect(feeds(m, 'u.se')).toEqual(['u.act']);
    expect(m.outputs[0]?.sourceLayer.name).toBe('u.se');
  });
  it('SE-Identity: on the shortcut, in parallel with the branch', () => {
    const m = unit('identity');
    expect(feeds(m, 'u.se')).toEqual(['u.down.1']);
    expect(feeds(m, 'u.add')).toEqual(['u.bn3', 'u.se']);
  });
  it('SE_3×3: after the 3×3 convolution, on its 4 channels', () => {
    const m = unit('3x3');
    expect(feeds(m, 'u.se')).toEqual(['u.bn2_act']);
    expect(feeds(m, 'u.conv3')).toEqual(['u.se']);
    // Fewer parameters than standard: 2·4·2 + 2 + 4 = 22 against 2·16·8 + 8 + 16 = 280.
    expect(countParams(m) - countParams(unit(null))).toBe(22);
    expect(countParams(unit('standard')) - countParams(unit(null))).toBe(280);
  });
  it('restricts SE to chosen stages and validates them', () => {
    expect(resolveSEConfig({ stages: [4, 2, 2] }, {}, 4, true)?.stages).toEqual([2, 4]);
    expect(resolveSEConfig(undefined, {}, 4, false)).toBeNull();
    expect(resolveSEConfig(false, {}, 4, true)).toBeNull();
    expect(resolveSEConfig(true, { divisor: 8 }, 4, false)?.block.divisor).toBe(8);
    expect(() => resolveSEConfig({ stages: [5] }, {}, 4, true)).toThrow(
      'Invalid se.stages: 5. Expected an integer in [1, 4].',
    );
    expect(() => resolveSEConfig({ stages: [] }, {}, 4, true)).toThrow(/se\.stages: \[\]/);
    expect(() => resolveSEConfig({ position: 'middle' as never }, {}, 4, true)).toThrow(
      `Invalid se.position: "middle". Expected one of 'standard', 'pre', 'post', 'identity', '3x3'.`,
    );
  });
});

describe('Keras-style options', () => {
  const limits = { defaultInputShape: [224, 224, 3] as [number, number, number], minInputSize: 32 };
  it('fills in defaults', () => {
    expect(resolveModelOptions({}, limits)).toEqual({
      includeTop: true,
      inputShape: [224, 224, 3],
      pooling: null,
      classes: 1000,
      classifierActivation: 'softmax',
      name: undefined,
    });
  });
  it('rejects bad values with the field and value named', () => {
    expect(() => resolveModelOptions({ classes: 0 }, limits)).toThrow(
      'Invalid classes: 0. Expected an integer ≥ 1.',
    );
    expect(() => resolveModelOptions({ inputShape: [224, 224] as never }, limits)).toThrow(
      'Invalid inputShape: [224, 224]. Expected a rank-3 shape [height, width, channels] without the batch axis.',
    );
    expect(() => resolveModelOptions({ inputShape: [16, 224, 3] }, limits)).toThrow(
      "Invalid inputShape height: 16. Expected null or an integer ≥ 32 (this network's smallest input) in [16, 224, 3].",
    );
    expect(() => resolveModelOptions({ pooling: 'sum' as never }, limits)).toThrow(
      /pooling: "sum"/,
    );
    expect(() => resolveModelOptions({ clases: 10 } as never, limits)).toThrow(
      /model option 'clases': 10/,
    );
    expect(() => resolveModelOptions({ weights: 'imagenet' as never }, limits)).toThrow(
      /loadPyTorchWeights/,
    );
  });
  it('builds the head Keras Applications users expect', () => {
    const features = tf.input({ shape: [4, 4, 8] });
    const head = (options: ModelOptions) =>
      classifierHead(features, resolveModelOptions(options, { ...limits, minInputSize: 1 }), {
        classifier: 'fc',
      }).shape;
    expect(head({ classes: 5 })).toEqual([null, 5]);
    expect(head({ includeTop: false })).toEqual([null, 4, 4, 8]);
    expect(head({ includeTop: false, pooling: 'max' })).toEqual([null, 8]);
  });
});

describe('serialization', () => {
  it('a model with every custom layer saves and loads back bit-identically', async () => {
    const input = tf.input({ shape: [9, 9, 8] });
    let x = new Pool2D({
      mode: 'max',
      poolSize: 3,
      strides: 2,
      ceilMode: true,
      name: 'pool',
    }).apply(input) as tf.SymbolicTensor;
    x = new GroupedConv2D({
      filters: 8,
      kernelSize: 3,
      groups: 2,
      padding: 'same',
      name: 'gconv',
    }).apply(x) as tf.SymbolicTensor;
    x = new ChannelShuffle({ groups: 2, name: 'shuffle' }).apply(x) as tf.SymbolicTensor;
    x = convBn(x, { name: 'conv', bnName: 'bn', filters: 8, kernelSize: 3, strides: 2 });
    x = new SqueezeExcite({ reduction: 4, gate: 'hard_sigmoid', squeeze: 'max', name: 'se' }).apply(
      x,
    ) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: x });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    if (!saved) throw new Error('nothing saved');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
    const probe = tf.randomNormal([2, 9, 9, 8], 0, 1, 'float32', 7);
    const a = (model.predict(probe) as tf.Tensor).dataSync();
    const b = (loaded.predict(probe) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    expect((loaded.getLayer('se') as SqueezeExcite).options.gate).toBe('hard_sigmoid');
  });
});
