import * as tf from '@tensorflow/tfjs';
import type { SEConfig } from './attention/placement.js';
import { ConfigError, checkChoice, checkInteger, describeValue } from './errors.js';
import { activation } from './layers/builders.js';

/** Input shape without the batch axis, height and width may be `null` (any size). */
export type InputShape = [number | null, number | null, number];

/**
 * Options every SE Zoo factory takes, named as in Keras Applications, plus `se`.
 */
export interface ModelOptions {
  /** Whether to include the global pooling and classifier at the top (default true). */
  includeTop?: boolean;
  /**
   * `null` (default): random initialisation. For timm's pretrained weights use `loadModel`
   * (downloads them from the Hugging Face Hub), or load a checkpoint with `loadPyTorchWeights`.
   */
  weights?: null;
  /** `[height, width, channels]`; `null` sizes accept any input at least the minimum size. */
  inputShape?: InputShape;
  /** Without the top: `'avg'` or `'max'` global pooling, or `null` for the feature map. */
  pooling?: 'avg' | 'max' | null;
  /** Number of classes of the classifier (default 1000). */
  classes?: number;
  /** Activation of the classifier (default `'softmax'`; `'linear'` gives logits as timm). */
  classifierActivation?: 'softmax' | 'linear';
  /** SE options, `true` for the model's default SE, or `false` for the plain baseline. */
  se?: SEConfig | boolean;
  /** Name of the returned `tf.LayersModel`. */
  name?: string;
}

/** What an architecture accepts, used to validate {@link ModelOptions}. */
export interface ArchitectureLimits {
  /** The reference input size, e.g. `[224, 224, 3]`. */
  defaultInputShape: [number, number, number];
  /** Smallest height/width the network can take (its total stride, or more). */
  minInputSize: number;
}

/** {@link ModelOptions} validated and with defaults filled in (except `se`). */
export interface ResolvedModelOptions {
  /** Whether the model ends in global pooling and the classifier. */
  includeTop: boolean;
  /** `[height, width, channels]`, the architecture's default when not given. */
  inputShape: InputShape;
  /** `'avg'` or `'max'` global pooling, or null: average pooling under the top, none without. */
  pooling: 'avg' | 'max' | null;
  /** Number of classes of the classifier. */
  classes: number;
  /** Activation of the classifier. */
  classifierActivation: 'softmax' | 'linear';
  /** Model name, or undefined for the factory's default. */
  name: string | undefined;
}

const COMMON_OPTION_KEYS = [
  'includeTop',
  'weights',
  'inputShape',
  'pooling',
  'classes',
  'classifierActivation',
  'se',
  'name',
] as const;

/**
 * Throws a {@link ConfigError} for any key of `options` that is not in `known` (catches typos
 * like `clases`). `what` names the options in the message.
 *
 * @internal
 */
export function checkKnownKeys(what: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ConfigError(
        `${what} option '${key}'`,
        (options as Record<string, unknown>)[key],
        `one of the known options: ${known.join(', ')}`,
      );
    }
  }
}

/**
 * Validates the Keras-style options of a factory and fills in the defaults. `extraKeys` lists
 * the family's own options; any other unknown key, or non-null `weights`, is a
 * {@link ConfigError}.
 *
 * @example
 * ```ts
 * import { resolveModelOptions } from '@se/core';
 *
 * const resolved = resolveModelOptions(
 *   { classes: 10 },
 *   { defaultInputShape: [224, 224, 3], minInputSize: 32 },
 * );
 * resolved.inputShape; // [224, 224, 3]
 * ```
 */
export function resolveModelOptions(
  options: ModelOptions,
  limits: ArchitectureLimits,
  extraKeys: readonly string[] = [],
): ResolvedModelOptions {
  checkKnownKeys('model', options, [...COMMON_OPTION_KEYS, ...extraKeys]);
  if (options.weights != null) {
    throw new ConfigError(
      'weights',
      options.weights,
      'null: SE Zoo bundles no pretrained weights; load a timm checkpoint with ' +
        'loadPyTorchWeights(model, bytes) or `se-zoo convert`',
    );
  }
  const includeTop = options.includeTop ?? true;
  const inputShape = resolveInputShape(options.inputShape ?? limits.defaultInputShape, limits);
  const classes = checkInteger('classes', options.classes ?? 1000, 1);
  const pooling =
    options.pooling == null
      ? null
      : checkChoice('pooling', options.pooling, ['avg', 'max'] as const);
  const classifierActivation = checkChoice(
    'classifierActivation',
    options.classifierActivation ?? 'softmax',
    ['softmax', 'linear'] as const,
  );
  return { includeTop, inputShape, pooling, classes, classifierActivation, name: options.name };
}

