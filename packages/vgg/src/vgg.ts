/**
 * VGG-16 with batch norm (Simonyan & Zisserman 2014) and SE-VGG-16, the paper's non-residual
 * example (Table 2: 15.47 → 15.48 GFLOPs at 224²).
 *
 * The plain network is timm's `vgg16_bn` (timm/models/vgg.py), layer for layer: thirteen 3×3
 * convolutions with bias, each followed by BN and ReLU, in five blocks closed by 2×2 max pools,
 * all numbered as timm's `features` Sequential (`features.0` conv, `features.1` BN,
 * `features.2` ReLU, …, `features.43` the last pool); then timm's `pre_logits` ConvMlp — `fc1`, a
 * 7×7 convolution standing for the first 4096-unit FC layer, ReLU, dropout, `fc2`, a 1×1
 * convolution, ReLU — and the head: global average pooling and `head.fc`. At 224² the 7×7 map
 * becomes 1×1 and this is the classic classifier; on larger inputs `fc1` slides and the head
 * averages its outputs; on inputs smaller than 224² timm first enlarges the feature map to 7×7
 * by adaptive average pooling, and so do we ({@link AdaptiveAvgPool2D}).
 *
 * SE: an SE block after the non-linearity following each convolution (the paper's
 * "Instantiations" for non-residual networks), ⌊C/16⌋ hidden units. Each is named
 * `features.N.se`, N the index of the ReLU it follows (a PyTorch port makes that ReLU a module
 * holding `se`), so the plain layers keep timm's indices and keys.
 */

import {
  type ArchitectureLimits,
  activation,
  batchNorm,
  ConfigError,
  classifierHead,
  conv2d,
  type FamilyModel,
  GroupedConv2D,
  heNormalFanOut,
  type ModelOptions,
  Pool2D,
  type ResolvedSE,
  registerFamily,
  resolveFamilySE,
  resolveModelOptions,
  seAt,
  seForStage,
  twinModels,
} from '@se/core';
import * as tf from '@tensorflow/tfjs';

/** VGG-16's convolutions (output channels) and max pools (`'M'`): timm's and torchvision's `cfgs['vgg16']`. */
export const VGG16_CONFIG: readonly (number | 'M')[] = [
  64,
  64,
  'M',
  128,
  128,
  'M',
  256,
  256,
  256,
  'M',
  512,
  512,
  512,
  'M',
  512,
  512,
  512,
  'M',
];

/** Five 2×2 pools: total stride 32, so 32×32 is the smallest input (a 1×1 feature map). */
export const VGG_LIMITS: ArchitectureLimits = {
  defaultInputShape: [224, 224, 3],
  minInputSize: 32,
};

/** Kernel size of `pre_logits.fc1`: the 7×7 map of VGG at 224². */
const FC1_KERNEL = 7;

/**
 * PyTorch's `adaptive_avg_pool2d` to at least `minSize`×`minSize`: a map smaller than that along
 * an axis is resampled to `minSize` there (output cell i averages input cells ⌊i·n/m⌋ to
 * ⌈(i+1)·n/m⌉ − 1, so cells are repeated), a larger axis is left as it is. timm's VGG head does
 * this before its 7×7 `fc1` on inputs smaller than 224².
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { AdaptiveAvgPool2D } from '@se/vgg';
 *
 * const layer = new AdaptiveAvgPool2D({ minSize: 7 });
 * (layer.apply(tf.ones([1, 2, 9, 1])) as tf.Tensor).shape; // [1, 7, 9, 1]
 * ```
 */
export class AdaptiveAvgPool2D extends tf.layers.Layer {
  /** @ignore */
  static className = 'AdaptiveAvgPool2D';
  /** Smallest output height and width. */
  readonly minSize: number;

