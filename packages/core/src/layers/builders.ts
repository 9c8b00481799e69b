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
  filters: number;
  kernelSize: number;
  strides?: number;
  dilation?: number;
  groups?: number;
  /** Symmetric zero padding per side; default PyTorch's usual `dilation · (k − 1) / 2`. */
  padding?: number;
  useBias?: boolean;
}

/**
 * A convolution that pads like PyTorch: symmetric explicit zero padding, then `'valid'`.
 * (tfjs's `'same'` puts a stride-2 layer's extra row and column at the bottom/right only; at
 * stride 1 with an odd kernel it is symmetric, so that case uses `'same'` and saves a layer.)
 * `groups > 1` builds a {@link GroupedConv2D}.
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

/** Batch normalisation with PyTorch semantics (see {@link BatchNorm}). */
export function batchNorm(
  x: tf.SymbolicTensor,
  name: string,
  options: Omit<BatchNormArgs, 'name'> = {},
): tf.SymbolicTensor {
  return new BatchNorm({ ...options, name }).apply(x) as tf.SymbolicTensor;
}

/** An activation layer; `'linear'` returns `x` unchanged. */
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

/** Convolution, batch norm and optionally an activation: the unit every family stacks. */
export function convBn(x: tf.SymbolicTensor, spec: ConvBnSpec): tf.SymbolicTensor {
  const y = batchNorm(conv2d(x, spec), spec.bnName, spec.bn);
  if (!spec.activation) return y;
  return activation(y, spec.activation, spec.activationName ?? `${spec.bnName}_act`);
}
