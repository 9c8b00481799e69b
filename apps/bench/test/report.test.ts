import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../src/zoo.js';
import { RECIPES } from '@se/core';
import { syntheticDataset } from '../src/data/synthetic.js';
import {
  type BenchPlan,
  recipeSpec,
  resolvePlan,
  summarizeBench,
} from '../src/experiment/bench.js';
import { formatSummaryLines, interpretation, renderReport } from '../src/report/bench.js';
import { learningCurves, renderSvg, VARIANT_COLORS } from '../src/report/html.js';
import type { RunResult } from '../src/train/run.js';

const CHROMIUM = '/usr/bin/chromium';
/** Where CI keeps the screenshot (apps/bench/test-results is kept as an artifact path). */
const SCREENSHOT = new URL('../test-results/report.png', import.meta.url).pathname;

const plan: BenchPlan = resolvePlan({ seeds: 3, epochs: 2 });
const dataset = syntheticDataset({ trainCount: 8, testCount: 8 });

function run(
  model: string,
  se: boolean,
  seed: number,
  accuracies: [number, number],
  imagesPerSecond: number,
): RunResult {
  const spec = recipeSpec(RECIPES['he2016-cifar'], { model, se, seed, epochs: 2 });
  const history = accuracies.map((a, i) => ({
    epoch: i + 1,
    learningRate: 0.1,
    trainLoss: 1 - a,
    trainAccuracy: a,
    testLoss: 1 - a,
    testAccuracy: a,
    imagesPerSecond,
    seconds: 10,
  }));
  return {
    id: `${model}-${se ? 'se' : 'plain'}-seed${seed}`,
    spec,
    dataset: 'synthetic',
    data: { name: 'synthetic', classes: 4, trainImages: 8, testImages: 8, imageShape: [16, 16, 1] },
    params: se ? 272_095 : 269_722,
    macs: se ? 40_557_000 : 40_555_000,
    inputShape: [16, 16, 1],
    backend: 'cpu',
    device: 'test CPU (2 cores)',
    dtype: 'float32',
    history,
    testAccuracy: accuracies[1],
    testLoss: 1 - accuracies[1],
    imagesPerSecond,
    finishedAt: '2026-11-23T00:00:00.000Z',
  };
}

const runs = [
  run('resnet20', false, 1, [0.8, 0.9], 100),
  run('seresnet20', true, 1, [0.82, 0.92], 80),
  run('resnet20', false, 2, [0.85, 0.91], 100),
  run('seresnet20', true, 2, [0.86, 0.92], 80),
  run('resnet20', false, 3, [0.84, 0.92], 100),
  run('seresnet20', true, 3, [0.88, 0.93], 80),
];

describe('learning curves', () => {
  const threePairs = ['20', '32', '56'].flatMap((depth) => [
    run(`resnet${depth}`, false, 1, [0.8, 0.9], 100),
    run(`seresnet${depth}`, true, 1, [0.82, 0.92], 80),
  ]);
  const pairs = ['20', '32', '56'].map((d) => ({ plain: `resnet${d}`, se: `seresnet${d}` }));

  it('draw one chart for one pair, SE and plain in their colours, whole epochs on the axis', () => {
    const spec = learningCurves(runs, 'se', pairs.slice(0, 1));
    expect('facet' in spec).toBe(false);
    expect(spec).toMatchObject({
      encoding: {
        color: {
          field: 'variant',
          scale: { domain: ['plain', 'SE'], range: VARIANT_COLORS.scale.range },
        },
        x: { axis: { values: [1, 2], format: 'd' }, scale: { domain: [1, 2] } },
      },
    });
  });
  it('draw one small chart per pair, SE against plain, for more', async () => {
    const spec = learningCurves(threePairs, 'se', pairs);
    expect(spec).toMatchObject({ facet: { field: 'pair' }, columns: 3 });
    const values = (spec.data as { values: { pair: string; variant: string }[] }).values;
    expect([...new Set(values.map((v) => v.pair))]).toEqual([
      'resnet20 / seresnet20',
      'resnet32 / seresnet32',
      'resnet56 / seresnet56',
    ]);
    const svg = await renderSvg(spec);
    // Each small chart is titled with its pair.
    for (const pair of ['resnet20 / seresnet20', 'resnet56 / seresnet56']) {
      expect(svg).toContain(pair);
    }
  });
});

