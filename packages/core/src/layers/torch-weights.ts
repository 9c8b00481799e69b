// Helpers for describing a layer's PyTorch weights (MapsTorchWeights), shared by SE Zoo's layers
// and io/pytorch.ts's table of tfjs's built-in layers.
import type * as tf from '@tensorflow/tfjs';
import type { TorchWeightSpec } from './types.js';

/** tfjs's convolution kernel `[kh, kw, in, out]` → PyTorch's `[out, in, kh, kw]`. */
export const HWIO_TO_OIHW = [3, 2, 0, 1];
/** tfjs's dense kernel `[in, out]` → PyTorch's linear weight `[out, in]`. */
export const TRANSPOSE_2D = [1, 0];

/**
 * Index in `layer.weights` of the weight with role `role` (`kernel`, `gamma`, `fc1/kernel`: its
 * original name minus the layer's name), or −1 if the layer has none.
 */
export function weightIndex(layer: tf.layers.Layer, role: string): number {
  const prefix = `${layer.name}/`;
  return layer.weights.findIndex((w) => {
    const name = w.originalName ?? '';
    return (name.startsWith(prefix) ? name.slice(prefix.length) : name) === role;
  });
}

/** The layer's `bias`, if it has one (none or one spec). */
export function optionalBias(layer: tf.layers.Layer): TorchWeightSpec[] {
  const bias = weightIndex(layer, 'bias');
  return bias >= 0 ? [{ suffix: 'bias', weightIndex: bias, toTorch: null }] : [];
}

/** A convolution's or dense layer's `weight` (permuted by `toTorch`) and, if it has one, `bias`. */
export function kernelAndBias(layer: tf.layers.Layer, toTorch: number[]): TorchWeightSpec[] {
  return [
    { suffix: 'weight', weightIndex: weightIndex(layer, 'kernel'), toTorch },
    ...optionalBias(layer),
  ];
}

/**
 * A batch norm's `weight`, `bias`, `running_mean`, `running_var` (from the Keras names `gamma`,
 * `beta`, `moving_mean`, `moving_variance`) and `num_batches_tracked`, which tfjs does not keep.
 */
export function batchNormWeights(layer: tf.layers.Layer): TorchWeightSpec[] {
  const roles = [
    ['weight', 'gamma'],
    ['bias', 'beta'],
    ['running_mean', 'moving_mean'],
    ['running_var', 'moving_variance'],
  ] as const;
  return [
    ...roles.map(([suffix, role]) => ({
      suffix,
      weightIndex: weightIndex(layer, role),
      toTorch: null,
    })),
    { suffix: 'num_batches_tracked', weightIndex: null, toTorch: null },
  ];
}
