// Each kind of ResNet of @se/resnet, an SE model of every other family and the small SE CNN train on the
// wasm backend (grouped and depthwise gradients included), without leaks.
import { createModel, listModels, type ModelName } from '@se/core';
import '@se/inception';
import '@se/mobilenet';
import '@se/resnet';
import '@se/resnext';
import '@se/shufflenet';
import '@se/vgg';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallSeCnn } from '../src/models.js';
import { useWasm } from './helpers.js';

beforeAll(useWasm);
afterAll(async () => {
  await tf.setBackend('cpu');
});

/** Three SGD steps; the losses, and the live tensor counts after steps 2 and 3. */
async function threeSteps(model: tf.LayersModel, batch = 2) {
  const [, h = 32, w = 32, c = 3] = model.inputs[0]?.shape ?? [];
  const classes = (model.outputs[0]?.shape[1] as number | undefined) ?? 10;
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
  const x = tf.randomNormal([batch, h as number, w as number, c as number], 0, 1, 'float32', 7);
  const y = tf.oneHot(tf.tensor1d([1, 3, 5, 7].slice(0, batch), 'int32'), classes);
  const losses: number[] = [];
  const counts: number[] = [];
  for (let step = 1; step <= 3; step++) {
    losses.push((await model.trainOnBatch(x, y)) as number);
    counts.push(tf.memory().numTensors);
  }
  tf.dispose([x, y]);
  return { losses, afterStep2: counts[1], afterStep3: counts[2] };
}

// One model of each block kind and layout: deeper variants repeat the same blocks, and every
// model's wiring is checked on the cpu backend by the family's own tests.
describe('one training step of each kind of @se/resnet model on wasm (32×32, batch 2)', () => {
  const names: ModelName[] = [
    'seresnet18', // basic blocks, timm layout
    'seresnet50', // bottlenecks, timm layout
    'legacy_seresnet18', // basic blocks, Caffe layout
    'legacy_seresnet50', // bottlenecks, Caffe layout
    'seresnet20', // CIFAR ResNet, zero-padding shortcuts
    'seresnet164', // pre-activation bottlenecks
    'se_wrn16_8', // wide pre-activation blocks
  ];
  it('names registered models', () => {
    const registered = listModels((info) => info.package === '@se/resnet').map((info) => info.name);
    for (const name of names) expect(registered).toContain(name);
  });
  for (const name of names) {
    it(`${name}: finite loss, no leaked tensors`, async () => {
      const model = createModel(name, { inputShape: [32, 32, 3], classes: 10 });
      const { losses, afterStep2, afterStep3 } = await threeSteps(model);
      for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
      expect(afterStep3).toBe(afterStep2);
      model.dispose();
    });
  }
});

describe('one training step of an SE model of every other family on wasm (batch 2)', () => {
  // The smallest input each accepts near 32² (BN-Inception: 31–38; Inception-v3, -ResNet-v2: ≥ 75).
  const models: [string, number][] = [
    ['legacy_seresnext26_32x4d', 32],
    ['se_bninception', 31],
    ['se_inception_v3', 75],
    ['se_inception_resnet_v2', 75],
    ['se_mobilenetv1_100', 32],
    ['se_shufflenet_v1_g3', 32],
    ['se_vgg16_bn', 32],
  ];
  for (const [name, size] of models) {
    it(`${name} at ${size}²: finite loss, no leaked tensors`, async () => {
      const model = createModel(name as ModelName, { inputShape: [size, size, 3], classes: 10 });
      const { losses, afterStep2, afterStep3 } = await threeSteps(model);
      for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
      expect(afterStep3).toBe(afterStep2);
      model.dispose();
    });
  }
});

describe('the small SE CNN', () => {
  it('trains: the loss falls on a fixed batch, with no leaked tensors', async () => {
    const model = smallSeCnn();
    const { losses, afterStep2, afterStep3 } = await threeSteps(model, 4);
    for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
    expect(afterStep3).toBe(afterStep2);
    // Same batch again and again: SGD must make progress.
    const more = await threeSteps(model, 4);
    expect(more.losses[2]).toBeLessThan(losses[0] as number);
    model.dispose();
  });
});
