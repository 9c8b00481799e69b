// `se-zoo bench` on the webgpu backend, end to end: WebGPU in Node (Dawn) cannot read a tensor
// synchronously, so any dataSync() left in training, evaluation, checkpoints or the speed
// estimate fails here. Runs on any adapter (in CI: Mesa's lavapipe); skipped without one.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installNodeWebGPU, setBackend, webgpuAdapterAvailable } from '@se/backends';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { benchCommand } from '../src/commands/bench.js';

const adapter = (await installNodeWebGPU()) && (await webgpuAdapterAvailable());
if (!adapter) console.warn('webgpu.test.ts: SKIPPED, no WebGPU adapter (Dawn + a Vulkan driver)');

let dir = '';
afterAll(async () => {
  await tf.setBackend('cpu');
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!adapter)('se-zoo bench on WebGPU', () => {
  it('trains, evaluates, checkpoints and reports both variants', { timeout: 240_000 }, async () => {
    await setBackend('webgpu', { quiet: true });
    dir = await mkdtemp(join(tmpdir(), 'se-zoo-webgpu-'));
    const { summary } = await benchCommand({
      dataset: 'synthetic',
      models: 'cnn',
      seeds: 1,
      epochs: 1,
      batch: 16,
      trainLimit: 32,
      testLimit: 32,
      out: dir,
      log: () => {},
    });
    expect(summary.backend).toBe('webgpu');
    expect(summary.failures).toEqual([]);
    expect(summary.runs.map((r) => r.id)).toEqual(['cnn-plain-seed1', 'se_cnn-se-seed1']);
    for (const run of summary.runs) {
      // Accuracies are whole numbers of the 32 test images.
      expect(run.testAccuracy * 32).toBeCloseTo(Math.round(run.testAccuracy * 32), 9);
      expect(Number.isFinite(run.testLoss)).toBe(true);
      expect(existsSync(join(dir, 'runs', run.id, 'checkpoint.safetensors'))).toBe(true);
    }
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  });
});
