import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '@se/backends';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ablateCommand } from '../src/commands/ablate.js';
import { excitationsCommand } from '../src/commands/excitations.js';
import { batches } from '../src/data/batches.js';
import { syntheticDataset } from '../src/data/synthetic.js';
import {
  type AblationSummary,
  ablationRuns,
  countVariants,
  resolveAblationPlan,
  type VariantCount,
} from '../src/experiment/ablation.js';
import { formatStudyList, getStudy, STUDY_NAMES } from '../src/experiment/studies.js';

// CIFAR ResNet-20 at 32×32×3 with 10 classes (He et al.; torchvision-style count, no BN stats).
const RESNET20 = 269_722;
// Its nine residual units: three per stage at 16, 32 and 64 channels and 32², 16², 8² positions.
const UNITS = [16, 16, 16, 32, 32, 32, 64, 64, 64];
const SIDE = [32, 32, 32, 16, 16, 16, 8, 8, 8];
// The units' input channels (SE-PRE): the first unit of stages 2 and 3 takes the narrower width.
const UNIT_INPUTS = [16, 16, 16, 16, 32, 32, 32, 64, 64];

/** One SE block: FC C → max(1, ⌊C/r⌋) and back to C, with biases. */
const seParams = (c: number, r: number, bias = true) => {
  const h = Math.max(1, Math.floor(c / r));
  return 2 * c * h + (bias ? h + c : 0);
};
const seMacs = (c: number, r: number) => 2 * c * Math.max(1, Math.floor(c / r));
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

const cifar = syntheticDataset({ classes: 10, size: 32, channels: 3, trainCount: 1, testCount: 1 });
let plainMacs = 0;

function counts(study: string, bias?: boolean): Map<string, VariantCount> {
  const plan = resolveAblationPlan({ study, ...(bias === false ? { bias } : {}) });
  return new Map(countVariants(plan, cifar).map((c) => [c.key, c]));
}
const paramsOf = (c: VariantCount | undefined) => (c && 'params' in c ? c.params : Number.NaN);
const macsOf = (c: VariantCount | undefined) => (c && 'macs' in c ? c.macs : Number.NaN);

