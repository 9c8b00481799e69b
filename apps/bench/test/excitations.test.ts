import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '@se/backends';
import { SqueezeExcite } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { excitationsCommand } from '../src/commands/excitations.js';
import { evalCommand, trainCommand } from '../src/commands/train.js';
import { batches } from '../src/data/batches.js';
import type { Dataset } from '../src/data/dataset.js';
import { syntheticDataset } from '../src/data/synthetic.js';
import {
  type ExcitationReport,
  excitationStatistics,
  parseClasses,
  seBlocks,
  selectBlocks,
  stageOf,
  withoutLastStageSE,
} from '../src/experiment/excitations.js';
import { readJsonFile } from '../src/files.js';
import { openRun } from '../src/train/open.js';
import { evaluate } from '../src/train/trainer.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Three 2×2×2 images; channel 0 carries the signal, channel 1 is ignored by the weights below.
 * Mean 0 and std 1 make the network see pixel / 255.
 */
function handDataset(): Dataset {
  const image = (c0: number[], c1: number[]) => c0.flatMap((v, i) => [v, c1[i] ?? 0]);
  const images = Uint8Array.from([
    ...image([255, 255, 255, 255], [7, 7, 7, 7]), // class 0, mean channel 0 = 1
    ...image([0, 0, 255, 255], [0, 99, 0, 0]), // class 0, mean channel 0 = 0.5
    ...image([0, 0, 0, 0], [255, 255, 255, 255]), // class 1, mean channel 0 = 0
  ]);
  const set = {
    images,
    labels: Uint8Array.from([0, 0, 1]),
    count: 3,
    height: 2,
    width: 2,
    channels: 2,
  };
  return {
    name: 'hand',
    classes: 2,
    classNames: ['zero', 'one'],
    train: set,
    test: set,
    mean: [0, 0],
    std: [1, 1],
    source: 'hand-made',
  };
}

describe('excitation statistics', () => {
  it('equal the hand-computed gate values of a block with hand-set weights', async () => {
    const input = tf.input({ shape: [2, 2, 2] });
    const se = new SqueezeExcite({ name: 'layer1.0.se', reduction: 2, fc: 'dense' });
    const out = tf.layers.flatten().apply(se.apply(input)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    expect(se.weights.map((w) => w.originalName)).toEqual([
      'layer1.0.se/fc1/kernel',
      'layer1.0.se/fc2/kernel',
      'layer1.0.se/fc1/bias',
      'layer1.0.se/fc2/bias',
    ]);
    // h = relu(mean of channel 0); gate = σ([2h, −h + 0.5]).
    se.setWeights([
      tf.tensor2d([[1], [0]]),
      tf.tensor2d([[2, -1]]),
      tf.tensor1d([0]),
      tf.tensor1d([0, 0.5]),
    ]);
    const dataset = handDataset();
    const [block] = await excitationStatistics(model, dataset.test, dataset, {
      classes: [1, 0],
      batchSize: 2,
    });
    if (!block) throw new Error('no block');
    expect(block.name).toBe('layer1.0.se');
    expect(block.stage).toBe(1);
    expect(block.channels).toBe(2);
    const [one, zero] = block.classes;
    expect(zero?.index).toBe(0);
    expect(zero?.name).toBe('zero');
    expect(zero?.count).toBe(2);
    // Class 0: h = 1 and h = 0.5.
    expect(zero?.mean[0]).toBeCloseTo((sigmoid(2) + sigmoid(1)) / 2, 6);
    expect(zero?.mean[1]).toBeCloseTo((sigmoid(-0.5) + sigmoid(0)) / 2, 6);
    expect(zero?.std[0]).toBeCloseTo((sigmoid(2) - sigmoid(1)) / 2, 6);
    // Class 1: h = 0.
    expect(one?.count).toBe(1);
    expect(one?.mean[0]).toBeCloseTo(0.5, 6);
    expect(one?.mean[1]).toBeCloseTo(sigmoid(0.5), 6);
    expect(one?.std).toEqual([0, 0]);
    expect(block.all.count).toBe(3);
    expect(block.all.mean[0]).toBeCloseTo((sigmoid(2) + sigmoid(1) + 0.5) / 3, 6);
    model.dispose();
  });

  it('names blocks, stages and classes', () => {
    expect(stageOf('layer3.1.se')).toBe(3);
    expect(stageOf('layer12.0.se_module')).toBe(12);
    expect(stageOf('se')).toBeNull();
    const dataset = syntheticDataset({ classes: 4, trainCount: 4, testCount: 4 });
    expect(parseClasses(undefined, dataset)).toEqual([0, 1, 2, 3]);
    expect(parseClasses('3, class 1', dataset)).toEqual([3, 1]);
    expect(() => parseClasses('7', dataset)).toThrow(
      "--classes: '7' is neither a class index 0–3 nor one of class 0, class 1, class 2, class 3",
    );
  });
});

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'se-zoo-excitations-'));
});
afterAll(async () => {
  await tf.setBackend('cpu');
  await rm(dir, { recursive: true, force: true });
});

