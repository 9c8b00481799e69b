import type * as vl from 'vega-lite';
import type { BlockExcitation, ExcitationReport } from '../experiment/excitations.js';
import { escapeHtml, htmlPage, percent, renderSvg } from './html.js';

/** One block's chart, as the paper's Fig. 6: x the channel index, y the mean activation. */
function blockChart(block: BlockExcitation): vl.TopLevelSpec {
  const lines = [
    ...block.classes.map((c) => ({ label: c.name, mean: c.mean })),
    { label: 'all', mean: block.all.mean },
  ];
  const values = lines.flatMap((line) =>
    line.mean.map((activation, channel) => ({ class: line.label, channel, activation })),
  );
  return {
    title: `${block.name} (${block.channels} channels)`,
    width: 340,
    height: 170,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.2 },
    encoding: {
      x: {
        field: 'channel',
        type: 'quantitative',
        title: 'channel index',
        scale: { domain: [0, block.channels - 1], nice: false },
      },
      y: { field: 'activation', type: 'quantitative', title: 'mean activation' },
      color: {
        field: 'class',
        type: 'nominal',
        sort: lines.map((l) => l.label),
        title: null,
      },
    },
  };
}

/** The excitation report: one line chart per SE block and the identity check of the last stage. */
export async function renderExcitationReport(report: ExcitationReport): Promise<string> {
  const charts = await Promise.all(report.blocks.map((b) => renderSvg(blockChart(b))));
  const c = report.identity;
  const delta = 100 * (c.accuracyWithoutLastStage - c.accuracyAll);
  return htmlPage(
    `SE Zoo excitations — ${report.model}`,
    `<h1>SE Zoo: excitations of ${escapeHtml(report.model)}</h1>
<ul><li>run <code>${escapeHtml(report.run)}</code>, SE ${escapeHtml(JSON.stringify(report.se))}</li>
<li>${report.testImages} test images of <b>${escapeHtml(report.dataset)}</b> at ${report.inputShape.join('×')}, backend <b>${escapeHtml(report.backend)}</b>, float32</li></ul>
<p>Generated ${escapeHtml(report.createdAt)}. As the paper's Fig. 6, each chart shows, for one SE block, the
excitation (the gate value that scales a channel) averaged over the test images of each class, and over all
images ("all"). Class-agnostic blocks have overlapping lines; class-specific ones separate.</p>
<h2>Removing the last stage's SE blocks (paper §7.2)</h2>
<table><thead><tr><th>network</th><th>test accuracy</th><th>test loss</th><th>parameters</th></tr></thead>
<tbody><tr><td>all SE blocks</td><td>${percent(c.accuracyAll)}</td><td>${c.lossAll.toFixed(4)}</td><td>${c.paramsAll.toLocaleString('en-US')}</td></tr>
<tr><td>stage ${c.stage} SE blocks replaced by the identity</td><td>${percent(c.accuracyWithoutLastStage)}</td><td>${c.lossWithoutLastStage.toFixed(4)}</td><td>${c.paramsWithoutLastStage.toLocaleString('en-US')}</td></tr></tbody></table>
<p>Difference ${delta >= 0 ? '+' : ''}${delta.toFixed(2)} percentage points; removed: ${escapeHtml(c.removed.join(', '))}.</p>
<h2>Mean excitation per channel</h2>
<div class="charts">${charts.map((svg) => `<figure>${svg}</figure>`).join('\n')}</div>`,
  );
}
