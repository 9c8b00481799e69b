import * as tf from '@tensorflow/tfjs';
import { fusedOps } from '../layers/fused-ops.js';
import { nhwcChannels, singleShape } from '../layers/shapes.js';
import { HWIO_TO_OIHW, TRANSPOSE_2D, weightIndex } from '../layers/torch-weights.js';
import type { CountsMacs, MapsTorchWeights, TorchWeightSpec } from '../layers/types.js';
import {
  type ResolvedSqueezeExcite,
  resolveSqueezeExcite,
  type SqueezeExciteOptions,
  seHiddenChannels,
} from './options.js';
import {
  applyGate,
  channelScale,
  type ExcitationWeights,
  fusedSqueezeExcite,
} from './squeeze-excite-op.js';

/** Layer arguments of {@link SqueezeExcite}: the block's options, validated by the layer. */
export interface SqueezeExciteArgs extends SqueezeExciteOptions {
  /** Layer name; SE Zoo uses the PyTorch module path (`layer1.0.se`). */
  name?: string;
  /** Whether `fit` updates the FC weights (default true). */
  trainable?: boolean;
}

/**
 * Layer arguments of {@link SqueezeExcite} whose options {@link resolveSqueezeExcite} has already
 * validated (as {@link squeezeExcite} passes them): the layer takes them as they are.
 */
export interface ResolvedSqueezeExciteArgs {
  /** The block's resolved options. */
  block: ResolvedSqueezeExcite;
  /** Layer name; SE Zoo uses the PyTorch module path (`layer1.0.se`). */
  name?: string;
  /** Whether `fit` updates the FC weights (default true). */
  trainable?: boolean;
}

/**
 * The Squeeze-and-Excitation block (paper Fig. 1): squeeze each channel to one number, excite
 * through FC → ReLU → FC → gate, and scale the input channels by the result.
 *
 * Its four tensors map one-to-one onto timm's `se.fc1/fc2` and the Caffe/Cadene
 * `se_module.fc1/fc2` (`weight` and `bias`).
 *
 * In training, blocks with average squeeze run {@link fusedSqueezeExcite} and blocks with max
 * squeeze scale by {@link channelScale}, both with closed-form gradients, unless
 * {@link fusedOps}`.squeezeExcite` is off. Inference and NoSqueeze use the plain composition.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { SqueezeExcite } from '@se/core';
 *
 * const x = tf.input({ shape: [32, 32, 64] });
 * const y = new SqueezeExcite({ reduction: 16, name: 'se' }).apply(x) as tf.SymbolicTensor;
 * tf.model({ inputs: x, outputs: y }).summary(); // 2·64·4 + 4 + 64 = 580 parameters
 * ```
 */
export class SqueezeExcite extends tf.layers.Layer implements CountsMacs, MapsTorchWeights {
  /** @ignore */
  static className = 'SqueezeExcite';
  /** The block's validated options, with the paper's defaults filled in. */
  readonly options: ResolvedSqueezeExcite;
  private fc1Kernel?: tf.LayerVariable;
  private fc1Bias?: tf.LayerVariable;
  private fc2Kernel?: tf.LayerVariable;
  private fc2Bias?: tf.LayerVariable;
  private channels = 0;
  private hidden = 0;

  /**
   * @param args The block's options with the layer's name, or ({@link ResolvedSqueezeExciteArgs})
   * options already resolved. A saved model's config comes back as the former.
   */
  constructor(args: SqueezeExciteArgs | ResolvedSqueezeExciteArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
    if ('block' in args) {
      this.options = { ...args.block };
    } else {
      const { name: _name, trainable: _trainable, ...options } = args;
      this.options = resolveSqueezeExcite(options, args.name ? `${args.name} se` : 'se');
    }
  }

  /** Channels this block scales (known once built). */
  get channelCount(): number {
    return this.channels;
  }

