// Pretrained weights end to end, against a local server that answers like the Hugging Face Hub
// (CI has no network): a random ResNet-18 exported as timm would publish it stands in for
// timm/resnet18.a1_in1k.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setBackend } from '@se/backends';
import {
  classify,
  createModel,
  exportPyTorchWeights,
  HubError,
  IMAGENET_CLASSES,
  loadModel,
  NoPretrainedWeightsError,
} from '@se/core';
import { type HubServer, startHubServer } from '@se/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/zoo.js';
import type { PredictJson } from '../src/commands/predict.js';
import { createProgram } from '../src/program.js';

const PHOTO = fileURLToPath(
  new URL('../../../packages/core/test/fixtures/preprocess/photo.jpg', import.meta.url),
);
const REPO = 'timm/resnet18.a1_in1k';

let dir = '';
let server: HubServer;
let source: tf.LayersModel;
const hub = () => ({ endpoint: server.endpoint, cacheDir: join(dir, 'cache') });

beforeAll(async () => {
  await setBackend('wasm', { quiet: true });
  dir = await mkdtemp(join(tmpdir(), 'se-zoo-pretrained-'));
  server = await startHubServer();
  // timm's state_dict of a ResNet-18 (logits out), as the Hub holds it.
  source = createModel('resnet18', { classifierActivation: 'linear' });
  server.addFile(REPO, 'model.safetensors', exportPyTorchWeights(source), { redirect: true });
});
afterAll(async () => {
  source.dispose();
  await server.close();
  await tf.setBackend('cpu');
  await rm(dir, { recursive: true, force: true });
});

describe('loadModel against a Hub-shaped server', () => {
  it('downloads, checks and caches the weights; the model predicts as the source', {
    timeout: 300_000,
  }, async () => {
    const progress: number[] = [];
    const { model, config } = await loadModel('resnet18.a1_in1k', {
      hub: { ...hub(), onProgress: (p) => progress.push(p.loaded / (p.total ?? Number.NaN)) },
    });
    expect(config.name).toBe('resnet18.a1_in1k');
    expect(progress.at(-1)).toBe(1);
    const x = tf.randomNormal([1, 224, 224, 3]);
    const expected = tf.softmax(source.predict(x) as tf.Tensor);
    const got = model.predict(x) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(expected, got))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, expected, got]);
    model.dispose();
  });

  it('loads from the cache with the server gone, and offline', { timeout: 300_000 }, async () => {
    const requests = server.requests.length;
    const { model } = await loadModel('resnet18', { hub: { ...hub(), offline: true } });
    expect(server.requests.length).toBe(requests);
    model.dispose();
    await expect(
      loadModel('resnet18', { hub: { ...hub(), cacheDir: join(dir, 'empty'), offline: true } }),
    ).rejects.toThrow(
      /^model\.safetensors of timm\/resnet18\.a1_in1k is not cached \(.*\) and the Hub is off limits \(HF_HUB_OFFLINE=1 or offline: true\)\. Fill the cache with `se-zoo download resnet18`/,
    );
  });

  it('another number of classes keeps the backbone and gives a fresh head', {
    timeout: 300_000,
  }, async () => {
    const { model } = await loadModel('resnet18.a1_in1k', { hub: hub(), classes: 10 });
    const conv = (m: tf.LayersModel) => m.getLayer('conv1').getWeights()[0]?.dataSync();
    expect(Array.from(conv(model) ?? [])).toEqual(Array.from(conv(source) ?? []));
    expect(model.getLayer('fc').getWeights()[0]?.shape).toEqual([512, 10]);
    model.dispose();
  });

  it('names the repository and the fault; nothing is cached', { timeout: 300_000 }, async () => {
    const cacheDir = join(dir, 'faults');
    await expect(loadModel('resnet18.a2_in1k', { hub: { ...hub(), cacheDir } })).rejects.toThrow(
      HubError,
    );
    await expect(loadModel('resnet18.a2_in1k', { hub: { ...hub(), cacheDir } })).rejects.toThrow(
      `401 Unauthorized: ${server.endpoint}/timm/resnet18.a2_in1k/resolve/main/model.safetensors`,
    );
    // Weights of another network: refused before anything reaches the cache.
    const other = createModel('resnet34', { classifierActivation: 'linear' });
    server.addFile('timm/resnet18.a3_in1k', 'model.safetensors', exportPyTorchWeights(other));
    other.dispose();
    await expect(loadModel('resnet18.a3_in1k', { hub: { ...hub(), cacheDir } })).rejects.toThrow(
      /the weights do not fit resnet18: the file has keys the model lacks: layer1\.2\.conv1\.weight/,
    );
    const cached = existsSync(cacheDir) ? await readdir(cacheDir, { recursive: true }) : [];
    expect(cached.filter((f) => String(f).endsWith('model.safetensors'))).toEqual([]);
  });

  it('an unknown tag lists the tags; a model without weights says so', async () => {
    await expect(loadModel('resnet18.in1k')).rejects.toThrow(
      /^Invalid pretrained: "resnet18\.in1k"\. Expected one of resnet18's tags: 'a1_in1k', /,
    );
    await expect(loadModel('seresnet18')).rejects.toThrow(NoPretrainedWeightsError);
  });
});

describe('classify and se-zoo predict', () => {
  it('gives each image its top classes with ImageNet labels', { timeout: 300_000 }, async () => {
    const loaded = await loadModel('resnet18', { hub: hub() });
    const [top] = await classify(loaded, [PHOTO], { topK: 3 });
    loaded.model.dispose();
    expect(top?.length).toBe(3);
    for (const p of top ?? []) expect(p.label).toBe(IMAGENET_CLASSES[p.index]);
    const probabilities = (top ?? []).map((p) => p.probability);
    expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));
  });

  it('predict --json prints only the model and the predictions', { timeout: 300_000 }, async () => {
    const env = { HF_ENDPOINT: process.env.HF_ENDPOINT, SE_ZOO_CACHE: process.env.SE_ZOO_CACHE };
    process.env.HF_ENDPOINT = server.endpoint;
    process.env.SE_ZOO_CACHE = join(dir, 'cache');
    const printed: string[] = [];
    const log = console.log;
    console.log = (...parts: unknown[]) => printed.push(parts.join(' '));
    try {
      await createProgram((p) => p.exitOverride()).parseAsync(
        [
          '--backend',
          'wasm',
          'predict',
          PHOTO,
          PHOTO,
          '--model',
          'resnet18',
          '--top',
          '2',
          '--json',
        ],
        { from: 'user' },
      );
    } finally {
      console.log = log;
      for (const [key, value] of Object.entries(env)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    expect(printed.length).toBe(1);
    const result = JSON.parse(printed[0] ?? '') as PredictJson;
    expect(result.model).toBe('resnet18.a1_in1k');
    expect(result.predictions.length).toBe(2);
    expect(result.predictions[0]).toEqual(result.predictions[1]);
    expect(Object.keys(result.predictions[0]?.[0] ?? {})).toEqual([
      'index',
      'label',
      'probability',
    ]);
  });
});
