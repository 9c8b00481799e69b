import type * as vl from 'vega-lite';
import {
  CHART,
  escapeHtml,
  htmlPage,
  learningCurves,
  renderSvg,
  runTable,
  setupItems,
} from '../bench/report.js';
import { type AblationSummary, ablationTableCells, unbuildable } from './ablate.js';

/** Top-1 error of each row, mean ± std over seeds, in the paper's row order. */
function errorChart(summary: AblationSummary): vl.TopLevelSpec {
  const values = summary.rows
    .filter((r) => r.seeds.length > 0)
    .map((r) => ({
      row: r.label,
      error: 100 * r.top1Error.mean,
      low: 100 * (r.top1Error.mean - r.top1Error.std),
      high: 100 * (r.top1Error.mean + r.top1Error.std),
      reference: r.key === summary.reference ? 'reference' : 'variant',
    }));
  const y = {
    field: 'row',
    type: 'nominal' as const,
    title: null,
    sort: values.map((v) => v.row),
  };
  return {
    title: `Top-1 test error (%), mean ± std over seeds — ${summary.table}`,
    width: CHART.width,
    height: Math.max(80, 36 * values.length),
    data: { values },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          y,
          x: {
            field: 'low',
            type: 'quantitative',
            title: 'top-1 error (%)',
            scale: { zero: false },
          },
          x2: { field: 'high' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 90 },
        encoding: {
          y,
          x: { field: 'error', type: 'quantitative' },
          color: { field: 'reference', type: 'nominal', title: null },
        },
      },
    ],
  };
}

/** The table of the study as HTML. */
function studyTable(summary: AblationSummary): string {
  const [head = [], ...rows] = ablationTableCells(summary);
  const cells = (row: string[], tag: 'td' | 'th') =>
    row.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('');
  return `<table><thead><tr>${cells(head, 'th')}</tr></thead>
<tbody>${rows.map((r) => `<tr>${cells(r, 'td')}</tr>`).join('\n')}</tbody></table>`;
}

/**
 * The report of one study: its table in the paper's shape, the error of each row and the
 * learning curves, as one self-contained HTML file (inline SVG, no scripts, no network).
 */
export async function renderAblationReport(summary: AblationSummary): Promise<string> {
  const charts = await Promise.all([
    renderSvg(errorChart(summary)),
    renderSvg(learningCurves(summary.runs, 'variant')),
  ]);
  return htmlPage(
    `SE Zoo ablation — ${summary.study} (${summary.table})`,
    `<h1>SE Zoo ablation: ${escapeHtml(summary.title)} (paper ${escapeHtml(summary.table)})</h1>
<ul><li>model <b>${escapeHtml(summary.model)}</b>, every row a configuration of its <code>se</code> option</li>${setupItems(
      summary,
    )
      .map((s) => `<li>${s}</li>`)
      .join('')}</ul>
<p>Generated ${escapeHtml(summary.createdAt)}. Top-1 error is the final test error of each run, mean ± sample
standard deviation over seeds; Δ is this row's error minus the reference row's, paired by seed (same
initialisation stream and data order) with a 95 % t-interval.</p>
<p>${escapeHtml(summary.note)}</p>
<h2>${escapeHtml(summary.table)}</h2>
${studyTable(summary)}
${unbuildable(summary)
  .map((l) => `<p>${escapeHtml(l)}</p>`)
  .join('\n')}
<div class="charts">${charts.map((svg) => `<figure>${svg}</figure>`).join('\n')}</div>
<h2>Runs</h2>
${runTable(summary.runs, summary.failures)}`,
  );
}
