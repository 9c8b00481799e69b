import type * as tf from '@tensorflow/tfjs';
import { markdownTable } from 'markdown-table';
import { SqueezeExcite } from './attention/squeeze-excite.js';
import { ConfigError } from './errors.js';
import { countsMacs } from './layers/types.js';

/** Counts of one layer. */
export interface LayerCount {
  /** Layer name (the PyTorch module path for SE Zoo's models). */
  name: string;
  /** tfjs class name, e.g. `Conv2D` or `SqueezeExcite`. */
  className: string;
  /** Output shape without the batch axis, e.g. `[56, 56, 256]`. */
  outputShape: (number | null)[];
  /** Parameters as PyTorch counts them (no BatchNorm running statistics). */
  params: number;
  /** Multiply–accumulates for one image. */
  macs: number;
}

/** Counts of a whole model at one input size. */
export interface ModelCount {
  /** `[height, width, channels]` the MACs were computed for. */
  inputShape: number[];
  /** Every layer of the model, in `model.layers` order. */
  layers: LayerCount[];
  /** Total parameters as PyTorch counts them (sum of the layers' `params`). */
  params: number;
  /** Parameters a `fit` would update (the trainable subset of `params`). */
  trainableParams: number;
  /** Total multiply–accumulates for one image (sum of the layers' `macs`). */
  macs: number;
}

const RUNNING_STATISTICS = /\/(moving_mean|moving_variance)$/;

/**
 * Parameters of a layer or model as PyTorch's `sum(p.numel() for p in model.parameters())`
 * counts them: weights, biases, BatchNorm γ and β — not BatchNorm running statistics, which
 * tfjs keeps as (non-trainable) weights.
 *
 * @example
 * ```ts
 * import '@se/resnet';
 * import { countParams, createModel } from '@se/core';
 *
 * countParams(createModel('seresnet50')); // 28088024, as timm
 * ```
 */
export function countParams(layer: tf.layers.Layer): number {
  return layer.weights
    .filter((w) => !RUNNING_STATISTICS.test(w.originalName))
    .reduce((sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 0), 1), 0);
}

/** What {@link countMacs} and {@link summarize} count, and at which input size. */
export interface CountOptions {
  /** `[height, width, channels]`; required when the model accepts any size. */
  inputShape?: number[];
  /**
   * Also count the SE blocks' scaling, one multiply per element of each scaled feature map
   * (default false). The paper's FLOP figures for the small mobile networks (Table 3) only add up
   * with it: SE-ShuffleNet's scaling is 1.6 M of its 142 M.
   */
  seScale?: boolean;
}

/**
 * Multiply–accumulates of one forward pass of one image, summed over convolutions, dense layers
 * and the SE blocks' FC layers (what the paper's Table 2 calls FLOPs). Element-wise work
 * (BN, activations, pooling, additions, and the SE scaling unless `seScale` is set) is not
 * counted.
 *
 * @param options The input shape (`[height, width, channels]`, required when the model accepts
 * any size), or {@link CountOptions}.
 *
 * @example
 * ```ts
 * import '@se/resnet';
 * import { countMacs, createModel } from '@se/core';
 *
 * countMacs(createModel('legacy_seresnet50')) / 1e9; // 3.861 (the paper's Table 2 says 3.87)
 * countMacs(createModel('legacy_seresnet50'), { seScale: true }) / 1e9; // 3.866
 * ```
 */
export function countMacs(model: tf.LayersModel, options?: number[] | CountOptions): number {
  return summarize(model, options).macs;
}

/**
 * Per-layer parameters, output shapes and MACs of `model` at `inputShape` (`[height, width,
 * channels]`; required when the model accepts any size), or with {@link CountOptions}.
 *
 * @example
 * ```ts
 * import '@se/resnet';
 * import { createModel, summarize } from '@se/core';
 *
 * const model = createModel('seresnet18', { inputShape: [null, null, 3] });
 * const { params, macs, layers } = summarize(model, [224, 224, 3]);
 * ```
 */
export function summarize(
  model: tf.LayersModel,
  options: number[] | CountOptions = {},
): ModelCount {
  const { inputShape, seScale = false } = Array.isArray(options)
    ? { inputShape: options }
    : options;
  const input = resolveInput(model, inputShape);
  const shapes = new Map<string, tf.Shape>();
  const key = (layer: tf.layers.Layer, tensorIndex: number) => `${layer.name}#${tensorIndex}`;
  const layers: LayerCount[] = [];
  for (const layer of model.layers) {
    const node = layer.inboundNodes[0];
    let inputShapes: tf.Shape[] = [];
    let output: tf.Shape | tf.Shape[];
    if (!node || node.inboundLayers.length === 0) {
      output = [1, ...input];
    } else {
      if (layer.inboundNodes.length > 1) {
        throw new Error(`summarize: layer '${layer.name}' is shared between graph nodes`);
      }
      inputShapes = node.inboundLayers.map((inbound, i) => {
        const shape = shapes.get(key(inbound, node.tensorIndices[i] ?? 0));
        if (!shape) throw new Error(`summarize: no shape for the input of '${layer.name}'`);
        return shape;
      });
      output = layer.computeOutputShape(
        inputShapes.length === 1 ? (inputShapes[0] as tf.Shape) : inputShapes,
      );
    }
    const outputs = Array.isArray(output[0]) ? (output as tf.Shape[]) : [output as tf.Shape];
    for (const [i, shape] of outputs.entries()) shapes.set(key(layer, i), shape);
    const outputShape = outputs[0] as tf.Shape;
    layers.push({
      name: layer.name,
      className: layer.getClassName(),
      outputShape: outputShape.slice(1),
      params: countParams(layer),
      macs:
        layerMacs(layer, inputShapes, outputShape) +
        (seScale && layer instanceof SqueezeExcite ? elements(outputShape) : 0),
    });
  }
  const trainableParams = model.trainableWeights.reduce(
    (sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 0), 1),
    0,
  );
  return {
    inputShape: input,
    layers,
    params: layers.reduce((sum, l) => sum + l.params, 0),
    trainableParams,
    macs: layers.reduce((sum, l) => sum + l.macs, 0),
  };
}

