/**
 * The reports' kit: Vega-Lite charts rendered to inline SVG, the page, the setup list, the run
 * table and the learning curves every report shares. Reports are one self-contained HTML file
 * each (no scripts, no network).
 */
import { describeRecipe, type Recipe } from '@se/core';
import type * as vl from 'vega-lite';
import type { ExperimentSetup, FailedRun } from '../experiment/runner.js';
import type { RunResult } from '../train/run.js';

/** Renders a Vega-Lite spec to an SVG string, in Node, with no browser and no network. */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  // Loaded when a report is drawn: they take half a second to import, which `se-zoo models`
  // and the other commands without reports need not pay.
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
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

/** A chart's size in pixels; the page scales charts to its width (they keep their viewBox). */
export const CHART = { width: 560, height: 300 } as const;

/** SE and plain have the same colours in every chart. */
export const VARIANT_COLORS = {
  field: 'variant',
  type: 'nominal',
  title: null,
  scale: { domain: ['plain', 'SE'], range: ['#4c78a8', '#e45756'] },
} as const;

/** The y axis of every accuracy chart: zoomed to the data, to a tenth of a percent. */
export const ACCURACY_AXIS = {
  field: 'accuracy',
  type: 'quantitative',
  title: 'test accuracy',
  scale: { zero: false },
  axis: { format: '.1%' },
} as const;

/** Above this many SE/plain pairs, a bench's learning curves get one small chart per pair. */
const FACET_ABOVE = 1;

/** The epoch axis: whole epochs only. */
function epochAxis(runs: readonly RunResult[]) {
  const last = Math.max(1, ...runs.map((r) => r.history.length));
  return {
    field: 'epoch',
    type: 'quantitative',
    title: 'epoch',
    scale: { domain: [1, last] as number[], nice: false },
    axis: { values: Array.from({ length: last }, (_, i) => i + 1), format: 'd' },
  } as const;
}

/**
 * Test accuracy by epoch, one line per run: SE against plain in their colours (bench; one small
 * chart per pair when there are several), or coloured by the runs' variants (ablations).
 */
export function learningCurves(
  runs: readonly RunResult[],
  colorBy: 'se' | 'variant' = 'se',
  pairs: readonly { plain: string; se: string }[] = [],
): vl.TopLevelSpec {
  const byVariant = colorBy === 'variant';
  const pairOf = new Map(
    pairs.flatMap((p) => [p.plain, p.se].map((model) => [model, `${p.plain} / ${p.se}`] as const)),
  );
  const values = runs.flatMap((run) =>
    run.history.map((m) => ({
      run: run.id,
      pair: pairOf.get(run.spec.model) ?? run.spec.model,
      variant: byVariant ? (run.spec.variant ?? run.id) : run.spec.se === false ? 'plain' : 'SE',
      epoch: m.epoch,
      accuracy: m.testAccuracy,
    })),
  );
  const x = epochAxis(runs);
  const y = ACCURACY_AXIS;
  const color = byVariant
    ? ({
        field: 'variant',
        type: 'nominal',
        title: 'row',
        legend: { symbolType: 'stroke' },
      } as const)
    : ({ ...VARIANT_COLORS, legend: { symbolType: 'stroke' } } as const);
  const encoding = { x, y, color, detail: { field: 'run', type: 'nominal' } } as const;
  const mark = { type: 'line', point: true } as const;
  if (!byVariant && new Set(values.map((v) => v.pair)).size > FACET_ABOVE) {
    return {
      title: 'Test accuracy by epoch (one line per run, one chart per pair)',
      data: { values },
      facet: { field: 'pair', type: 'nominal', title: null },
      columns: 3,
      spec: { width: CHART.width / 2, height: CHART.height / 2, mark, encoding },
    };
  }
  return {
    title: 'Test accuracy by epoch (one line per run)',
    width: CHART.width,
    height: CHART.height,
    data: { values },
    mark,
    encoding,
  };
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
export interface ReportSetup extends Omit<ExperimentSetup, 'runs' | 'failures' | 'createdAt'> {
  epochs: number;
  seeds: number[];
  /** Each recipe used, with what trains with it. */
  recipes: { models: string; recipe: Recipe & { name: string; source: string } }[];
}

/** The setup list (HTML `<li>` contents) every report starts with. */
export function setupItems(setup: ReportSetup): string[] {
  return [
    `dataset <b>${escapeHtml(setup.dataset)}</b> (${escapeHtml(setup.datasetSource)}), ${setup.trainImages} training and ${setup.testImages} test images of ${setup.inputShape.join('×')}`,
    `backend <b>${escapeHtml(setup.backend)}</b> on ${escapeHtml(setup.device)}, dtype ${escapeHtml(setup.dtype)}, ${setup.epochs} epochs, seeds ${setup.seeds.join(', ')}`,
    ...setup.recipes.map(
      ({ models, recipe }) =>
        `${escapeHtml(models)}: recipe <b>${escapeHtml(recipe.name)}</b>: ${escapeHtml(describeRecipe(recipe))} <br><small>${escapeHtml(recipe.source)}</small>`,
    ),
  ];
}

/** A self-contained HTML page in the reports' common style; `body` is HTML. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1400px; padding: 0 1.5em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; } th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; } thead { background: #f3f3f3; } tr.failed td { color: #a00; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 0.5em 1em; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 1.5em; }
.charts figure { margin: 0; } .charts figure.wide { grid-column: 1 / -1; }
.charts svg { width: 100%; height: auto; }
</style></head>
<body>
${body}
</body></html>
`;
}