describe('each study builds the models of its table', () => {
  it('reduction: SE adds Σ 2·C·h + h + C with h = max(1, ⌊C/r⌋), r = 32 included', () => {
    const c = counts('reduction');
    expect(paramsOf(c.get('plain'))).toBe(RESNET20);
    plainMacs = macsOf(c.get('plain'));
    for (const r of [2, 4, 8, 16, 32]) {
      expect(paramsOf(c.get(`r${r}`))).toBe(RESNET20 + sum(UNITS.map((ch) => seParams(ch, r))));
      expect(macsOf(c.get(`r${r}`))).toBe(plainMacs + sum(UNITS.map((ch) => seMacs(ch, r))));
    }
    // r = 16: 3·(2·16·1 + 1 + 16) + 3·(2·32·2 + 2 + 32) + 3·(2·64·4 + 4 + 64) = 2,373.
    expect(paramsOf(c.get('r16'))).toBe(RESNET20 + 2_373);
    // r = 32: hidden widths 1, 1, 2 → 3·(32 + 1 + 16) + 3·(64 + 1 + 32) + 3·(256 + 2 + 64) = 1,404.
    expect(paramsOf(c.get('r32'))).toBe(RESNET20 + 1_404);
    // The paper drops the FC biases on ResNets (§6): 2·C·⌊C/r⌋ alone.
    const noBias = counts('reduction', false);
    expect(paramsOf(noBias.get('r4'))).toBe(
      RESNET20 + sum(UNITS.map((ch) => seParams(ch, 4, false))),
    );
    expect(paramsOf(noBias.get('plain'))).toBe(RESNET20);
  });

  it('squeeze: NoSqueeze has SE’s parameters and H·W times its MACs', () => {
    const c = counts('squeeze');
    const se = RESNET20 + sum(UNITS.map((ch) => seParams(ch, 16)));
    expect(paramsOf(c.get('plain'))).toBe(RESNET20);
    for (const key of ['nosqueeze', 'max', 'avg']) expect(paramsOf(c.get(key))).toBe(se);
    expect(macsOf(c.get('avg'))).toBe(plainMacs + sum(UNITS.map((ch) => seMacs(ch, 16))));
    expect(macsOf(c.get('max'))).toBe(macsOf(c.get('avg')));
    expect(macsOf(c.get('nosqueeze'))).toBe(
      plainMacs + sum(UNITS.map((ch, i) => seMacs(ch, 16) * (SIDE[i] ?? 0) ** 2)),
    );
  });

  it('excitation and 3×3: the gate and the position change no count on basic blocks', () => {
    const se = RESNET20 + sum(UNITS.map((ch) => seParams(ch, 16)));
    const gates = counts('excitation');
    for (const key of ['relu', 'tanh', 'sigmoid']) expect(paramsOf(gates.get(key))).toBe(se);
    const threeByThree = counts('3x3');
    expect(paramsOf(threeByThree.get('3x3'))).toBe(se);
    expect(macsOf(threeByThree.get('3x3'))).toBe(macsOf(threeByThree.get('standard')));
  });

  it('stages: SE in one stage adds only that stage’s blocks', () => {
    const c = counts('stages');
    const stage = (s: number) => 3 * seParams([16, 32, 64][s - 1] ?? 0, 16);
    expect(paramsOf(c.get('plain'))).toBe(RESNET20);
    expect(paramsOf(c.get('stage1'))).toBe(RESNET20 + stage(1)); // + 3·49
    expect(paramsOf(c.get('stage2'))).toBe(RESNET20 + stage(2)); // + 3·162
    expect(paramsOf(c.get('stage3'))).toBe(RESNET20 + stage(3)); // + 3·580
    expect(paramsOf(c.get('all'))).toBe(RESNET20 + stage(1) + stage(2) + stage(3));
  });

  it('integration: SE-PRE takes the units’ input widths, POST and Identity their outputs', () => {
    const c = counts('integration');
    const standard = RESNET20 + sum(UNITS.map((ch) => seParams(ch, 16)));
    expect(paramsOf(c.get('standard'))).toBe(standard);
    expect(paramsOf(c.get('post'))).toBe(standard);
    expect(paramsOf(c.get('identity'))).toBe(standard);
    // 2,373 − (580 − 162) − (162 − 49) = 1,842.
    expect(paramsOf(c.get('pre'))).toBe(RESNET20 + sum(UNIT_INPUTS.map((ch) => seParams(ch, 16))));
    expect(paramsOf(c.get('pre'))).toBe(RESNET20 + 1_842);
  });

  it('--image-size resizes every batch and builds the models at that size', () => {
    const data = syntheticDataset({ classes: 4, size: 16, trainCount: 2, testCount: 2 });
    const [batch] = batches(data.train, data, { batchSize: 2, imageSize: 24 });
    expect(batch?.x.shape).toEqual([2, 24, 24, 1]);
    tf.dispose([batch?.x as tf.Tensor, batch?.y as tf.Tensor]);
    const plain = (imageSize?: number) => {
      const plan = resolveAblationPlan({ study: 'stages', ...(imageSize ? { imageSize } : {}) });
      return macsOf(countVariants({ ...plan, variants: plan.variants.slice(0, 1) }, data)[0]);
    };
    // Every feature map grows by (24/16)² (16→8→4 becomes 24→12→6); the classifier, 64·4, not.
    expect(plain(24) - 256).toBe(2.25 * (plain() - 256));
  });

  it('lists the studies and names them in the error for an unknown one', async () => {
    expect(STUDY_NAMES).toEqual([
      'reduction',
      'squeeze',
      'excitation',
      'stages',
      'integration',
      '3x3',
    ]);
    expect(formatStudyList().split('\n')[0]).toMatch(/^reduction +Table 10 +reduction ratio/);
    expect(() => getStudy('ratio')).toThrow(
      "unknown study 'ratio'; choose one of reduction, squeeze, excitation, stages, integration, 3x3",
    );
    await expect(ablateCommand({ study: 'squeeze', seeds: 0 })).rejects.toThrow(
      '--seeds must be a positive integer, got 0',
    );
    const plan = resolveAblationPlan({ study: '3x3', seeds: 2 });
    expect(ablationRuns(plan).map((s) => `${s.model}-${s.variant}-seed${s.seed}`)).toEqual([
      'seresnet20-standard-seed1',
      'seresnet20-3x3-seed1',
      'seresnet20-standard-seed2',
      'seresnet20-3x3-seed2',
    ]);
  });
});

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'se-zoo-ablate-'));
});
afterAll(async () => {
  await tf.setBackend('cpu');
  await rm(dir, { recursive: true, force: true });
});

