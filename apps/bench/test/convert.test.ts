import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '@se/backends';
import { createModel, exportPyTorchWeights } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCommand } from '../src/commands/convert.js';
import { evalCommand, trainCommand } from '../src/commands/train.js';

let dir = '';
beforeAll(async () => {
  await setBackend('wasm', { quiet: true });
  dir = await mkdtemp(join(tmpdir(), 'se-zoo-convert-'));
});
afterAll(async () => {
  await tf.setBackend('cpu');
  await rm(dir, { recursive: true, force: true });
});

describe('se-zoo convert and eval', () => {
  it('turns a timm-style safetensors file into a tfjs model that predicts the same', async () => {
    // A "timm checkpoint": the state_dict of a seresnet18 with logits, as timm would save it.
    const source = createModel('seresnet18', {
      inputShape: [32, 32, 3],
      classifierActivation: 'linear',
    });
    const file = join(dir, 'seresnet18.safetensors');
    await writeFile(file, exportPyTorchWeights(source));
    const modelJson = await convertCommand(file, 'seresnet18', join(dir, 'tfjs'), 32);
    expect(modelJson).toBe(join(dir, 'tfjs', 'model.json'));
    const loaded = await tf.loadLayersModel(`file://${modelJson}`);
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 4);
    const expected = (source.predict(x) as tf.Tensor).dataSync();
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(expected));
  });
  it('names a checkpoint that does not fit the model', async () => {
    const file = join(dir, 'resnet18.safetensors');
    await writeFile(
      file,
      exportPyTorchWeights(createModel('resnet18', { inputShape: [32, 32, 3] })),
    );
    // Eight basic blocks, each SE block with four tensors.
    await expect(convertCommand(file, 'seresnet18', join(dir, 'bad'), 32)).rejects.toThrow(
      /PyTorch weights are missing 32 tensor\(s\) the model needs: layer1\.0\.se\.fc1\.weight/,
    );
  });
  it('evaluates the checkpoint of a trained run to the accuracy the run reported', {
    timeout: 120_000,
  }, async () => {
    const out = join(dir, 'run');
    const result = await trainCommand({
      model: 'cnn',
      dataset: 'synthetic',
      epochs: 1,
      batch: 32,
      trainLimit: 64,
      testLimit: 128,
      out,
    });
    // eval reads the full synthetic test split (128 images), as the run did.
    const { accuracy, loss } = await evalCommand(out);
    expect(accuracy).toBe(result.testAccuracy);
    expect(loss).toBeCloseTo(result.testLoss, 5);
  });
});