function resolveInputShape(shape: unknown, limits: ArchitectureLimits): InputShape {
  if (!Array.isArray(shape) || shape.length !== 3) {
    throw new ConfigError(
      'inputShape',
      shape,
      'a rank-3 shape [height, width, channels] without the batch axis',
    );
  }
  const [height, width, channels] = shape as unknown[];
  for (const [axis, size] of [
    ['height', height],
    ['width', width],
  ] as const) {
    if (size === null) continue;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < limits.minInputSize) {
      throw new ConfigError(
        `inputShape ${axis}`,
        size,
        `null or an integer ≥ ${limits.minInputSize} (this network's smallest input) in ` +
          describeValue(shape),
      );
    }
  }
  checkInteger('inputShape channels', channels, 1);
  return shape as InputShape;
}

/** Names of the head's layers, as the reference implementation calls them. */
export interface HeadNames {
  /** Global pooling layer (weightless). Default `global_pool`. */
  pool?: string;
  /** Classifier: `fc` in timm, `last_linear` in the Caffe/Cadene ports. */
  classifier: string;
}

/**
 * The top of a classification network: global pooling, optional dropout, and the classifier —
 * or, without the top, the pooling Keras Applications' `pooling` option asks for.
 *
 * @param dropoutRate Dropout before the classifier (default 0: none).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { classifierHead, resolveModelOptions } from '@se/core';
 *
 * const options = resolveModelOptions(
 *   { classes: 10 },
 *   { defaultInputShape: [32, 32, 3], minInputSize: 8 },
 * );
 * const features = tf.input({ shape: [4, 4, 512] });
 * const probabilities = classifierHead(features, options, { classifier: 'fc' });
 * ```
 */
export function classifierHead(
  features: tf.SymbolicTensor,
  options: ResolvedModelOptions,
  names: HeadNames,
  dropoutRate = 0,
): tf.SymbolicTensor {
  const poolName = names.pool ?? 'global_pool';
  const pooling = options.includeTop ? (options.pooling ?? 'avg') : options.pooling;
  if (pooling === null) return features;
  const pool =
    pooling === 'avg'
      ? tf.layers.globalAveragePooling2d({ name: poolName })
      : tf.layers.globalMaxPooling2d({ name: poolName });
  let x = pool.apply(features) as tf.SymbolicTensor;
  if (!options.includeTop) return x;
  if (dropoutRate > 0) {
    x = tf.layers
      .dropout({ rate: dropoutRate, name: `${names.classifier}_dropout` })
      .apply(x) as tf.SymbolicTensor;
  }
  const logits = tf.layers
    .dense({ units: options.classes, name: names.classifier })
    .apply(x) as tf.SymbolicTensor;
  return activation(
    logits,
    options.classifierActivation,
    `${names.classifier}_${options.classifierActivation}`,
  );
}

/**
 * Checks the fixed height and width of `options.inputShape` against a per-size rule that a
 * minimum alone cannot express (BN-Inception's Caffe pooling fits only some sizes, a network
 * ending in a dense layer needs a fixed size): throws a {@link ConfigError} saying
 * `expected(size)` for the first size that does not `fit`. `null` (any size) fits when
 * `fits(null)` does.
 *
 * @example
 * ```ts
 * import { checkInputSizes, resolveModelOptions } from '@se/core';
 *
 * const options = resolveModelOptions(
 *   { inputShape: [64, 64, 3] },
 *   { defaultInputShape: [32, 32, 3], minInputSize: 8 },
 * );
 * checkInputSizes(
 *   options,
 *   (size) => size !== null && size % 32 === 0,
 *   () => 'a fixed multiple of 32',
 * ); // passes
 * ```
 */
export function checkInputSizes(
  options: ResolvedModelOptions,
  fits: (size: number | null) => boolean,
  expected: (size: number | null) => string,
): void {
  const [height, width] = options.inputShape;
  for (const [axis, size] of [
    ['height', height],
    ['width', width],
  ] as const) {
    if (!fits(size)) {
      throw new ConfigError(`inputShape ${axis}`, size, expected(size));
    }
  }
}
