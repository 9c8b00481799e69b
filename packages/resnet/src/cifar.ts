/**
 * The CIFAR-style residual networks of the paper's small-image experiments (journal Table 5):
 * - `resnet20/32/44/56/110`: He et al. (CVPR 2016) §4.2 — three stages of 16/32/64 channels,
 *   n basic blocks each (depth 6n + 2), parameter-free "option A" shortcuts;
 * - `resnet164`: the pre-activation bottleneck ResNet of He et al. (ECCV 2016), 18 units a stage;
 * - `wrn16_8`: the wide ResNet WRN-16-8 of Zagoruyko & Komodakis (2016), pre-activation.
 * Each has an SE twin (`seresnet20`, …, `se_wrn16_8`) with SE on the residual branch before the
 * addition and ⌊C/16⌋ hidden units. Layer names follow the common PyTorch ports.
 */

import {
  type ArchitectureLimits,
  activation,
  batchNorm,
  checkInteger,
  classifierHead,
  conv2d,
  convBn,
  type FamilyModel,
  type ModelOptions,
  registerFamily,
  residualUnit,
  resolveModelOptions,
  resolveSEConfig,
  seForStage,
  twinModels,
} from '@se/core';
import * as tf from '@tensorflow/tfjs';

/** Total stride 4: any input from 8×8 up (CIFAR's 32×32, Fashion-MNIST's 28×28). */
export const CIFAR_LIMITS: ArchitectureLimits = { defaultInputShape: [32, 32, 3], minInputSize: 8 };

/**
 * He et al.'s "option A" shortcut: subsample by the stride and zero-pad the new channels, so the
 * shortcut has no parameters (as in the CIFAR experiments of the ResNet paper).
 */
export class ZeroPadShortcut extends tf.layers.Layer {
  /** @ignore */
  static className = 'ZeroPadShortcut';
  /** Spatial subsampling factor. */
  readonly stride: number;
  /** Output channels (the input's, zero-padded evenly on both sides). */
  readonly channels: number;

  constructor(args: { stride: number; channels: number; name?: string }) {
    super({ name: args.name });
    this.stride = checkInteger(`layer '${this.name}' stride`, args.stride, 1);
    this.channels = checkInteger(`layer '${this.name}' channels`, args.channels, 1);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, height, width] = (
      Array.isArray(inputShape[0]) ? inputShape[0] : inputShape
    ) as tf.Shape;
    const down = (n: number | null | undefined) => (n == null ? null : Math.ceil(n / this.stride));
    return [batch ?? null, down(height), down(width), this.channels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const c = x.shape[3];
      const s = this.stride;
      // A 1×1 average pool with stride s is x[:, ::s, ::s] and, unlike stridedSlice, has a gradient.
      const sub = s === 1 ? x : tf.avgPool(x, 1, s, 'valid');
      const extra = this.channels - c;
      const before = Math.floor(extra / 2);
      return tf.pad(sub, [
        [0, 0],
        [0, 0],
        [0, 0],
        [before, extra - before],
      ]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stride: this.stride, channels: this.channels };
  }
}
tf.serialization.registerClass(ZeroPadShortcut, 'SEZoo');

const SE_DEFAULTS = { reduction: 16, divisor: 1 } as const;

/** A CIFAR ResNet with basic blocks and option-A shortcuts (post-activation). */
function buildPlainCifar(depth: number, options: ModelOptions, seByDefault: boolean, name: string) {
  const resolved = resolveModelOptions({ classes: 10, ...options }, CIFAR_LIMITS);
  const se = resolveSEConfig(options.se, SE_DEFAULTS, 3, seByDefault);
  const blocks = (depth - 2) / 6;
  const input = tf.input({ shape: resolved.inputShape, name: 'input' });
  let x = convBn(input, {
    name: 'conv1',
    bnName: 'bn1',
    filters: 16,
    kernelSize: 3,
    activation: 'relu',
    activationName: 'act1',
  });
  for (const [stage, planes] of [16, 32, 64].entries()) {
    for (let i = 0; i < blocks; i++) {
      const prefix = `layer${stage + 1}.${i}`;
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const inChannels = x.shape[3] ?? 0;
      x = residualUnit(x, {
        name: prefix,
        se: seForStage(se, stage + 1),
        shortcut:
          stride === 1 && inChannels === planes
            ? undefined
            : (t) =>
                new ZeroPadShortcut({ stride, channels: planes, name: `${prefix}.shortcut` }).apply(
                  t,
                ) as tf.SymbolicTensor,
        branch: (t, after3x3) => {
          const h = convBn(t, {
            name: `${prefix}.conv1`,
            bnName: `${prefix}.bn1`,
            filters: planes,
            kernelSize: 3,
            strides: stride,
            activation: 'relu',
            activationName: `${prefix}.act1`,
          });
          return convBn(after3x3(h), {
            name: `${prefix}.conv2`,
            bnName: `${prefix}.bn2`,
            filters: planes,
            kernelSize: 3,
          });
        },
      });
    }
  }
  return tf.model({
    inputs: input,
    outputs: classifierHead(x, resolved, { classifier: 'fc' }),
    name: resolved.name ?? name,
  });
}

