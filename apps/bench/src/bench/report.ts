import { formatCount, formatMacs } from '@se/core';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { RunResult } from '../train/trainer.js';
import type { BenchPlan, BenchSummary, FailedRun, PairSummary } from './bench.js';

/** Renders a Vega-Lite spec to an SVG string, in Node, with no browser and no network. */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Escapes text for HTML. */
export const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** A fraction as a percentage (`—` when not finite). */
export const percent = (v: number, digits = 2): string =>
  Number.isFinite(v) ? `${(100 * v).toFixed(digits)} %` : '—';
const signedPoints = (v: number) =>
  Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)}` : '—';

function intervalText(pair: PairSummary): string {
  const d = pair.difference;
  if (d.n < 2) return `${signedPoints(d.mean)} pp (one seed: no interval)`;
  return `${signedPoints(d.mean)} pp [${signedPoints(d.low)}, ${signedPoints(d.high)}]`;
}

/** Default chart size in pixels. */
export const CHART = { width: 520, height: 300 } as const;
const { width, height } = CHART;

/** Above this many SE/plain pairs, a bench's learning curves get one small chart per pair. */
const FACET_ABOVE = 2;

/**
 * Test accuracy by epoch, one line per run: coloured by model and dashed by SE/plain (bench; one
 * small chart per pair, SE against plain, above {@link FACET_ABOVE} pairs), or coloured by the
 * runs' variants (ablations).
 */
export function learningCurves(
  runs: readonly RunResult[],
  colorBy: 'model' | 'variant' = 'model',
  pairs: readonly Pick<PairSummary, 'plain' | 'se'>[] = [],
): vl.TopLevelSpec {
  const byVariant = colorBy === 'variant';
  // Each model's pair, named "plain / SE", to put a pair's runs in one small chart.
  const pairOf = new Map(
    pairs.flatMap((p) => [p.plain, p.se].map((model) => [model, `${p.plain} / ${p.se}`] as const)),
  );
  const values = runs.flatMap((run) =>
    run.history.map((m) => ({
      run: run.id,
      model: run.spec.model,
      pair: pairOf.get(run.spec.model) ?? run.spec.model,
      variant: byVariant ? (run.spec.variant ?? run.id) : run.spec.se === false ? 'plain' : 'SE',
      epoch: m.epoch,
      accuracy: m.testAccuracy,
    })),
  );
  const x = { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } } as const;
  const y = {
    field: 'accuracy',
    type: 'quantitative',
    scale: { zero: false },
    axis: { format: '.1%' },
  } as const;
  const detail = { field: 'run', type: 'nominal' } as const;
  if (!byVariant && new Set(values.map((v) => v.pair)).size > FACET_ABOVE) {
    // Many pairs in one chart are a tangle: one small chart per pair, SE against plain.
    return {
      title: 'Test accuracy by epoch (one line per run, one chart per pair)',
      data: { values },
      facet: { field: 'pair', type: 'nominal', title: null },
      columns: 3,
      spec: {
        width: width / 2,
        height: height / 2,
        mark: { type: 'line', point: true },
        encoding: { x, y, color: { field: 'variant', type: 'nominal' }, detail },
      },
    };
  }
  return {
    title: 'Test accuracy by epoch (one line per run)',
    width,
    height,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x,
      y,
      color: { field: byVariant ? 'variant' : 'model', type: 'nominal' },
      ...(byVariant ? {} : { strokeDash: { field: 'variant', type: 'nominal' as const } }),
      detail,
    },
  };
}

function accuracyAgainst(summary: BenchSummary, what: 'macs' | 'params'): vl.TopLevelSpec {
  const values = summary.pairs.flatMap((p) =>
    (['plain', 'se'] as const).map((side) => ({
      model: side === 'se' ? p.se : p.plain,
      variant: side === 'se' ? 'SE' : 'plain',
      x: what === 'macs' ? p.macs[side] / 1e6 : p.params[side] / 1e6,
      accuracy: p.accuracy[side].mean,
      low: p.accuracy[side].mean - p.accuracy[side].std,
      high: p.accuracy[side].mean + p.accuracy[side].std,
    })),
  );
  const axis = what === 'macs' ? 'MACs per image (millions)' : 'parameters (millions)';
  return {
    title: `Mean test accuracy (± std) against ${what === 'macs' ? 'MACs' : 'parameters'}`,
    width,
    height,
    data: { values },
    layer: [
      {
        mark: { type: 'rule' },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: axis, scale: { zero: false } },
          y: { field: 'low', type: 'quantitative', scale: { zero: false } },
          y2: { field: 'high' },
          color: { field: 'variant', type: 'nominal' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: axis },
          y: {
            field: 'accuracy',
            type: 'quantitative',
            title: 'test accuracy',
            axis: { format: '.1%' },
          },
          color: { field: 'variant', type: 'nominal' },
        },
      },
      {
        mark: { type: 'text', dx: 8, align: 'left', fontSize: 10 },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'accuracy', type: 'quantitative' },
          text: { field: 'model' },
        },
      },
    ],
  };
}

function differences(summary: BenchSummary): vl.TopLevelSpec {
  const values = summary.pairs.map((p) => ({
    pair: `${p.se} − ${p.plain}`,
    mean: 100 * p.difference.mean,
    low: 100 * (Number.isFinite(p.difference.low) ? p.difference.low : p.difference.mean),
    high: 100 * (Number.isFinite(p.difference.high) ? p.difference.high : p.difference.mean),
  }));
  return {
    title: 'SE − plain test accuracy, paired by seed (percentage points, 95 % interval)',
    width,
    height: Math.max(80, 40 * values.length),
    data: { values },
    layer: [
      { mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { x: { datum: 0 } } },
      {
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          y: { field: 'pair', type: 'nominal', title: null },
          x: { field: 'low', type: 'quantitative', title: 'difference (pp)' },
          x2: { field: 'high' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          y: { field: 'pair', type: 'nominal' },
          x: { field: 'mean', type: 'quantitative' },
        },
      },
    ],
  };
}

function pairTable(summary: BenchSummary): string {
  const rows = summary.pairs
    .map(
      (p) => `<tr><td>${escapeHtml(p.plain)} / ${escapeHtml(p.se)}</td>