describe('the benchmark summary and report', () => {
  const summary = summarizeBench(plan, dataset, runs, [
    { id: 'x-se-seed9', error: 'loss became NaN in x' },
  ]);
  const [pair] = summary.pairs;

  it('computes the comparison by hand', () => {
    if (!pair) throw new Error('no pair');
    // Differences 0.02, 0.01, 0.01: mean 0.01333…, s = 0.005774, half-width 4.303·s/√3 = 0.014344.
    expect(pair.difference.mean).toBeCloseTo(0.04 / 3, 12);
    expect(pair.difference.high - pair.difference.mean).toBeCloseTo(
      (4.302652729911275 * Math.sqrt(1 / 3) * 0.01) / Math.sqrt(3),
      9,
    );
    expect(pair.accuracy.plain.mean).toBeCloseTo(0.91, 12);
    expect(pair.accuracy.se.std).toBeCloseTo(
      Math.sqrt(((0.92 - 0.923333) ** 2 * 2 + (0.93 - 0.923333) ** 2) / 2),
      5,
    );
    // 100 img/s plain against 80 with SE: each image takes 25 % longer.
    expect(pair.seTimeOverheadPercent).toBeCloseTo(25, 12);
    // s = 0.005774: t(n−1)·s/√n ≤ 0.005 first at n = 7 (2.447·0.005774/√7 = 0.00534 at n = 7?
    // no: t(6) = 2.447 → 0.005340 > 0.005; n = 8: 2.365·0.005774/√8 = 0.004828).
    expect(pair.seedsForTarget).toBe(8);
  });

  it('says what the interval means and how many seeds ±0.5 pp needs', () => {
    const lines = interpretation(summary, { seconds: 7200, description: 'the full protocol' });
    expect(lines[0]).toMatch(
      /^The 95 % interval of SE − plain is where the true mean difference lies/,
    );
    expect(lines[1]).toBe(
      'seresnet20 vs resnet20: this is a smoke test, not evidence: its interval is ±1.43 pp wide, where the effects SE has on such networks are about 0.5–1.5 pp. At the observed seed-to-seed spread of the difference (s = 0.58 pp), ±0.50 pp needs about 8 seeds of this protocol.',
    );
    expect(lines[2]).toBe(
      'The --full protocol (the full protocol) narrows the spread itself: about 2h00m on this backend.',
    );
    expect(formatSummaryLines(summary)).toEqual([
      'seresnet20 vs resnet20 (recipe he2016-cifar): SE 92.33 ± 0.58 % vs plain 91.00 ± 1.00 %, SE − plain +1.33 pp (95 % CI [-0.10, +2.77], 3 seeds), SE time overhead 25.0 %',
      '1 run failed: x-se-seed9',
    ]);
  });

  it("draws MACs and parameters from zero, so that SE's small cost looks small", async () => {
    const html = await renderReport(summary);
    // The MACs axis (40.555 vs 40.557 M) starts at 0 instead of zooming onto 40.555–40.557.
    expect(html).not.toContain('40.5560');
    expect(html).toMatch(/>0<\/text>/);
  });

  it.skipIf(!existsSync(CHROMIUM))(
    'renders in headless Chromium, and a screenshot is kept',
    async () => {
      const html = await renderReport(summary);
      expect(html).toContain('+1.33 pp (95 % CI [-0.10, +2.77], 3 seeds)');
      expect(html).toContain(
        'backend <b>cpu</b> on test CPU (2 cores), dtype float32, 2 epochs, seeds 1, 2, 3',
      );
      expect(html).toContain('recipe <b>he2016-cifar</b>: SGD momentum 0.9, learning rate 0.05');
      expect(html).toContain('this is a smoke test, not evidence');
      expect(html).toContain('failed: loss became NaN in x');
      const dir = await mkdtemp(join(tmpdir(), 'se-zoo-report-'));
      try {
        const page = join(dir, 'report.html');
        await writeFile(page, html);
        const flags = [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          `--user-data-dir=${join(dir, 'profile')}`,
        ];
        const dom = execFileSync(CHROMIUM, [...flags, '--dump-dom', `file://${page}`], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
          timeout: 60_000,
        });
        // The browser parsed four SVG charts with their marks and axes.
        expect(dom.match(/<svg[^>]*class="marks"/g)?.length).toBe(4);
        expect(dom).toContain('SE − plain test accuracy, paired by seed');
        await mkdir(join(SCREENSHOT, '..'), { recursive: true });
        execFileSync(
          CHROMIUM,
          [...flags, `--screenshot=${SCREENSHOT}`, '--window-size=1400,1800', `file://${page}`],
          { stdio: 'ignore', timeout: 60_000 },
        );
        const png = await readFile(SCREENSHOT);
        expect(Array.from(png.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]); // "PNG"
        // Width and height from the IHDR chunk.
        expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1400, 1800]);
        expect(png.length).toBeGreaterThan(20_000);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
