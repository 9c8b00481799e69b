/** The ablation's table for the terminal, table.md and report.html. */
import Table from 'cli-table3';
import type * as vl from 'vega-lite';
import type { AblationSummary } from '../experiment/ablation.js';
import {
  CHART,
  escapeHtml,
  htmlPage,
  learningCurves,
  renderSvg,
  runTable,
  setupItems,
} from './html.js';

const formatInt = (n: number | null) => (n === null ? '—' : n.toLocaleString('en-US'));
const points = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(2) : '—');
const signed = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${points(v)}` : '—');

/** The cells of a study's table: a header row, then one row per variant. */
export function ablationTableCells(summary: AblationSummary): string[][] {
  const reference = summary.rows.find((r) => r.key === summary.reference)?.label ?? 'reference';
  const head = [
    `${summary.table}: ${summary.model}`,
    'top-1 err. (%)',
    `Δ vs ${reference} (pp)`,
    'params',
    'MACs',
    'train img/s',
    'seeds',
  ];
  const rows = summary.rows.map((r) => {
    if (r.error) return [r.label, 'not buildable', '—', '—', '—', '—', '0'];
    const e = r.top1Error;
    const error =
      r.seeds.length === 0
        ? '—'
        : r.seeds.length === 1
          ? points(e.mean)
          : `${points(e.mean)} ± ${points(e.std)}`;
    const d = r.vsReference;
    const delta =
      r.key === summary.reference
        ? 'reference'
        : !d
          ? '—'
          : d.n < 2
            ? signed(d.mean)
            : `${signed(d.mean)} [${signed(d.low)}, ${signed(d.high)}]`;
    return [
      r.label,
      error,
      delta,
      formatInt(r.params),
      formatInt(r.macs),
      Number.isFinite(r.imagesPerSecond) ? r.imagesPerSecond.toFixed(1) : '—',
      String(r.seeds.length),
    ];
  });
  return [head, ...rows];
}

/** The study's table for the terminal. */
export function formatAblationTable(summary: AblationSummary): string {
  const [head = [], ...rows] = ablationTableCells(summary);
  const table = new Table({
    head,
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [], compact: true },
  });
  for (const row of rows) table.push(row);
  return [table.toString(), ...unbuildable(summary)].join('\n');
}

/** One line per row the model could not be built with, and why. */
export function unbuildable(summary: AblationSummary): string[] {
  return summary.rows.flatMap((r) => (r.error ? [`${r.label} not buildable: ${r.error}`] : []));
}

/** The study's table as Markdown (table.md). */
export function ablationMarkdown(summary: AblationSummary): string {
  const [head = [], ...rows] = ablationTableCells(summary);
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    `# ${summary.table} (${summary.title}) — ${summary.model} on ${summary.dataset}`,
    '',
    line(head),
    line(head.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...rows.map(line),
    '',
    ...unbuildable(summary).flatMap((l) => [l, '']),
    `Top-1 error on ${summary.testImages} test images after ${summary.plan.epochs} epochs, mean ± sample std over seeds; Δ paired by seed with a 95 % t-interval. Backend ${summary.backend} (${summary.device}), float32; recipe ${summary.plan.recipe.name}.`,
    '',
    summary.note,
    '',
  ].join('\n');
}

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
          color: {
            field: 'reference',
            type: 'nominal',
            title: null,
            scale: { domain: ['reference', 'variant'], range: ['#e45756', '#4c78a8'] },
          },
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
      {
        ...summary,
        epochs: summary.plan.epochs,
        seeds: summary.plan.seeds,
        recipes: [{ models: 'every row', recipe: summary.plan.recipe }],
      },
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