/** BN → ReLU, the start of a pre-activation unit (and the end of a pre-activation network). */
function bnRelu(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return activation(batchNorm(x, `${name}`), 'relu', `${name}_relu`);
}

interface PreActStage {
  /** Output channels of the stage's units. */
  width: number;
  units: number;
}

/** A pre-activation ResNet: bottleneck (ResNet-164) or wide basic units (WRN). */
function buildPreAct(
  kind: 'bottleneck' | 'basic',
  stages: PreActStage[],
  options: ModelOptions,
  seByDefault: boolean,
  name: string,
) {
  const resolved = resolveModelOptions({ classes: 10, ...options }, CIFAR_LIMITS);
  const se = resolveSEConfig(options.se, SE_DEFAULTS, stages.length, seByDefault);
  const input = tf.input({ shape: resolved.inputShape, name: 'input' });
  let x = conv2d(input, { name: 'conv1', filters: 16, kernelSize: 3 });
  for (const [stage, { width, units }] of stages.entries()) {
    for (let i = 0; i < units; i++) {
      const prefix = `layer${stage + 1}.${i}`;
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const project = stride !== 1 || x.shape[3] !== width;
      x = residualUnit(x, {
        name: prefix,
        se: seForStage(se, stage + 1),
        activation: 'linear',
        preActivation: (t) => bnRelu(t, `${prefix}.bn1`),
        shortcut: project
          ? (t) =>
              conv2d(t, {
                name: `${prefix}.shortcut`,
                filters: width,
                kernelSize: 1,
                strides: stride,
              })
          : undefined,
        branch: (t, after3x3) => {
          // SE_3×3 sits after the (first) 3×3 convolution and the BN–ReLU that follows it.
          if (kind === 'basic') {
            const h = conv2d(t, {
              name: `${prefix}.conv1`,
              filters: width,
              kernelSize: 3,
              strides: stride,
            });
            return conv2d(after3x3(bnRelu(h, `${prefix}.bn2`)), {
              name: `${prefix}.conv2`,
              filters: width,
              kernelSize: 3,
            });
          }
          const planes = width / 4;
          let h = conv2d(t, { name: `${prefix}.conv1`, filters: planes, kernelSize: 1 });
          h = conv2d(bnRelu(h, `${prefix}.bn2`), {
            name: `${prefix}.conv2`,
            filters: planes,
            kernelSize: 3,
            strides: stride,
          });
          return conv2d(after3x3(bnRelu(h, `${prefix}.bn3`)), {
            name: `${prefix}.conv3`,
            filters: width,
            kernelSize: 1,
          });
        },
      });
    }
  }
  x = bnRelu(x, 'bn_final');
  return tf.model({
    inputs: input,
    outputs: classifierHead(x, resolved, { classifier: 'fc' }),
    name: resolved.name ?? name,
  });
}

/** Depths of He et al.'s CIFAR ResNets (6n + 2). */
export const CIFAR_RESNET_DEPTHS = [20, 32, 44, 56, 110] as const;

/** Depth of a CIFAR ResNet of {@link CIFAR_RESNET_DEPTHS}. */
type CifarResNetDepth = (typeof CIFAR_RESNET_DEPTHS)[number];