describe('se-zoo excitations on a trained run', () => {
  it('writes statistics and a report, and drops the last stage exactly as identity gates', {
    timeout: 180_000,
  }, async () => {
    await setBackend('wasm', { quiet: true });
    const out = join(dir, 'run');
    await trainCommand({
      model: 'seresnet20',
      dataset: 'synthetic',
      epochs: 1,
      batch: 16,
      trainLimit: 32,
      testLimit: 32,
      out,
    });
    const lines: string[] = [];
    const { report, dir: reportDir } = await excitationsCommand({
      model: join(out, 'checkpoint.safetensors'),
      classes: '0,2',
      testLimit: 64,
      log: (l) => lines.push(l),
    });
    expect(report.blocks.map((b) => b.name)).toEqual(
      [1, 2, 3].flatMap((s) => [0, 1, 2].map((u) => `layer${s}.${u}.se`)),
    );
    expect(report.blocks.map((b) => b.channels)).toEqual([16, 16, 16, 32, 32, 32, 64, 64, 64]);
    for (const block of report.blocks) {
      expect(block.classes.map((c) => [c.index, c.count])).toEqual([
        [0, 16],
        [2, 16],
      ]);
      expect(block.all.count).toBe(64);
      for (const m of block.all.mean) {
        expect(m).toBeGreaterThan(0);
        expect(m).toBeLessThan(1);
      }
    }
    expect(report.identity.stage).toBe(3);
    expect(report.identity.removed).toEqual(['layer3.0.se', 'layer3.1.se', 'layer3.2.se']);
    expect(report.identity.paramsAll - report.identity.paramsWithoutLastStage).toBe(3 * 580);
    expect(lines[1]).toMatch(
      /^Test accuracy with all SE blocks \d+\.\d\d %; with the 3 SE blocks of stage 3 \(layer3\.0\.se, layer3\.1\.se, layer3\.2\.se\) replaced by the identity \d+\.\d\d % \([+-]\d+\.\d\d pp\), 1,740 parameters fewer$/,
    );
    const saved = await readJsonFile<ExcitationReport>(join(reportDir, 'excitations.json'), '');
    expect(saved.identity).toEqual(report.identity);
    const html = await readFile(join(reportDir, 'excitations.html'), 'utf8');
    expect(html.match(/<svg/g)?.length).toBe(9);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);

    // The accuracy with all blocks is the checkpoint's (eval reads all 128 test images).
    const whole = await excitationsCommand({ model: out, blocks: 'layer3', log: () => {} });
    expect(whole.report.blocks.map((b) => b.name)).toEqual([
      'layer3.0.se',
      'layer3.1.se',
      'layer3.2.se',
    ]);
    expect(whole.report.identity.accuracyAll).toBe((await evalCommand(out)).accuracy);

    // Independently: gates forced to exactly 1 (fc2 kernel 0, bias 1e4 → σ = 1) give the same
    // logits as the network rebuilt without the last stage's SE blocks.
    const run = await openRun(out);
    const reduced = withoutLastStageSE(run.model, run.spec, run.dataset);
    for (const block of selectBlocks(seBlocks(run.model), ['layer3'])) {
      const [k1, k2, b1, b2] = block.getWeights();
      block.setWeights([
        k1 as tf.Tensor,
        tf.zerosLike(k2 as tf.Tensor),
        b1 as tf.Tensor,
        tf.fill((b2 as tf.Tensor).shape, 1e4),
      ]);
    }
    const [batch] = batches(run.dataset.test, run.dataset, { batchSize: 32 });
    if (!batch) throw new Error('no batch');
    const gated = (run.model.predict(batch.x) as tf.Tensor).dataSync();
    const rebuilt = (reduced.model.predict(batch.x) as tf.Tensor).dataSync();
    expect(Math.max(...gated.map((v, i) => Math.abs(v - (rebuilt[i] ?? Number.NaN))))).toBeLessThan(
      1e-5,
    );
    expect((await evaluate(run.model, run.dataset.test, run.dataset)).accuracy).toBe(
      whole.report.identity.accuracyWithoutLastStage,
    );
    expect(() => selectBlocks(seBlocks(run.model), ['layer4'])).toThrow(
      /^no SE block matches 'layer4'; the model's blocks are layer1\.0\.se, /,
    );
    tf.dispose([batch.x, batch.y]);
    reduced.model.dispose();
    run.model.dispose();
  });
});