  constructor(args: { minSize: number; name?: string }) {
    super({ name: args.name });
    this.minSize = args.minSize;
    if (!Number.isInteger(this.minSize) || this.minSize < 1) {
      throw new ConfigError(`layer '${this.name}' minSize`, args.minSize, 'an integer ≥ 1');
    }
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, height, width, channels] = (
      Array.isArray(inputShape[0]) ? inputShape[0] : inputShape
    ) as tf.Shape;
    const grow = (n: number | null | undefined) => (n == null ? null : Math.max(n, this.minSize));
    return [batch ?? null, grow(height), grow(width), channels ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      return this.resample(this.resample(x, 1), 2);
    });
  }

  /** Resamples one spatial axis to `minSize` by a [minSize, n] averaging matrix, if it is smaller. */
  private resample(x: tf.Tensor4D, axis: 1 | 2): tf.Tensor4D {
    const n = x.shape[axis];
    const m = this.minSize;
    if (n >= m) return x;
    const weights = new Float32Array(m * n);
    for (let i = 0; i < m; i++) {
      const start = Math.floor((i * n) / m);
      const end = Math.ceil(((i + 1) * n) / m);
      for (let j = start; j < end; j++) weights[i * n + j] = 1 / (end - start);
    }
    // Move the axis last, multiply by the matrix, move it back.
    const order = axis === 1 ? [0, 2, 3, 1] : [0, 1, 3, 2];
    const inverse = axis === 1 ? [0, 3, 1, 2] : [0, 1, 3, 2];
    const moved = tf.transpose(x, order);
    const [a = 0, b = 0, c = 0] = moved.shape;
    const flat = tf.reshape(moved, [a * b * c, n]);
    const resampled = tf.matMul(flat, tf.tensor2d(weights, [m, n]), false, true);
    return tf.transpose(tf.reshape(resampled, [a, b, c, m]), inverse) as tf.Tensor4D;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), minSize: this.minSize };
  }
}
tf.serialization.registerClass(AdaptiveAvgPool2D, 'SEZoo');

/**
 * A convolution that, when its kernel covers the whole (unpadded) input, runs as the dense layer
 * it then is: one matrix product of the flattened input with the kernel, instead of a
 * convolution. The weights, their layout (`[kh, kw, C_in, C_out]`), the PyTorch mapping and the
 * saved class (`GroupedConv2D` with one group) are a plain convolution's; only the arithmetic is
 * cheaper — above all its gradient: tfjs's CPU convolution gradients take minutes for VGG's
 * `fc1` (a 7×7 window of 512 channels into 4,096) and `fc2` (1×1, 4,096 into 4,096) on a 7×7 and
 * a 1×1 map, the matrix products a second or two. Other input sizes (`fc1` sliding over a larger
 * map) fall back to the convolution.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { FullWindowConv2D } from '@se/vgg';
 *
 * // timm's pre_logits.fc1 of VGG: Conv2d(512, 4096, kernel_size=7)
 * const fc1 = new FullWindowConv2D({ name: 'pre_logits.fc1', filters: 4096, kernelSize: 7 });
 * const y = fc1.apply(tf.input({ shape: [7, 7, 512] })) as tf.SymbolicTensor; // [1, 1, 4096]
 * ```
 */
export class FullWindowConv2D extends GroupedConv2D {
  constructor(args: { name?: string; filters: number; kernelSize: number }) {
    super({
      name: args.name,
      filters: args.filters,
      kernelSize: args.kernelSize,
      groups: 1,
      useBias: true,
      kernelInitializer: heNormalFanOut(),
    });
  }