/** The registry table of the CIFAR networks and their SE twins. */
const CIFAR_MODELS: Record<CifarResNetModelName, FamilyModel> = {
  ...(Object.fromEntries(
    CIFAR_RESNET_DEPTHS.flatMap((depth) =>
      Object.entries(
        twinModels({
          plain: `resnet${depth}`,
          se: `seresnet${depth}`,
          build: (options: ModelOptions, seByDefault, name) =>
            buildPlainCifar(depth, options, seByDefault, name),
          description: {
            plain: `CIFAR ResNet-${depth} (He et al. 2016, option-A shortcuts)`,
            se: `CIFAR ResNet-${depth} (He et al. 2016, option-A shortcuts), with SE`,
          },
        }),
      ),
    ),
  ) as Record<`resnet${CifarResNetDepth}` | `seresnet${CifarResNetDepth}`, FamilyModel>),
  ...twinModels({
    plain: 'resnet164',
    se: 'seresnet164',
    build: (options: ModelOptions, seByDefault, name) =>
      buildPreAct(
        'bottleneck',
        [64, 128, 256].map((width) => ({ width, units: 18 })),
        options,
        seByDefault,
        name,
      ),
    description: {
      plain: 'Pre-activation bottleneck ResNet-164 for CIFAR (He et al. 2016b)',
      se: 'Pre-activation bottleneck ResNet-164 for CIFAR (He et al. 2016b), with SE',
    },
  }),
  ...twinModels({
    plain: 'wrn16_8',
    se: 'se_wrn16_8',
    build: (options: ModelOptions, seByDefault, name) =>
      buildPreAct(
        'basic',
        [128, 256, 512].map((width) => ({ width, units: 2 })),
        options,
        seByDefault,
        name,
      ),
    description: {
      plain: 'Wide ResNet WRN-16-8 (Zagoruyko & Komodakis 2016)',
      se: 'Wide ResNet WRN-16-8 (Zagoruyko & Komodakis 2016), with SE',
    },
  }),
};

/** The registered name of a CIFAR network of this package (`resnet20`, `se_wrn16_8`, …). */
export type CifarResNetModelName =
  | `${'' | 'se'}resnet${(typeof CIFAR_RESNET_DEPTHS)[number] | 164}`
  | 'wrn16_8'
  | 'se_wrn16_8';

/** Every {@link CifarResNetModelName}, as registered. */
export const CIFAR_RESNET_MODEL_NAMES = Object.keys(
  CIFAR_MODELS,
) as readonly CifarResNetModelName[];

declare module '@se/core' {
  interface ModelNames extends Record<CifarResNetModelName, true> {}
}

const C = registerFamily({
  family: 'cifar-resnet',
  package: '@se/resnet',
  limits: CIFAR_LIMITS,
  models: CIFAR_MODELS,
});

/**
 * CIFAR ResNet-20 (269,722 parameters for 10 classes).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @function
 */
export const cifarResNet20 = C.resnet20;
/**
 * CIFAR SE-ResNet-20.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @function
 */
export const cifarSeResNet20 = C.seresnet20;
/**
 * CIFAR ResNet-32.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @function
 */
export const cifarResNet32 = C.resnet32;
/**
 * CIFAR SE-ResNet-32.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @function
 */
export const cifarSeResNet32 = C.seresnet32;
/**
 * CIFAR ResNet-44.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @function
 */
export const cifarResNet44 = C.resnet44;
/**
 * CIFAR SE-ResNet-44.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @function
 */
export const cifarSeResNet44 = C.seresnet44;
/**
 * CIFAR ResNet-56.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @function
 */
export const cifarResNet56 = C.resnet56;
/**
 * CIFAR SE-ResNet-56.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @function
 */
export const cifarSeResNet56 = C.seresnet56;
/**
 * CIFAR ResNet-110.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @function
 */
export const cifarResNet110 = C.resnet110;
/**
 * CIFAR SE-ResNet-110.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @function
 */
export const cifarSeResNet110 = C.seresnet110;
/**
 * Pre-activation ResNet-164 for CIFAR.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @function
 */
export const preActResNet164 = C.resnet164;
/**
 * Pre-activation SE-ResNet-164 for CIFAR.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @function
 */
export const sePreActResNet164 = C.seresnet164;
/**
 * WRN-16-8 (10,961,370 parameters for 10 classes).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @function
 */
export const wrn16x8 = C.wrn16_8;
/**
 * SE-WRN-16-8.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @function
 */
export const seWrn16x8 = C.se_wrn16_8;
