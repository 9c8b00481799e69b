// The page's two charts, a loss curve and a row of excitations, drawn by Vega-Lite (as SVG, with
// axes, ticks and tooltips). Each chart keeps its values in `data-values` (JSON) for tests.
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const WIDTH = 560;
const HEIGHT = 180;

/** The view drawn in each container, finalized when the container is drawn again. */
const views = new WeakMap<HTMLElement, View>();

async function draw(container: HTMLElement, spec: TopLevelSpec, values: number[]): Promise<void> {
  views.get(container)?.finalize();
  const target = document.createElement('div');
  container.replaceChildren(target);
  const view = new View(parse(compile(spec).spec), {
    renderer: 'svg',
    container: target,
    hover: true,
  });
  views.set(container, view);
  container.dataset.values = JSON.stringify(values);
  await view.runAsync();
}

/** Clears a chart. */
export function clearChart(container: HTMLElement): void {
  views.get(container)?.finalize();
  views.delete(container);
  delete container.dataset.values;
  container.replaceChildren();
}

/** A line with a point per value (x = 1, 2, …), e.g. the loss of each training step. */
export async function lineChart(
  container: HTMLElement,
  values: number[],
  xLabel: string,
  yLabel: string,
): Promise<void> {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: WIDTH,
    height: HEIGHT,
    data: { values: values.map((value, i) => ({ step: i + 1, value })) },
    mark: { type: 'line', point: { filled: true, size: 40 }, tooltip: true },
    encoding: {
      x: {
        field: 'step',
        type: 'quantitative',
        title: xLabel,
        scale: { domainMin: 1, nice: false },
        axis: { tickMinStep: 1, format: 'd' },
      },
      y: {
        field: 'value',
        type: 'quantitative',
        title: yLabel,
        scale: { zero: false },
        axis: { format: '.2f' },
      },
    },
  };
  await draw(container, spec, values);
}

/** One bar per value on a 0…1 axis, e.g. the mean excitation of each channel. */
export async function barChart(
  container: HTMLElement,
  values: number[],
  xLabel: string,
  yLabel: string,
): Promise<void> {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: WIDTH,
    height: HEIGHT,
    data: { values: values.map((value, channel) => ({ channel, value })) },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: {
        field: 'channel',
        type: 'ordinal',
        title: xLabel,
        // A label every 8 channels: 64 labels would overlap.
        axis: { labelExpr: 'datum.value % 8 === 0 ? datum.label : ""', labelAngle: 0 },
      },
      y: {
        field: 'value',
        type: 'quantitative',
        title: yLabel,
        scale: { domain: [0, 1] },
      },
    },
  };
  await draw(container, spec, values);
}
