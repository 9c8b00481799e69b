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

/** A pair of integers given as one number or `[height, width]`. */
export type IntPair = number | [number, number];

/**
 * Expands an {@link IntPair} to `[height, width]`.
 *
 * @example
 * ```ts
 * import { pair } from '@se/core';
 *
 * pair(3); // [3, 3]
 * pair([3, 1]); // [3, 1]
 * ```
 */
export function pair(value: IntPair): [number, number] {
  return typeof value === 'number' ? [value, value] : value;
}

/** A tfjs weight initializer (tfjs does not export the class type from its main entry). */
export type Initializer = ReturnType<typeof tf.initializers.zeros>;
