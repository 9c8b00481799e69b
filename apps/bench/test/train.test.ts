import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@se/vgg';
import { setBackend } from '@se/backends';
import { RECIPES } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticDataset } from '../src/data/synthetic.js';
import { recipeSpec } from '../src/experiment/bench.js';
import { type EpochMetrics, NonFiniteLossError, type RunSpec, runId } from '../src/train/run.js';
import { trainRun } from '../src/train/trainer.js';

const dataset = syntheticDataset({ classes: 4, trainCount: 32, testCount: 16, size: 12, seed: 3 });
const spec: RunSpec = {
  ...recipeSpec(RECIPES['he2016-cifar'], { model: 'se_cnn', se: true, seed: 5, epochs: 2 }),
  batchSize: 16,
  learningRate: 0.05,
  augment: { padCrop: 1, flip: true },
};

/** Stops a run after `epochs` epochs of this call, as a kill would (the checkpoint is written). */
class Killed extends Error {}
const killAfter = (epochs: number) => {
  let done = 0;
  return () => {
    done++;
    if (done >= epochs) throw new Killed();
  };
};

let dir = '';
beforeAll(async () => {
  // Training runs on the wasm backend with SE Zoo's kernels: the cpu backend's convolution
  // gradients take seconds per step even on these tiny models.
  await setBackend('wasm', { quiet: true });
  dir = await mkdtemp(join(tmpdir(), 'se-zoo-train-'));
});
afterAll(async () => {
  await tf.setBackend('cpu');
  await rm(dir, { recursive: true, force: true });
});

const lines = async (path: string) =>
  (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as EpochMetrics);

describe('training runs that survive a crash', () => {
  it('a run killed after epoch 1 resumes and ends exactly as an uninterrupted run', {
    timeout: 180_000,
  }, async () => {
    const whole = await trainRun(spec, dataset, join(dir, 'whole'));
    expect(whole.history.map((m) => m.epoch)).toEqual([1, 2]);
    expect(whole.id).toBe('se_cnn-se-seed5');

    const killed = join(dir, 'killed');
    await expect(trainRun(spec, dataset, killed, { onEpoch: killAfter(1) })).rejects.toThrow(
      Killed,
    );
    expect(existsSync(join(killed, 'final.json'))).toBe(false);
    const kept = await lines(join(killed, 'metrics.jsonl'));
    expect(kept).toEqual(
      [whole.history[0]].map((m) => ({
        ...m,
        imagesPerSecond: kept[0]?.imagesPerSecond,
        seconds: kept[0]?.seconds,
      })),
    );

    const resumed = await trainRun(spec, dataset, killed);
    const strip = (m: EpochMetrics) => ({ ...m, imagesPerSecond: 0, seconds: 0 });
    expect(resumed.history.map(strip)).toEqual(whole.history.map(strip));
    expect(resumed.testAccuracy).toBe(whole.testAccuracy);
    expect(resumed.testLoss).toBe(whole.testLoss);
    // The finished epoch 1 was kept, not recomputed: its timing is the killed run's.
    expect(resumed.history[0]?.seconds).toBe(kept[0]?.seconds);
    // A finished run is never recomputed.
    const again = await trainRun(spec, dataset, killed);
    expect(again.finishedAt).toBe(resumed.finishedAt);
  });

  it('the counts in final.json are coherent', async () => {
    const final = JSON.parse(await readFile(join(dir, 'whole', 'final.json'), 'utf8'));
    // conv 10 + 9,248 + 18,496 + 36,928 (12×12 → 1·1·64 after the blocks), dense 64·512 + 512,
    // classifier 512·4 + 4, SE 2·162 + 2·580.
    expect(final.params).toBe(
      320 + 9248 + 18496 + 36928 + 64 * 512 + 512 + 512 * 4 + 4 + 2 * 162 + 2 * 580,
    );
    expect(final.inputShape).toEqual([12, 12, 1]);
    expect(final.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(final.testAccuracy).toBeLessThanOrEqual(1);
    expect(final.testAccuracy * 16).toBeCloseTo(Math.round(final.testAccuracy * 16), 6);
  });

  it('a NaN loss stops the run naming model, seed and step', async () => {
    // A learning rate of 1e30 makes the weights explode: steps 1 and 2 have finite losses, step 3 not.
    const diverging = { ...spec, seed: 9, learningRate: 1e30 };
    const run = trainRun(diverging, dataset, join(dir, 'nan'));
    await expect(run).rejects.toThrow(NonFiniteLossError);
    await expect(trainRun(diverging, dataset, join(dir, 'nan2'))).rejects.toThrow(
      /^loss became (NaN|Infinity) in se_cnn-se-seed9 \(model se_cnn, seed 9\) at step 3; lower the learning rate \(--lr\)$/,
    );
    expect(runId({ model: 'cnn', se: false, seed: 1 })).toBe('cnn-plain-seed1');
  });

  it('holds no more tensors after many steps than after the first', async () => {
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    await trainRun({ ...spec, epochs: 2, batchSize: 8, seed: 11 }, dataset, join(dir, 'leak'), {
      onStep: () => counts.push(tf.memory().numTensors),
    });
    expect(counts.length).toBe(8);
    // A step is reported while the next one's loss and hit count (2 scalars) are being read,
    // except an epoch's last: steps 2–4 of each epoch hold the same tensors, the last 2 fewer.
    expect(counts.slice(5)).toEqual(counts.slice(1, 4));
    expect(new Set(counts.slice(1, 3)).size).toBe(1);
    expect(counts[3]).toBe((counts[2] ?? 0) - 2);
    // Everything the run made is freed with its model and optimizer.
    expect(tf.memory().numTensors).toBe(before);
  });
});
