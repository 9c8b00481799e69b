import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '@se/backends';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchCommand, reportCommand } from '../src/commands/bench.js';
import { type BenchSummary, pairOf, resolvePlan } from '../src/experiment/bench.js';

let dir = '';
beforeAll(async () => {
  // Training runs on the wasm backend with SE Zoo's kernels: the cpu backend's convolution
  // gradients take seconds per step even on these tiny models.
  await setBackend('wasm', { quiet: true });
  dir = await mkdtemp(join(tmpdir(), 'se-zoo-bench-'));
});
afterAll(async () => {
  await tf.setBackend('cpu');
  await rm(dir, { recursive: true, force: true });
});

describe('se-zoo bench, end to end on a tiny synthetic dataset', () => {
  it('trains both variants for every seed and writes coherent results and a report', {
    timeout: 300_000,
  }, async () => {
    const lines: string[] = [];
    const out = join(dir, 'quick');
    const options = {
      dataset: 'synthetic',
      models: 'cnn',
      seeds: 2,
      epochs: 1,
      batch: 16,
      trainLimit: 32,
      testLimit: 32,
      out,
      log: (l: string) => lines.push(l),
    };
    const { summary } = await benchCommand(options);
    expect(lines[0]).toBe(
      'Dataset synthetic: 32 training and 32 test images of 16×16×1 (synthetic (seed 1))',
    );
    expect(lines[2]).toBe(
      'Recipe of cnn / se_cnn: keras-cifar10-cnn (batch 16): RMSprop ρ 0.9 ε 1e-7, learning rate 0.001 (constant), weight decay 0, batch 16, pad-3 random crops and horizontal flips',
    );
    expect(lines[3]).toMatch(
      /^Estimated time: \d+(s|m\d\ds) \(cnn \d+ img\/s, se_cnn \d+ img\/s\)/,
    );
    expect(summary.runs.map((r) => r.id)).toEqual([
      'cnn-plain-seed1',
      'se_cnn-se-seed1',
      'cnn-plain-seed2',
      'se_cnn-se-seed2',
    ]);
    const [pair] = summary.pairs;
    if (!pair) throw new Error('no pair');
    const acc = (model: string) =>
      summary.runs.filter((r) => r.spec.model === model).map((r) => r.testAccuracy);
    const [p1 = 0, p2 = 0] = acc('cnn');
    const [s1 = 0, s2 = 0] = acc('se_cnn');
    expect(pair.accuracy.plain.mean).toBeCloseTo((p1 + p2) / 2, 12);
    expect(pair.difference.mean).toBeCloseTo((s1 - p1 + s2 - p2) / 2, 12);
    expect(pair.difference.n).toBe(2);
    // Accuracies are whole numbers of the 32 test images.
    for (const a of [p1, p2, s1, s2]) expect(a * 32).toBeCloseTo(Math.round(a * 32), 9);
    // 16×16×1 → 12×12 after the unpadded convolutions: dense 2·2·64·512; SE adds 2·162 + 2·580.
    expect(pair.params.se - pair.params.plain).toBe(2 * 162 + 2 * 580);
    expect(pair.seeds).toEqual([1, 2]);
    const saved = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as BenchSummary;
    expect(saved.pairs).toEqual(summary.pairs);
    expect(saved.backend).toBe('wasm');
    for (const r of summary.runs) {
      const metrics = (await readFile(join(out, 'runs', r.id, 'metrics.jsonl'), 'utf8'))
        .trim()
        .split('\n');
      expect(metrics.length).toBe(1);
      expect(existsSync(join(out, 'runs', r.id, 'checkpoint.safetensors'))).toBe(true);
    }
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html.match(/<svg/g)?.length).toBe(4);
    expect(html).toMatch(
      /backend <b>(cpu|wasm)<\/b> on [^,]+, dtype float32, 1 epochs, seeds 1, 2/,
    );
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);

    // Rerunning (with or without --resume) skips every finished run; `report` re-renders the
    // same comparison. --resume where nothing ran is an error, not a fresh start.
    const again = await benchCommand({ ...options, resume: true, log: () => {} });
    expect(again.summary.runs.map((r) => r.finishedAt)).toEqual(
      summary.runs.map((r) => r.finishedAt),
    );
    const rerendered = await reportCommand(out);
    expect(rerendered.pairs).toEqual(summary.pairs);
    await expect(benchCommand({ ...options, epochs: 2, log: () => {} })).rejects.toThrow(
      /holds results of a different plan \(saved → asked\):\n {2}plan\.epochs: 1 → 2\n/,
    );
    await expect(
      benchCommand({ ...options, out: join(dir, 'never-ran'), resume: true, log: () => {} }),
    ).rejects.toThrow(/--resume: .*never-ran holds no earlier run \(no bench\.json\)/);
    expect(existsSync(join(dir, 'never-ran'))).toBe(false);
  });

  it('a run whose loss becomes NaN fails alone and is reported', { timeout: 300_000 }, async () => {
    const out = join(dir, 'nan');
    const { summary } = await benchCommand({
      dataset: 'synthetic',
      models: 'cnn',
      seeds: 1,
      epochs: 1,
      batch: 16,
      trainLimit: 32,
      testLimit: 16,
      lr: 1e30,
      out,
      log: () => {},
    });
    expect(summary.failures.map((f) => f.id)).toEqual(['cnn-plain-seed1', 'se_cnn-se-seed1']);
    expect(summary.failures[0]?.error).toMatch(
      /^loss became (NaN|Infinity) in cnn-plain-seed1 \(model cnn, seed 1\) at step \d+; lower the learning rate \(--lr\)$/,
    );
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('failed: loss became');
  });
});

describe('plans', () => {
  it('pairs each model with its twin and validates numbers', () => {
    expect(pairOf('seresnet20')).toEqual({ plain: 'resnet20', se: 'seresnet20' });
    expect(pairOf('resnet56')).toEqual({ plain: 'resnet56', se: 'seresnet56' });
    expect(() => pairOf('legacy_seresnet50')).toThrow(
      "--models: 'legacy_seresnet50' has no registered SE/plain twin",
    );
    expect(resolvePlan({ seeds: 3, epochs: 4 }).seeds).toEqual([1, 2, 3]);
    expect(resolvePlan({ full: true }).trainLimit).toBeUndefined();
  });
});
