import * as tf from '@tensorflow/tfjs';
import { checkInteger } from '../errors.js';
import { BatchNorm, type BatchNormArgs } from './batch-norm.js';
import { GroupedConv2D } from './grouped-conv.js';
import { heNormalFanOut } from './initializers.js';

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
  /** Square kernel size (PyTorch's `kernel_size`). */
  kernelSize: number;
  /** Stride in both directions (default 1). */
  strides?: number;
  /** Dilation in both directions (default 1). */
  dilation?: number;
  /** Channel groups (default 1); more than one builds a {@link GroupedConv2D}. */
  groups?: number;
  /** Symmetric zero padding per side; default PyTorch's usual `dilation · (k − 1) / 2`. */
  padding?: number;
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
 * ```
 */
export function conv2d(x: tf.SymbolicTensor, spec: ConvSpec): tf.SymbolicTensor {
  const strides = checkInteger(`${spec.name} strides`, spec.strides ?? 1, 1);
  const dilation = checkInteger(`${spec.name} dilation`, spec.dilation ?? 1, 1);
  const kernelSize = checkInteger(`${spec.name} kernelSize`, spec.kernelSize, 1);
  const groups = checkInteger(`${spec.name} groups`, spec.groups ?? 1, 1);
  const span = dilation * (kernelSize - 1);
  const pad = checkInteger(`${spec.name} padding`, spec.padding ?? Math.floor(span / 2), 0);
  const sameIsSymmetric = strides === 1 && span === 2 * pad;
  let input = x;
  if (pad > 0 && !sameIsSymmetric) {
    input = tf.layers
      .zeroPadding2d({
        padding: [
          [pad, pad],
          [pad, pad],
        ],
        name: `${spec.name}_pad`,
      })
      .apply(x) as tf.SymbolicTensor;
  }
  const padding = pad > 0 && sameIsSymmetric ? 'same' : 'valid';
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