<td>${formatCount(p.params.plain)} / ${formatCount(p.params.se)}</td>
<td>${formatMacs(p.macs.plain)} / ${formatMacs(p.macs.se)}</td>
<td>${percent(p.accuracy.plain.mean)} ± ${percent(p.accuracy.plain.std)}</td>
<td>${percent(p.accuracy.se.mean)} ± ${percent(p.accuracy.se.std)}</td>
<td>${escapeHtml(intervalText(p))}</td>
<td>${p.imagesPerSecond.plain.toFixed(1)} / ${p.imagesPerSecond.se.toFixed(1)}</td>
<td>${p.seTimeOverheadPercent >= 0 ? '+' : ''}${p.seTimeOverheadPercent.toFixed(1)} %</td>
<td>${p.seeds.length}</td></tr>`,
    )
    .join('\n');
  return `<table><thead><tr><th>model (plain / SE)</th><th>parameters</th><th>MACs</th><th>plain accuracy</th>
<th>SE accuracy</th><th>SE − plain (95 % CI)</th><th>train img/s</th><th>SE time overhead</th><th>seeds</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

/** The table of every run (and every failed run) of a results directory. */
export function runTable(runs: readonly RunResult[], failures: readonly FailedRun[]): string {
  const rows = runs
    .map(
      (
        r,
      ) => `<tr><td>${escapeHtml(r.id)}</td><td>${r.history.length}</td><td>${percent(r.testAccuracy)}</td>
<td>${r.testLoss.toFixed(4)}</td><td>${r.imagesPerSecond.toFixed(1)}</td></tr>`,
    )
    .join('\n');
  const failed = failures
    .map(
      (f) =>
        `<tr class="failed"><td>${escapeHtml(f.id)}</td><td colspan="4">failed: ${escapeHtml(f.error)}</td></tr>`,
    )
    .join('\n');
  return `<table><thead><tr><th>run</th><th>epochs</th><th>test accuracy</th><th>test loss</th><th>train img/s</th></tr></thead>
<tbody>${rows}${failed}</tbody></table>`;
}

/** What the setup list of a report describes: the data, the machine and the protocol. */
export interface ReportSetup
  extends Pick<
    BenchSummary,
    | 'dataset'
    | 'datasetSource'
    | 'trainImages'
    | 'testImages'
    | 'inputShape'
    | 'backend'
    | 'device'
    | 'dtype'
  > {
  /** The protocol's hyperparameters and seeds. */
  plan: Pick<
    BenchPlan,
    'batchSize' | 'epochs' | 'seeds' | 'momentum' | 'learningRate' | 'weightDecay' | 'augment'
  >;
}

/** The setup list (HTML `<li>` contents) every report starts with. */
export function setupItems(summary: ReportSetup): string[] {
  const { plan } = summary;
  return [
    `dataset <b>${escapeHtml(summary.dataset)}</b> (${escapeHtml(summary.datasetSource)}), ${summary.trainImages} training and ${summary.testImages} test images of ${summary.inputShape.join('×')}`,
    `backend <b>${escapeHtml(summary.backend)}</b> on ${escapeHtml(summary.device)}, dtype ${summary.dtype}, batch ${plan.batchSize}, ${plan.epochs} epochs, seeds ${plan.seeds.join(', ')}`,
    `SGD momentum ${plan.momentum}, peak learning rate ${plan.learningRate} (cosine), weight decay ${plan.weightDecay}, augmentation ${escapeHtml(JSON.stringify(plan.augment))}`,
  ];
}

/** A self-contained HTML page in the reports' common style; `body` is HTML. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; } th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; } thead { background: #f3f3f3; } tr.failed td { color: #a00; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; } .charts figure { margin: 0; }
</style></head>
<body>
${body}
</body></html>
`;
}

/** The benchmark report: one self-contained HTML file (inline SVG charts, no scripts, no network). */
export async function renderReport(summary: BenchSummary): Promise<string> {
  const charts = await Promise.all([
    renderSvg(differences(summary)),
    renderSvg(learningCurves(summary.runs, 'model', summary.pairs)),
    renderSvg(accuracyAgainst(summary, 'macs')),
    renderSvg(accuracyAgainst(summary, 'params')),
  ]);
  return htmlPage(
    `SE Zoo benchmark — ${summary.dataset}`,
    `<h1>SE Zoo benchmark: SE against plain</h1>
<ul>${setupItems(summary)
      .map((s) => `<li>${s}</li>`)
      .join('')}</ul>
<p>Generated ${escapeHtml(summary.createdAt)}. Accuracy is the final test accuracy of each run; the SE − plain
difference pairs runs with the same seed (same initialisation stream and data order).</p>
<h2>Comparison</h2>
${pairTable(summary)}
<div class="charts">${charts.map((svg) => `<figure>${svg}</figure>`).join('\n')}</div>
<h2>Runs</h2>
${runTable(summary.runs, summary.failures)}`,
  );
}
