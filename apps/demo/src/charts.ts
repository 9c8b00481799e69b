// Two small SVG charts, enough for a loss curve and a row of excitations.

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 640;
const HEIGHT = 220;
const MARGIN = { top: 12, right: 12, bottom: 28, left: 48 };

function element<K extends keyof SVGElementTagNameMap>(
  name: K,
  attributes: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** An empty chart with a y axis from `min` to `max` and an x-axis label. */
function frame(min: number, max: number, xLabel: string, yLabel: string) {
  const svg = element('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img' });
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const y = (v: number) => MARGIN.top + plotHeight * (1 - (v - min) / (max - min || 1));
  const bottom = MARGIN.top + plotHeight;
  svg.append(
    element('line', {
      class: 'axis',
      x1: MARGIN.left,
      y1: MARGIN.top,
      x2: MARGIN.left,
      y2: bottom,
    }),
    element('line', {
      class: 'axis',
      x1: MARGIN.left,
      y1: bottom,
      x2: WIDTH - MARGIN.right,
      y2: bottom,
    }),
  );
  for (const tick of [min, (min + max) / 2, max]) {
    svg.append(
      element(
        'text',
        { x: MARGIN.left - 6, y: y(tick) + 4, 'text-anchor': 'end' },
        tick.toPrecision(3),
      ),
    );
  }
  svg.append(
    element(
      'text',
      { x: MARGIN.left + plotWidth / 2, y: HEIGHT - 6, 'text-anchor': 'middle' },
      xLabel,
    ),
    element(
      'text',
      {
        x: 12,
        y: MARGIN.top + plotHeight / 2,
        transform: `rotate(-90 12 ${MARGIN.top + plotHeight / 2})`,
        'text-anchor': 'middle',
      },
      yLabel,
    ),
  );
  return { svg, y, left: MARGIN.left, plotWidth, bottom };
}

/** A line through `values` (x = 1, 2, …), e.g. the loss of each training step. */
export function lineChart(values: number[], xLabel: string, yLabel: string): SVGSVGElement {
  const min = Math.min(0, ...values);
  const max = Math.max(...values, min + 1e-6);
  const { svg, y, left, plotWidth } = frame(min, max, xLabel, yLabel);
  const x = (i: number) =>
    left + (values.length === 1 ? plotWidth / 2 : (plotWidth * i) / (values.length - 1));
  svg.append(
    element('polyline', {
      class: 'line',
      points: values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '),
    }),
  );
  values.forEach((v, i) => {
    const point = element('circle', {
      cx: x(i).toFixed(1),
      cy: y(v).toFixed(1),
      r: 3,
      class: 'bar',
    });
    point.dataset.value = String(v);
    point.append(element('title', {}, `${i + 1}: ${v.toFixed(4)}`));
    svg.append(point);
  });
  return svg;
}

/** One bar per value on a 0…1 axis, e.g. the excitation of each channel. */
export function barChart(values: number[], xLabel: string, yLabel: string): SVGSVGElement {
  const { svg, y, left, plotWidth, bottom } = frame(0, 1, xLabel, yLabel);
  const slot = plotWidth / values.length;
  values.forEach((v, i) => {
    const bar = element('rect', {
      class: 'bar',
      x: (left + i * slot + slot * 0.1).toFixed(1),
      y: y(v).toFixed(1),
      width: Math.max(slot * 0.8, 0.5).toFixed(2),
      height: (bottom - y(v)).toFixed(1),
    });
    bar.dataset.value = String(v);
    bar.append(element('title', {}, `channel ${i}: ${v.toFixed(4)}`));
    svg.append(bar);
  });
  return svg;
}
