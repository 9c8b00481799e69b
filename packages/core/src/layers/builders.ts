import * as tf from '@tensorflow/tfjs';
import { checkInteger } from '../errors.js';
import { BatchNorm, type BatchNormArgs } from './batch-norm.js';
import { GroupedConv2D } from './grouped-conv.js';
import { heNormalFanOut } from './initializers.js';
import { type IntPair, pair } from './types.js';

/** Activations the builders accept (tfjs activation identifiers). */
export type ActivationName =
  | 'relu'
  | 'relu6'
  | 'swish'
  | 'sigmoid'
  | 'tanh'
  | 'elu'
  | 'softmax'
  | 'linear';

/** A convolution in PyTorch's terms. */
export interface ConvSpec {
  /** Layer name: the PyTorch module path (`layer1.0.conv1`), so weights map by name. */
  name: string;
  /** Output channels (PyTorch's `out_channels`). */
  filters: number;
  /** Kernel size, square or `[height, width]` (PyTorch's `kernel_size`, e.g. `(1, 7)`). */
  kernelSize: IntPair;
  /** Stride in both directions (default 1). */
  strides?: number;
  /** Dilation in both directions (default 1). */
  dilation?: number;
  /** Channel groups (default 1); more than one builds a {@link GroupedConv2D}. */
  groups?: number;
  /**
   * Symmetric zero padding per side, one number or `[height, width]` (PyTorch's `padding`);
   * default PyTorch's usual `dilation · (k − 1) / 2` per axis.
   */
  padding?: IntPair;
  /** Whether the convolution has a bias (default false: a BN usually follows). */
  useBias?: boolean;
}

/**
 * A convolution that pads like PyTorch: symmetric explicit zero padding, then `'valid'`.
 * (tfjs's `'same'` puts a stride-2 layer's extra row and column at the bottom/right only; at
 * stride 1 with an odd kernel it is symmetric, so that case uses `'same'` and saves a layer.)
 * `groups > 1` builds a {@link GroupedConv2D}. Kernels start He-normal over fan-out.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { conv2d } from '@se/core';
 *
 * // PyTorch: Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
 * const x = tf.input({ shape: [224, 224, 3] });
 * const y = conv2d(x, { name: 'conv1', filters: 64, kernelSize: 7, strides: 2 }); // [112, 112, 64]
 *
 * // PyTorch: Conv2d(128, 160, kernel_size=(1, 7), padding=(0, 3)), Inception-v3's factorised 7×7
 * const f = tf.input({ shape: [17, 17, 128] });
 * const g = conv2d(f, { name: 'branch7x7.1', filters: 160, kernelSize: [1, 7] }); // [17, 17, 160]
 * ```
 */
export function conv2d(x: tf.SymbolicTensor, spec: ConvSpec): tf.SymbolicTensor {
  const strides = checkInteger(`${spec.name} strides`, spec.strides ?? 1, 1);
  const dilation = checkInteger(`${spec.name} dilation`, spec.dilation ?? 1, 1);
  const kernelSize = pair(spec.kernelSize).map((k) =>
    checkInteger(`${spec.name} kernelSize`, k, 1),
  ) as [number, number];
  const groups = checkInteger(`${spec.name} groups`, spec.groups ?? 1, 1);
  const spans = kernelSize.map((k) => dilation * (k - 1)) as [number, number];
  const pads = (
    spec.padding === undefined ? spans.map((span) => Math.floor(span / 2)) : pair(spec.padding)
  ).map((p) => checkInteger(`${spec.name} padding`, p, 0)) as [number, number];
  const padded = pads[0] > 0 || pads[1] > 0;
  const sameIsSymmetric = strides === 1 && spans[0] === 2 * pads[0] && spans[1] === 2 * pads[1];
  let input = x;
  if (padded && !sameIsSymmetric) {
    input = tf.layers
      .zeroPadding2d({
        padding: [
          [pads[0], pads[0]],
          [pads[1], pads[1]],
        ],
        name: `${spec.name}_pad`,
      })
      .apply(x) as tf.SymbolicTensor;
  }
  const padding = padded && sameIsSymmetric ? 'same' : 'valid';
  const common = {
    name: spec.name,
    filters: spec.filters,
    kernelSize,
    strides,
    dilationRate: dilation,
    padding,
    useBias: spec.useBias ?? false,
    kernelInitializer: heNormalFanOut(),
  } as const;
  const layer = groups > 1 ? new GroupedConv2D({ ...common, groups }) : tf.layers.conv2d(common);
  return layer.apply(input) as tf.SymbolicTensor;
}

/**
 * Applies a {@link BatchNorm} (PyTorch semantics) named `name` to `x`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { batchNorm } from '@se/core';
 *
 * const x = tf.input({ shape: [56, 56, 64] });
 * const y = batchNorm(x, 'layer1.0.bn2', { zeroInit: true });
 * ```
 */
export function batchNorm(
  x: tf.SymbolicTensor,
  name: string,
  options: Omit<BatchNormArgs, 'name'> = {},
): tf.SymbolicTensor {
  return new BatchNorm({ ...options, name }).apply(x) as tf.SymbolicTensor;
}

/**
 * Applies an activation layer named `name`; `'linear'` returns `x` unchanged (no layer).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { activation } from '@se/core';
 *
 * const y = activation(tf.input({ shape: [8, 8, 16] }), 'relu', 'act1');
 * ```
 */
export function activation(
  x: tf.SymbolicTensor,
  kind: ActivationName,
  name: string,
): tf.SymbolicTensor {
  if (kind === 'linear') return x;
  return tf.layers.activation({ activation: kind, name }).apply(x) as tf.SymbolicTensor;
}

/** Names of the layers of one conv → BN (→ activation) unit. */
export interface ConvBnSpec extends ConvSpec {
  /** Name of the batch-norm layer (`bn1`, `downsample.1`, …). */
  bnName: string;
  /** Activation after the BN; none when omitted. */
  activation?: ActivationName;
  /** Name of the activation layer; default `${bnName}_act`. */
  activationName?: string;
  /** Batch-norm options (PyTorch defaults). */
  bn?: Omit<BatchNormArgs, 'name'>;
}

/**
 * Convolution ({@link conv2d}), batch norm and optionally an activation: the unit every family
 * stacks.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { convBn } from '@se/core';
 *
 * const x = tf.input({ shape: [56, 56, 64] });
 * const y = convBn(x, {
 *   name: 'layer1.0.conv1',
 *   bnName: 'layer1.0.bn1',
 *   filters: 64,
 *   kernelSize: 3,
 *   activation: 'relu',
 * });
 * ```
 */
export function convBn(x: tf.SymbolicTensor, spec: ConvBnSpec): tf.SymbolicTensor {
  const y = batchNorm(conv2d(x, spec), spec.bnName, spec.bn);
  if (!spec.activation) return y;
  return activation(y, spec.activation, spec.activationName ?? `${spec.bnName}_act`);
}