  /** A matrix product when the kernel covers the whole input, else the convolution. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    const [batch, height, width] = x.shape;
    const [kh, kw] = this.kernelSize;
    if (height !== kh || width !== kw) return super.call(inputs);
    return tf.tidy(() => {
      // The layer's own variables: the kernel, then the bias.
      const [kernel, bias] = this.weights.map((w) => w.read());
      if (!kernel) throw new Error(`FullWindowConv2D '${this.name}' is used before it is built`);
      // NHWC flattened per image is (h, w, c), the order of the HWIO kernel's first three axes.
      let y = tf.matMul(tf.reshape(x, [batch, -1]), tf.reshape(kernel, [-1, this.filters]));
      if (bias) y = tf.add(y, bias);
      return tf.reshape(y, [batch, 1, 1, this.filters]);
    });
  }
}

/** Options of the VGG-16 factories: Keras's, plus timm's dropout. */
export interface Vgg16BnOptions extends ModelOptions {
  /**
   * Dropout after `pre_logits.fc1` and before `head.fc` (timm's `drop_rate`; default 0 as timm's
   * `vgg16_bn`, torchvision's original classifier used 0.5).
   */
  dropRate?: number;
}

const EXTRA_KEYS = ['dropRate'] as const;

/**
 * The SE settings of VGG-16 for `se` (⌊C/16⌋ hidden units; `se.stages` picks among the five
 * convolution blocks; only the `'standard'` position, after each convolution's ReLU), or null
 * for the plain network.
 *
 * @example
 * ```ts
 * import { resolveVggSE } from '@se/vgg';
 *
 * resolveVggSE({ stages: [4, 5] }, false)?.stages; // [4, 5]
 * ```
 */
export function resolveVggSE(se: ModelOptions['se'], enabledByDefault: boolean): ResolvedSE | null {
  return resolveFamilySE(se, enabledByDefault, {
    stages: 5,
    positions: ['standard'],
    why: " (after each convolution's ReLU): VGG has no residual units",
  });
}

/**
 * The convolutional part of VGG-16 (timm's `features`): `features.N` layers, SE after each ReLU
 * where `se` has the block. Returns the last max pool's output.
 *
 * @example
 * ```ts
 * import { vgg16Features } from '@se/vgg';
 * import * as tf from '@tensorflow/tfjs';
 *
 * const x = vgg16Features(tf.input({ shape: [224, 224, 3] }), null); // [7, 7, 512]
 * ```
 */
export function vgg16Features(input: tf.SymbolicTensor, se: ResolvedSE | null): tf.SymbolicTensor {
  let x = input;
  let index = 0;
  let block = 1;
  for (const entry of VGG16_CONFIG) {
    if (entry === 'M') {
      x = new Pool2D({ name: `features.${index}`, mode: 'max', poolSize: 2, strides: 2 }).apply(
        x,
      ) as tf.SymbolicTensor;
      index += 1;
      block += 1;
      continue;
    }
    x = conv2d(x, { name: `features.${index}`, filters: entry, kernelSize: 3, useBias: true });
    x = batchNorm(x, `features.${index + 1}`);
    x = activation(x, 'relu', `features.${index + 2}`);
    x = seAt(x, seForStage(se, block), 'standard', `features.${index + 2}.se`);
    index += 3;
  }
  return x;
}

/**
 * Builds VGG-16-BN (or SE-VGG-16) from Keras-style options; SE is on when `se` is given or when
 * `seByDefault` and `se` is omitted.
 *
 * @example
 * ```ts
 * import { buildVgg16Bn } from '@se/vgg';
 *
 * const model = buildVgg16Bn({ classes: 10, inputShape: [64, 64, 3] }, true);
 * ```
 */
export function buildVgg16Bn(
  options: Vgg16BnOptions = {},
  seByDefault = false,
  defaultName?: string,
): tf.LayersModel {
  const resolved = resolveModelOptions(options, VGG_LIMITS, EXTRA_KEYS);
  const dropRate = options.dropRate ?? 0;
  if (typeof dropRate !== 'number' || !(dropRate >= 0 && dropRate < 1)) {
    throw new ConfigError('dropRate', dropRate, 'a number in [0, 1)');
  }
  const se = resolveVggSE(options.se, seByDefault);
  const input = tf.input({ shape: resolved.inputShape, name: 'input' });
  const features = vgg16Features(input, se);
  let output: tf.SymbolicTensor;
  if (resolved.includeTop) {
    let x = features;
    const [height, width] = features.shape.slice(1, 3);
    if (height == null || width == null || height < FC1_KERNEL || width < FC1_KERNEL) {
      x = new AdaptiveAvgPool2D({ minSize: FC1_KERNEL, name: 'pre_logits.resize' }).apply(
        x,
      ) as tf.SymbolicTensor;
    }
    x = new FullWindowConv2D({
      name: 'pre_logits.fc1',
      filters: 4096,
      kernelSize: FC1_KERNEL,
    }).apply(x) as tf.SymbolicTensor;
    x = activation(x, 'relu', 'pre_logits.act1');
    if (dropRate > 0) {
      x = tf.layers
        .dropout({ rate: dropRate, name: 'pre_logits.drop' })
        .apply(x) as tf.SymbolicTensor;
    }
    // At 224² fc1 leaves a 1×1 map, which fc2's 1×1 kernel covers too.
    x = new FullWindowConv2D({ name: 'pre_logits.fc2', filters: 4096, kernelSize: 1 }).apply(
      x,
    ) as tf.SymbolicTensor;
    x = activation(x, 'relu', 'pre_logits.act2');
    output = classifierHead(
      x,
      resolved,
      { pool: 'head.global_pool', classifier: 'head.fc' },
      dropRate,
    );
  } else {
    output = classifierHead(features, resolved, { classifier: 'head.fc' });
  }
  const name = resolved.name ?? defaultName ?? (se ? 'se_vgg16_bn' : 'vgg16_bn');
  return tf.model({ inputs: input, outputs: output, name });
}

/** The registry rows of VGG-16-BN and SE-VGG-16. */
const VGG_MODELS: Record<VggModelName, FamilyModel<Vgg16BnOptions>> = twinModels({
  plain: 'vgg16_bn',
  se: 'se_vgg16_bn',
  build: (options: Vgg16BnOptions, seByDefault, name) => buildVgg16Bn(options, seByDefault, name),
  description: {
    plain: "VGG-16 with BN, exact to timm's vgg16_bn (state_dict keys and shapes)",
    se: "SE-VGG-16: SE after every convolution's ReLU (paper Table 2)",
  },
  paper: { plain: { gmacs: 15.47, table: 'Table 2' }, se: { gmacs: 15.48, table: 'Table 2' } },
});

/** The registered names of VGG-16-BN and its SE twin. */
export type VggModelName = 'vgg16_bn' | 'se_vgg16_bn';

/** Every {@link VggModelName}, as registered. */
export const VGG_MODEL_NAMES = Object.keys(VGG_MODELS) as readonly VggModelName[];

declare module '@se/core' {
  interface ModelNames extends Record<VggModelName, true> {}
}

const VGG16_BN = registerFamily({
  family: 'vgg',
  package: '@se/vgg',
  limits: VGG_LIMITS,
  models: VGG_MODELS,
});

/**
 * VGG-16 with BN, exact to timm's `vgg16_bn` (138,365,992 parameters, 15.47 G MACs at 224²);
 * plain unless `se` is given.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options) and
 *   timm's `dropRate`; all optional.
 * @example
 * ```ts
 * import { vgg16Bn } from '@se/vgg';
 *
 * const model = vgg16Bn({ classifierActivation: 'linear' }); // logits, as timm
 * const backbone = vgg16Bn({ includeTop: false, pooling: 'avg', inputShape: [null, null, 3] });
 * ```
 * @function
 */
export const vgg16Bn = VGG16_BN.vgg16_bn;

/**
 * SE-VGG-16 (paper Table 2: 15.48 GFLOPs): an SE block after every convolution's ReLU;
 * `se: false` gives the plain baseline.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options) and
 *   timm's `dropRate`; all optional.
 * @example
 * ```ts
 * import { seVgg16Bn } from '@se/vgg';
 *
 * const model = seVgg16Bn({ classes: 10, inputShape: [32, 32, 3], dropRate: 0.5 });
 * ```
 * @function
 */
export const seVgg16Bn = VGG16_BN.se_vgg16_bn;
