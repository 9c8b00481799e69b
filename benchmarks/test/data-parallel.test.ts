// Data-parallel replicas run the compiled replica script (worker threads cannot run TypeScript):
// the package's turbo `test` task builds it first.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createDataParallelTrainer, type ModelSource } from '../src/parallel/data-parallel.js';
import { relativeError } from './helpers.js';

const replicaUrl = new URL('../dist/parallel/replica.js', import.meta.url);
const built = existsSync(fileURLToPath(replicaUrl));

describe.skipIf(!built)('createDataParallelTrainer (needs `pnpm build` first)', () => {
  it('averages gradients exactly: 3 replicas train like 1 on the whole batch', async () => {
    const model: ModelSource = {
      module: new URL('./fixtures/dense-model.mjs', import.meta.url).href,
      exportName: 'denseModel',
    };
    const x = tf.randomNormal([7, 12], 0, 1, 'float32', 3);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0], 'int32'), 3);
    const optimizer = { kind: 'momentum', learningRate: 0.1, momentum: 0.9 } as const;
    const three = await createDataParallelTrainer({ model, replicas: 3, optimizer, replicaUrl });
    const one = await createDataParallelTrainer({ model, replicas: 1, optimizer, replicaUrl });
    try {
      // Uneven shares (3, 2, 2 of 7): each replica's loss is weighted by its share.
      for (let step = 0; step < 4; step++) {
        const a = await three.trainOnBatch(x, y);
        const b = await one.trainOnBatch(x, y);
        expect(Math.abs(a - b)).toBeLessThan(1e-5);
      }
      const wa = await three.getWeights();
      const wb = await one.getWeights();
      wa.forEach((w, i) => {
        expect(relativeError(w.dataSync(), (wb[i] as tf.Tensor).dataSync())).toBeLessThan(1e-5);
      });
    } finally {
      await three.dispose();
      await one.dispose();
    }
  });
  it('trains the small SE CNN (batch norm, SE) on two replicas', { timeout: 60_000 }, async () => {
    const trainer = await createDataParallelTrainer({
      model: {
        module: new URL('../dist/models.js', import.meta.url).href,
        exportName: 'smallSeCnn',
      },
      replicas: 2,
      optimizer: { kind: 'sgd', learningRate: 0.05 },
      replicaUrl,
    });
    try {
      expect(trainer.replicas).toBe(2);
      const x = tf.randomNormal([6, 32, 32, 3], 0, 1, 'float32', 3);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5], 'int32'), 10);
      const losses: number[] = [];
      for (let i = 0; i < 3; i++) losses.push(await trainer.trainOnBatch(x, y));
      for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
      expect(losses[2]).toBeLessThan(losses[0] as number);
    } finally {
      await trainer.dispose();
    }
  });
  it('reports errors from the replicas', async () => {
    await expect(
      createDataParallelTrainer({
        model: { module: '@se/core', exportName: 'noSuchBuilder' },
        replicas: 1,
        replicaUrl,
      }),
    ).rejects.toThrow(/noSuchBuilder/);
  });
});