describe('se-zoo ablate, end to end on a tiny synthetic dataset', () => {
  it('trains both rows, writes the table, summary and report, and resumes', {
    timeout: 300_000,
  }, async () => {
    // Training runs on the wasm backend with SE Zoo's kernels (the cpu backend's convolution
    // gradients take seconds per step).
    await setBackend('wasm', { quiet: true });
    const lines: string[] = [];
    const out = join(dir, '3x3');
    const options = {
      study: '3x3',
      dataset: 'synthetic',
      seeds: 1,
      epochs: 1,
      batch: 16,
      trainLimit: 32,
      testLimit: 32,
      out,
      log: (l: string) => lines.push(l),
    };
    const { summary, table } = await ablateCommand(options);
    expect(lines[0]).toBe(
      'Study 3x3 (paper Table 15: SE block after the 3×3 convolution of the residual branch) on seresnet20: SE, SE_3×3',
    );
    expect(lines[1]).toBe(
      'Dataset synthetic: 32 training and 32 test images of 16×16×1 (synthetic (seed 1))',
    );
    expect(lines[2]).toMatch(
      /; recipe he2016-cifar \(batch 16\): SGD momentum 0\.9, learning rate 0\.05 /,
    );
    expect(lines[3]).toMatch(
      /^Estimated time: \d+(s|m\d\ds) \(standard \d+ img\/s, 3x3 \d+ img\/s\)/,
    );
    expect(summary.runs.map((r) => r.id)).toEqual([
      'seresnet20-standard-seed1',
      'seresnet20-3x3-seed1',
    ]);
    const [standard, se3x3] = summary.rows;
    if (!standard || !se3x3) throw new Error('rows missing');
    expect(standard.top1Error.mean).toBe(1 - (summary.runs[0]?.testAccuracy ?? 0));
    expect(se3x3.vsReference?.mean).toBeCloseTo(
      (summary.runs[0]?.testAccuracy ?? 0) - (summary.runs[1]?.testAccuracy ?? 0),
      12,
    );
    // 16×16×1, 4 classes: conv1 has 3·3·1·16 weights and the classifier 64·4 + 4.
    const params = RESNET20 - 3 * 3 * 2 * 16 - (64 * 10 + 10) + (64 * 4 + 4) + 2_373;
    expect(standard.params).toBe(params);
    expect(summary.runs[1]?.params).toBe(params);
    expect(table).toContain('Table 15: seresnet20');
    expect(table).toMatch(/│ SE_3×3 +│ +\d+\.\d\d │ +[+-]\d+\.\d\d │ 271,417 │/);
    const saved = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as AblationSummary;
    // JSON writes the NaN bounds of a one-seed interval as null.
    expect(saved.rows).toEqual(JSON.parse(JSON.stringify(summary.rows)));
    expect(saved.backend).toBe('wasm');
    const markdown = await readFile(join(out, 'table.md'), 'utf8');
    expect(markdown).toContain('| Table 15: seresnet20 | top-1 err. (%) | Δ vs SE (pp) |');
    expect(markdown).toMatch(/\| SE \| \d+\.\d\d \| reference \| 271,417 \|/);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html.match(/<svg/g)?.length).toBe(2);
    expect(html).toContain('SE Zoo ablation: SE block after the 3×3 convolution');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    for (const r of summary.runs) {
      expect(existsSync(join(out, 'runs', r.id, 'checkpoint.safetensors'))).toBe(true);
    }

    // Rerunning skips the finished runs; another plan in the same directory is refused.
    const again = await ablateCommand({ ...options, log: () => {} });
    expect(again.summary.runs.map((r) => r.finishedAt)).toEqual(
      summary.runs.map((r) => r.finishedAt),
    );
    await expect(ablateCommand({ ...options, epochs: 2, log: () => {} })).rejects.toThrow(
      /holds results of a different plan \(saved → asked\):\n {2}plan\.epochs: 1 → 2\n/,
    );

    // An ablation run re-opens with its variant's SE options: SE_3×3 blocks, same names.
    const { report } = await excitationsCommand({
      model: join(out, 'runs', 'seresnet20-3x3-seed1'),
      classes: '1',
      log: () => {},
    });
    expect(report.se).toEqual({ position: '3x3' });
    expect(report.blocks.length).toBe(9);
    expect(report.identity.removed).toEqual(['layer3.0.se', 'layer3.1.se', 'layer3.2.se']);
  });
});
