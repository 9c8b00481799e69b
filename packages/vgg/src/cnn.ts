/**
 * The small CNN of the Keras seed experiments (Keras's `cifar10_cnn` example: plain 75.4 %,
 * with SE 76.3 % on CIFAR-10): two blocks of two 3×3 convolutions with ReLU, max pooling and
 * dropout, then a 512-unit dense layer. The SE variant puts an SE block after the non-linearity
 * following each convolution, as the paper does for non-residual networks.
 */

import {
  type ArchitectureLimits,
  activation,
  ConfigError,
  classifierHead,
  conv2d,
  type FamilyModel,
  type ModelOptions,
  type ResolvedSE,
  registerFamily,
  resolveFamilySE,
  resolveModelOptions,
  seAt,
  seForStage,
  twinModels,
} from '@se/core';
import * as tf from '@tensorflow/tfjs';

/** 32×32 in, but any fixed size from 10×10 up works (the dense layer fixes the size). */
export const CNN_LIMITS: ArchitectureLimits = { defaultInputShape: [32, 32, 3], minInputSize: 10 };

function convBlock(x: tf.SymbolicTensor, stage: number, filters: number, se: ResolvedSE | null) {
  let y = x;
  for (const [i, padding] of [
    [1, undefined],
    [2, 0],
  ] as const) {
    const name = `conv${2 * (stage - 1) + i}`;
    // Keras's example pads the first convolution of a block ('same') and not the second.
    y = conv2d(y, {
      name,
      filters,
      kernelSize: 3,
      useBias: true,
      ...(padding === 0 ? { padding } : {}),
    });
    y = activation(y, 'relu', `${name}_relu`);
    y = seAt(y, se, 'standard', `${name}_se`);
  }
  y = tf.layers.maxPooling2d({ poolSize: 2, name: `pool${stage}` }).apply(y) as tf.SymbolicTensor;
  return tf.layers
    .dropout({ rate: 0.25, name: `pool${stage}_dropout` })
    .apply(y) as tf.SymbolicTensor;
}

/**
 * Builds the small CNN; `se` defaults to off for `cnn` and on for `se_cnn`.
 *
 * @example
 * ```ts
 * import { buildCnn } from '@se/vgg';
 *
 * const model = buildCnn({ inputShape: [28, 28, 1] }, true, 'fashion_se_cnn');
 * ```
 */
export function buildCnn(
  options: ModelOptions = {},
  seByDefault = false,
  defaultName = 'cnn',
): tf.LayersModel {
  const resolved = resolveModelOptions({ classes: 10, ...options }, CNN_LIMITS);
  const [height, width] = resolved.inputShape;
  if (height === null || width === null) {
    throw new ConfigError(
      'inputShape',
      resolved.inputShape,
      'a fixed height and width: the dense layer needs them',
    );
  }
  // The Keras seed uses dense FC layers in its SE blocks, with ⌊C/16⌋ hidden units.
  const se = resolveFamilySE(options.se, seByDefault, {
    stages: 2,
    defaults: { reduction: 16, fc: 'dense' },
  });
  const input = tf.input({ shape: resolved.inputShape, name: 'input' });
  let x = convBlock(input, 1, 32, seForStage(se, 1));
  x = convBlock(x, 2, 64, seForStage(se, 2));
  if (resolved.includeTop) {
    x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .dense({ units: 512, activation: 'relu', name: 'fc1' })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.dropout({ rate: 0.5, name: 'fc1_dropout' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: resolved.classes, name: 'fc' }).apply(x) as tf.SymbolicTensor;
    if (resolved.classifierActivation === 'softmax') x = activation(x, 'softmax', 'fc_softmax');
  } else {
    x = classifierHead(x, resolved, { classifier: 'fc' });
  }
  return tf.model({ inputs: input, outputs: x, name: resolved.name ?? defaultName });
}

/** The registry rows of the small CNN and its SE twin. */
const CNN_MODELS: Record<CnnModelName, FamilyModel> = twinModels({
  plain: 'cnn',
  se: 'se_cnn',
  build: buildCnn,
  description: {
    plain: "Small CNN of the Keras seed (Keras's cifar10_cnn example)",
    se: 'Small CNN of the Keras seed with SE after every convolution',
  },
});

/** The registered names of the small CNN and its SE twin. */
export type CnnModelName = 'cnn' | 'se_cnn';

/** Every {@link CnnModelName}, as registered. */
export const CNN_MODEL_NAMES = Object.keys(CNN_MODELS) as readonly CnnModelName[];

declare module '@se/core' {
  interface ModelNames extends Record<CnnModelName, true> {}
}

const CNN = registerFamily({
  family: 'cnn',
  package: '@se/vgg',
  limits: CNN_LIMITS,
  models: CNN_MODELS,
});

/**
 * The plain small CNN (1,250,858 parameters at 32×32×3, 10 classes).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { cnn } from '@se/vgg';
 *
 * const model = cnn({ inputShape: [28, 28, 1] }); // Fashion-MNIST
 * ```
 * @function
 */
export const cnn = CNN.cnn;
/**
 * The small CNN with an SE block after each convolution's ReLU.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { seCnn } from '@se/vgg';
 *
 * const model = seCnn({ se: { reduction: 8 } });
 * ```
 * @function
 */
export const seCnn = CNN.se_cnn;