function resolveInput(model: tf.LayersModel, inputShape?: number[]): number[] {
  if (model.inputs.length !== 1) {
    throw new Error(`summarize: expected a model with one input, got ${model.inputs.length}`);
  }
  const declared = (model.inputs[0] as tf.SymbolicTensor).shape.slice(1);
  const shape = inputShape ?? declared;
  if (shape.length !== declared.length) {
    throw new ConfigError(
      'inputShape',
      shape,
      `a rank-${declared.length} shape without the batch axis`,
    );
  }
  return shape.map((size, i) => {
    if (size == null || !Number.isInteger(size) || size < 1) {
      throw new ConfigError(
        'inputShape',
        shape,
        'concrete positive sizes (this model accepts any size: pass e.g. [224, 224, 3])',
      );
    }
    const fixed = declared[i];
    if (fixed != null && fixed !== size) {
      throw new ConfigError(
        'inputShape',
        shape,
        `the model's own input shape [${declared.join(', ')}]`,
      );
    }
    return size;
  });
}

/** Elements of one image's tensor of shape `[batch, …]`. */
function elements(shape: tf.Shape): number {
  return shape.slice(1).reduce<number>((a, b) => a * (b ?? 0), 1);
}

function layerMacs(layer: tf.layers.Layer, inputShapes: tf.Shape[], outputShape: tf.Shape): number {
  if (countsMacs(layer)) return layer.macs(inputShapes, outputShape);
  const config = layer.getConfig();
  const input = inputShapes[0] ?? [];
  const inChannels = input[input.length - 1] ?? 0;
  const positions = outputShape.slice(1, -1).reduce<number>((a, b) => a * (b ?? 0), 1);
  const outChannels = outputShape[outputShape.length - 1] ?? 0;
  const kernel = (config.kernelSize as number[] | undefined) ?? [1, 1];
  const window = kernel.reduce((a, b) => a * b, 1);
  switch (layer.getClassName()) {
    case 'Conv2D':
    case 'Conv1D':
      return positions * outChannels * window * inChannels;
    case 'DepthwiseConv2D':
      return positions * outChannels * window;
    case 'SeparableConv2D': {
      const depth = inChannels * ((config.depthMultiplier as number | undefined) ?? 1);
      return positions * depth * (window + outChannels);
    }
    case 'Dense':
      return positions * inChannels * outChannels;
    default:
      return 0;
  }
}

/**
 * Formats a count with thousands separators (`25,557,032`).
 *
 * @example
 * ```ts
 * import { formatCount } from '@se/core';
 *
 * formatCount(25557032); // '25,557,032'
 * ```
 */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Formats MACs in G (two decimals, from 10⁹) or M (one decimal).
 *
 * @example
 * ```ts
 * import { formatMacs } from '@se/core';
 *
 * formatMacs(3.87e9); // '3.87 G'
 * formatMacs(5.6e8); // '560.0 M'
 * ```
 */
export function formatMacs(macs: number): string {
  return macs >= 1e9 ? `${(macs / 1e9).toFixed(2)} G` : `${(macs / 1e6).toFixed(1)} M`;
}

/**
 * A printable table of a {@link ModelCount}: every layer with parameters or MACs (or every layer
 * with `all`), then the totals.
 *
 * @param options `all`: list every layer, weightless ones included; `title`: a line printed
 *   above the table.
 *
 * @example
 * ```ts
 * import '@se/resnet';
 * import { createModel, formatSummary, summarize } from '@se/core';
 *
 * console.log(formatSummary(summarize(createModel('seresnet18'))));
 * ```
 */
export function formatSummary(
  count: ModelCount,
  options: { all?: boolean; title?: string } = {},
): string {
  // A Markdown table: readable in a terminal, pastes into docs, and (unlike terminal-table
  // libraries that reach for Node's util/os) bundles for the browser.
  const rows = count.layers
    .filter((layer) => options.all || layer.params > 0 || layer.macs > 0)
    .map((layer) => [
      layer.name,
      layer.className,
      `[${layer.outputShape.join(', ')}]`,
      formatCount(layer.params),
      formatCount(layer.macs),
    ]);
  const table = markdownTable([['Layer', 'Type', 'Output shape', 'Params', 'MACs'], ...rows], {
    align: ['l', 'l', 'l', 'r', 'r'],
  });
  const size = count.inputShape.join('×');
  const lines = [
    ...(options.title ? [options.title] : []),
    table,
    `Parameters: ${formatCount(count.params)} (trainable ${formatCount(count.trainableParams)})`,
    `MACs at ${size}: ${formatCount(count.macs)} (${formatMacs(count.macs)})`,
  ];
  return lines.join('\n');
}