  /** Width of the excitation bottleneck (known once built). */
  get hiddenChannelCount(): number {
    return this.hidden;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = nhwcChannels(`layer '${this.name}'`, singleShape(inputShape));
    // At least 1: the options are validated, and seHiddenChannels refuses a ratio above C.
    const hidden = seHiddenChannels(channels, this.options, `layer '${this.name}' se`);
    this.channels = channels;
    this.hidden = hidden;
    const conv = this.options.fc === 'conv1x1';
    const shape1 = conv ? [1, 1, channels, hidden] : [channels, hidden];
    const shape2 = conv ? [1, 1, hidden, channels] : [hidden, channels];
    // PyTorch's default Linear/Conv init: U(-1/√fan_in, 1/√fan_in) for weights and biases.
    const init = (fanIn: number) =>
      tf.initializers.randomUniform({
        minval: -1 / Math.sqrt(fanIn),
        maxval: 1 / Math.sqrt(fanIn),
      });
    this.fc1Kernel = this.addWeight('fc1/kernel', shape1, 'float32', init(channels));
    this.fc2Kernel = this.addWeight('fc2/kernel', shape2, 'float32', init(hidden));
    if (this.options.bias) {
      this.fc1Bias = this.addWeight('fc1/bias', [hidden], 'float32', init(channels));
      this.fc2Bias = this.addWeight('fc2/bias', [channels], 'float32', init(hidden));
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return singleShape(inputShape);
  }

  /**
   * The excitation s of Eq. 3: one gate value per channel, `[batch, 1, 1, C]` (or
   * `[batch, H, W, C]` with NoSqueeze). This is what the paper's Fig. 6/7 plots.
   */
  excitation(input: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      if (!this.fc1Kernel || !this.fc2Kernel) {
        throw new Error(`SqueezeExcite '${this.name}' is used before it is built`);
      }
      const { squeeze, gate } = this.options;
      const [batch, height, width] = input.shape;
      const squeezed =
        squeeze === 'avg'
          ? tf.mean(input, [1, 2])
          : squeeze === 'max'
            ? tf.max(input, [1, 2])
            : tf.reshape(input, [-1, this.channels]);
      let hidden = tf.matMul(squeezed, tf.reshape(this.fc1Kernel.read(), [this.channels, -1]));
      if (this.fc1Bias) hidden = tf.add(hidden, this.fc1Bias.read());
      hidden = tf.relu(hidden);
      let logits = tf.matMul(hidden, tf.reshape(this.fc2Kernel.read(), [-1, this.channels]));
      if (this.fc2Bias) logits = tf.add(logits, this.fc2Bias.read());
      const spatial = squeeze === 'none' ? [height ?? -1, width ?? -1] : [1, 1];
      return tf.reshape(applyGate(gate, logits), [batch ?? -1, ...spatial, this.channels]);
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor {
    return tf.tidy(() => {
      const input = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
      const { squeeze, gate } = this.options;
      // Training takes the fused ops' closed-form gradients (see fusedOps); inference, and
      // NoSqueeze's full-size gate, keep the plain composition.
      if (kwargs?.training === true && fusedOps.squeezeExcite && input.rank === 4) {
        if (squeeze === 'avg') {
          return fusedSqueezeExcite(input as tf.Tensor4D, this.excitationWeights(), gate);
        }
        if (squeeze === 'max') {
          return channelScale(input as tf.Tensor4D, this.excitation(input) as tf.Tensor4D);
        }
      }
      return tf.mul(input, this.excitation(input));
    });
  }

  /** The FC weights as `[C, hidden]` and `[hidden, C]` matrices, for {@link fusedSqueezeExcite}. */
  private excitationWeights(): ExcitationWeights {
    if (!this.fc1Kernel || !this.fc2Kernel) {
      throw new Error(`SqueezeExcite '${this.name}' is used before it is built`);
    }
    return {
      fc1Kernel: tf.reshape(this.fc1Kernel.read(), [this.channels, this.hidden]),
      fc2Kernel: tf.reshape(this.fc2Kernel.read(), [this.hidden, this.channels]),
      ...(this.fc1Bias ? { fc1Bias: this.fc1Bias.read() as tf.Tensor1D } : {}),
      ...(this.fc2Bias ? { fc2Bias: this.fc2Bias.read() as tf.Tensor1D } : {}),
    };
  }

  /** Multiply–accumulates of the two FC layers (per position with NoSqueeze). */
  macs(_inputShapes: tf.Shape[], outputShape: tf.Shape): number {
    const perPosition = 2 * this.channels * this.hidden;
    if (this.options.squeeze !== 'none') return perPosition;
    return perPosition * (outputShape[1] ?? 0) * (outputShape[2] ?? 0);
  }

  /** `fc1`/`fc2` `weight` and `bias` of timm's `se` and Cadene's `se_module`. */
  torchWeights(): TorchWeightSpec[] {
    const toTorch = this.options.fc === 'conv1x1' ? HWIO_TO_OIHW : TRANSPOSE_2D;
    return ['fc1', 'fc2'].flatMap((fc): TorchWeightSpec[] => [
      { suffix: `${fc}.weight`, weightIndex: weightIndex(this, `${fc}/kernel`), toTorch },
      ...(this.options.bias
        ? [{ suffix: `${fc}.bias`, weightIndex: weightIndex(this, `${fc}/bias`), toTorch: null }]
        : []),
    ]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { hiddenChannels, ...rest } = this.options;
    return {
      ...super.getConfig(),
      ...rest,
      ...(hiddenChannels == null ? {} : { hiddenChannels }),
    };
  }
}
tf.serialization.registerClass(SqueezeExcite, 'SEZoo');
