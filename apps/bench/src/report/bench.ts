/** The benchmark's summary for the terminal and its report.html. */
import { formatCount, formatMacs } from '@se/core';
import type * as vl from 'vega-lite';
import { type BenchSummary, type PairSummary, TARGET_HALF_WIDTH } from '../experiment/bench.js';
import { formatDuration } from '../experiment/progress.js';
import {
  ACCURACY_AXIS,
  CHART,
  escapeHtml,
  htmlPage,
  learningCurves,
  percent,
  renderSvg,
  runTable,
  setupItems,
  VARIANT_COLORS,
} from './html.js';

const points = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(2) : '—');
const signedPoints = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${points(v)}` : '—');

function intervalText(pair: PairSummary): string {
  const d = pair.difference;
  if (d.n < 2) return `${signedPoints(d.mean)} pp (one seed: no interval)`;
  return `${signedPoints(d.mean)} pp (95 % CI [${signedPoints(d.low)}, ${signedPoints(d.high)}], ${d.n} seeds)`;
}

/** The comparison as text lines (for the terminal). */
export function formatSummaryLines(summary: BenchSummary): string[] {
  const lines = summary.pairs.map(
    (p) =>
      `${p.se} vs ${p.plain} (recipe ${p.recipe}): SE ${points(p.accuracy.se.mean)} ± ${points(p.accuracy.se.std)} % vs plain ${points(p.accuracy.plain.mean)} ± ${points(p.accuracy.plain.std)} %, SE − plain ${intervalText(p)}, SE time overhead ${p.seTimeOverheadPercent.toFixed(1)} %`,
  );
  if (summary.failures.length > 0) {
    lines.push(
      `${summary.failures.length} run${summary.failures.length === 1 ? '' : 's'} failed: ${summary.failures.map((f) => f.id).join(', ')}`,
    );
  }
  return lines;
}

/** The full protocol's estimated duration on this backend, for the interpretation. */
export interface FullProtocolEstimate {
  seconds: number;
  /** The protocol in words. */
  description: string;
}

/**
 * What the intervals mean, in plain words: whether this run can tell SE from plain, and, from
 * the observed seed-to-seed spread, how many seeds (or the full protocol) it would take.
 */
export function interpretation(summary: BenchSummary, full?: FullProtocolEstimate): string[] {
  const target = points(TARGET_HALF_WIDTH);
  const lines = [
    'The 95 % interval of SE − plain is where the true mean difference lies 19 times out of 20 (Student t over the seeds, paired by seed); an interval that contains 0 shows neither that SE helps nor that it hurts.',
  ];
  for (const p of summary.pairs) {
    const d = p.difference;
    if (d.n < 2) {
      lines.push(`${p.se} vs ${p.plain}: one seed gives no interval; use --seeds 2 or more.`);
      continue;
    }
    const half = (d.high - d.low) / 2;
    const needed =
      p.seedsForTarget === null
        ? ''
        : ` At the observed seed-to-seed spread of the difference (s = ${points(d.std)} pp), ±${target} pp needs about ${p.seedsForTarget} seeds of this protocol.`;
    lines.push(
      half > TARGET_HALF_WIDTH
        ? `${p.se} vs ${p.plain}: this is a smoke test, not evidence: its interval is ±${points(half)} pp wide, where the effects SE has on such networks are about 0.5–1.5 pp.${needed}`
        : `${p.se} vs ${p.plain}: the interval is ±${points(half)} pp wide, within ±${target} pp.`,
    );
  }
  if (full) {
    lines.push(
      `The --full protocol (${full.description}) narrows the spread itself: about ${formatDuration(full.seconds)} on this backend.`,
    );
  }
  return lines;
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
  const title = what === 'macs' ? 'MACs per image (millions)' : 'parameters (millions)';
  // From zero: SE's cost is small, and an axis zoomed onto it would make it look large.
  const x = { field: 'x', type: 'quantitative', title, scale: { zero: true } } as const;
  const y = ACCURACY_AXIS;
  return {
    title: `Mean test accuracy (± std) against ${what === 'macs' ? 'MACs' : 'parameters'}`,
    width: CHART.width,
    height: CHART.height,
    data: { values },
    layer: [
      {
        mark: { type: 'rule' },
        encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' }, color: VARIANT_COLORS },
      },
      {
        mark: { type: 'point', filled: true, size: 80 },
        encoding: { x, y, color: VARIANT_COLORS },
      },
      {
        mark: { type: 'text', dx: 8, align: 'left', fontSize: 10 },
        encoding: { x, y, text: { field: 'model' } },
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
  const y = { field: 'pair', type: 'nominal', title: null } as const;
  return {
    title: 'SE − plain test accuracy, paired by seed (percentage points, 95 % interval)',
    width: 2 * CHART.width,
    height: Math.max(90, 45 * values.length),
    data: { values },
    layer: [
      { mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { x: { datum: 0 } } },
      {
        mark: { type: 'rule', strokeWidth: 2, color: VARIANT_COLORS.scale.range[1] },
        encoding: {
          y,
          x: { field: 'low', type: 'quantitative', title: 'SE − plain (pp)' },
          x2: { field: 'high' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 80, color: VARIANT_COLORS.scale.range[1] },
        encoding: { y, x: { field: 'mean', type: 'quantitative' } },
      },
    ],
  };
}

function pairTable(summary: BenchSummary): string {
  const rows = summary.pairs
    .map(
      (p) => `<tr><td>${escapeHtml(p.plain)} / ${escapeHtml(p.se)}</td>
<td>${escapeHtml(p.recipe)}</td>
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
  return `<table><thead><tr><th>model (plain / SE)</th><th>recipe</th><th>parameters</th><th>MACs</th><th>plain accuracy</th>
<th>SE accuracy</th><th>SE − plain</th><th>train img/s</th><th>SE time overhead</th><th>seeds</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

/** The benchmark report: one self-contained HTML file (inline SVG charts, no scripts, no network). */
export async function renderReport(
  summary: BenchSummary,
  full?: FullProtocolEstimate,
): Promise<string> {
  const [difference, ...charts] = await Promise.all([
    renderSvg(differences(summary)),
    renderSvg(learningCurves(summary.runs, 'se', summary.pairs)),
    renderSvg(accuracyAgainst(summary, 'macs')),
    renderSvg(accuracyAgainst(summary, 'params')),
  ]);
  const setup = setupItems({
    ...summary,
    epochs: summary.plan.epochs,
    seeds: summary.plan.seeds,
    recipes: summary.plan.pairs.map((p) => ({ models: `${p.plain} / ${p.se}`, recipe: p.recipe })),
  });
  return htmlPage(
    `SE Zoo benchmark — ${summary.dataset}`,
    `<h1>SE Zoo benchmark: SE against plain</h1>
<ul>${setup.map((s) => `<li>${s}</li>`).join('')}</ul>
<p>Generated ${escapeHtml(summary.createdAt)}. Accuracy is the final test accuracy of each run; the SE − plain
difference pairs runs with the same seed (same initialisation stream and data order).</p>
<div class="note">${interpretation(summary, full)
      .map((l) => `<p>${escapeHtml(l)}</p>`)
      .join('')}</div>
<h2>Comparison</h2>
${pairTable(summary)}
<div class="charts"><figure class="wide">${difference}</figure>
${charts.map((svg) => `<figure>${svg}</figure>`).join('\n')}</div>
<h2>Runs</h2>
${runTable(summary.runs, summary.failures)}`,
  );
}
