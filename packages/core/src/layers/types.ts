import type * as tf from '@tensorflow/tfjs';

/**
 * A layer that knows its own multiply–accumulate count. SE Zoo's custom layers implement it;
 * stock tfjs layers are counted in `counting.ts`.
 */
export interface CountsMacs {
  /** Multiply–accumulates for one image, given the input shapes and the output shape. */
  macs(inputShapes: tf.Shape[], outputShape: tf.Shape): number;
}

/**
 * Whether `layer` reports its own MACs (has a `macs` method).
 *
 * @example
 * ```ts
 * import { countsMacs, SqueezeExcite } from '@se/core';
 *
 * countsMacs(new SqueezeExcite()); // true
 * ```
 */
export function countsMacs(layer: unknown): layer is CountsMacs {
  return typeof (layer as Partial<CountsMacs>).macs === 'function';
}

/**
 * One PyTorch `state_dict` tensor of a layer, as {@link MapsTorchWeights} describes it. The key
 * is the layer's name (its PyTorch module path) and `suffix`, e.g. `layer1.0.se.fc1.weight`.
 */
export interface TorchWeightSpec {
  /** The key after the module path: `weight`, `running_var`, `fc1.bias`, … */
  suffix: string;
  /**
   * Index into the layer's `weights` (−1 where the layer lacks the tensor: an error on import and
   * export), or null for a tensor tfjs does not keep (`num_batches_tracked`, written as 0).
   */
  weightIndex: number | null;
  /** Permutation of the tfjs tensor's axes into PyTorch's layout, or null for the same layout. */
  toTorch: number[] | null;
  /** PyTorch's shape where it is not the permuted tfjs shape (a depthwise kernel's). */
  torchShape?: number[];
}

/**
 * A layer that knows where its weights live in a PyTorch `state_dict`. SE Zoo's layers with
 * weights implement it, and so may a family's own layer; tfjs's built-in layers are mapped in
 * `io/pytorch.ts`. {@link torchStateDictMapping} reads it, and through it the PyTorch import and
 * export.
 */
export interface MapsTorchWeights {
  /** The layer's `state_dict` tensors, in PyTorch's order (known once built). */
  torchWeights(): TorchWeightSpec[];
}

/**
 * Whether `layer` describes its own PyTorch weights (has a `torchWeights` method).
 *
 * @example
 * ```ts
 * import { BatchNorm, mapsTorchWeights } from '@se/core';
 *
 * mapsTorchWeights(new BatchNorm()); // true
 * ```
 */
export function mapsTorchWeights(layer: unknown): layer is MapsTorchWeights {
  return typeof (layer as Partial<MapsTorchWeights>).torchWeights === 'function';
}

/** A pair of integers given as one number or `[height, width]`. */
export type IntPair = number | [number, number];

/** Expands an {@link IntPair} to `[height, width]`: `3` → `[3, 3]`. */
export function pair(value: IntPair): [number, number] {
  return typeof value === 'number' ? [value, value] : value;
}

/** A tfjs weight initializer (tfjs does not export the class type from its main entry). */
export type Initializer = ReturnType<typeof tf.initializers.zeros>;
