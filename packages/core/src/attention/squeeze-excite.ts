import * as tf from '@tensorflow/tfjs';
import { ConfigError, checkChoice, checkInteger } from '../errors.js';
import {
  applyGate,
  channelScale,
  type ExcitationWeights,
  fusedOps,
  fusedSqueezeExcite,
} from '../layers/fused-ops.js';
import { nhwcChannels, singleShape } from '../layers/shapes.js';
import type { CountsMacs } from '../layers/types.js';

/** How the squeeze step aggregates each channel's spatial map (paper §6.3). */
export type SqueezeMode = 'avg' | 'max' | 'none';
/** The excitation gate σ of Eq. 3, and the paper's alternatives (§6.4). */
export type GateKind = 'sigmoid' | 'hard_sigmoid' | 'tanh' | 'relu';
/**
 * How the two excitation FC layers store their weights: `'dense'` as `[in, out]` matrices (the
 * Keras seed implementation), `'conv1x1'` as `[1, 1, in, out]` kernels (the Caffe release, timm,
 * Cadene). The arithmetic is identical.
 */
export type FcForm = 'dense' | 'conv1x1';

/** Every {@link SqueezeMode}. */
export const SQUEEZE_MODES: readonly SqueezeMode[] = ['avg', 'max', 'none'];
/** Every {@link GateKind}. */
export const GATE_KINDS: readonly GateKind[] = ['sigmoid', 'hard_sigmoid', 'tanh', 'relu'];
/** Every {@link FcForm}. */
export const FC_FORMS: readonly FcForm[] = ['dense', 'conv1x1'];

/** Options of one SE block. Every field has the paper's default. */
export interface SqueezeExciteOptions {
  /** Reduction ratio r of the excitation bottleneck (default 16). */
  reduction?: number;
  /** Explicit hidden width; overrides `reduction`. */
  hiddenChannels?: number;
  /**
   * Rounding of the hidden width C/r. `1` (default) takes ⌊C/r⌋ as the Caffe release and the
   * legacy SENet ports do. A larger divisor rounds to the nearest multiple of it, never below
   * the divisor — timm uses 8 (`make_divisible`), so its SE-ResNet-18 first stage gets 8, not 4.
   */
  divisor?: number;
  /**
   * Smallest hidden width (default 0: a ratio r larger than the channels C is an error). With
   * `minHidden: 1` every ratio builds, as max(1, ⌊C/r⌋) — the reduction-ratio ablation needs it
   * for r = 32 on a CIFAR ResNet's 16-channel first stage.
   */
  minHidden?: number;
  /** Squeeze operator: global average (default), global max, or `'none'` (NoSqueeze). */
  squeeze?: SqueezeMode;
  /** Excitation gate (default `'sigmoid'`). `'hard_sigmoid'` is relu6(x + 3) / 6 as in PyTorch. */
  gate?: GateKind;
  /** Weight layout of the FC layers (default `'conv1x1'`). */
  fc?: FcForm;
  /** Whether the FC layers have biases (default true; the paper drops them on ResNets, §6). */
  bias?: boolean;
}

/** Fully resolved SE options. */
export type ResolvedSqueezeExcite = Required<Omit<SqueezeExciteOptions, 'hiddenChannels'>> & {
  /** Explicit hidden width, or null to derive it from `reduction` and `divisor`. */
  hiddenChannels: number | null;
};

/**
 * Validates SE options and fills in the paper's defaults. `field` prefixes error messages.
 *
 * @throws {@link ConfigError} for an invalid option.
 *
 * @example
 * ```ts
 * import { resolveSqueezeExcite } from '@se/core';
 *
 * resolveSqueezeExcite({ reduction: 8 });
 * // { reduction: 8, hiddenChannels: null, divisor: 1, minHidden: 0, squeeze: 'avg',
 * //   gate: 'sigmoid', fc: 'conv1x1', bias: true }
 * ```
 */
export function resolveSqueezeExcite(
  options: SqueezeExciteOptions = {},
  field = 'se',
): ResolvedSqueezeExcite {
  const reduction = options.reduction ?? 16;
  if (typeof reduction !== 'number' || !(reduction > 0) || !Number.isFinite(reduction)) {
    throw new ConfigError(`${field}.reduction`, reduction, 'a positive number (e.g. 16)');
  }
  const hiddenChannels =
    options.hiddenChannels === undefined
      ? null
      : checkInteger(`${field}.hiddenChannels`, options.hiddenChannels, 1);
  return {
    reduction,
    hiddenChannels,
    divisor: checkInteger(`${field}.divisor`, options.divisor ?? 1, 1),
    minHidden: checkInteger(`${field}.minHidden`, options.minHidden ?? 0, 0),
    squeeze: checkChoice(`${field}.squeeze`, options.squeeze ?? 'avg', SQUEEZE_MODES),
    gate: checkChoice(`${field}.gate`, fromSavedConfig(options.gate) ?? 'sigmoid', GATE_KINDS),
    fc: checkChoice(`${field}.fc`, options.fc ?? 'conv1x1', FC_FORMS),
    bias: options.bias ?? true,
  };
}

/** tfjs camel-cases string values of a saved layer config on load (`hard_sigmoid` → `hardSigmoid`). */
function fromSavedConfig(gate: GateKind | undefined): GateKind | undefined {
  return (gate as string) === 'hardSigmoid' ? 'hard_sigmoid' : gate;
}

/**
 * The hidden width of the excitation bottleneck for `channels` input channels.
 *
 * With `divisor` 1 it is ⌊C/r⌋ (Caffe, Cadene). With a larger divisor d it is
 * max(d, ⌊C/r + d/2⌋ rounded down to a multiple of d) — timm's `make_divisible`. Either is
 * raised to `minHidden` when given.
 *
 * @example
 * ```ts
 * import { seHiddenChannels } from '@se/core';
 *
 * seHiddenChannels(64, { reduction: 16, hiddenChannels: null, divisor: 1 }); // 4 (Caffe)
 * seHiddenChannels(64, { reduction: 16, hiddenChannels: null, divisor: 8 }); // 8 (timm)
 * ```
 */
export function seHiddenChannels(
  channels: number,
  options: Pick<ResolvedSqueezeExcite, 'reduction' | 'hiddenChannels' | 'divisor'> &
    Partial<Pick<ResolvedSqueezeExcite, 'minHidden'>>,
  field = 'se',
): number {
  if (options.hiddenChannels != null) return options.hiddenChannels;
  const { reduction, divisor, minHidden = 0 } = options;
  if (reduction > channels && minHidden === 0) {
    throw new ConfigError(
      `${field}.reduction`,
      reduction,
      `a ratio no larger than the ${channels} channels it reduces`,
    );
  }
  const exact = channels / reduction;
  const rounded =
    divisor === 1
      ? Math.floor(exact)
      : Math.max(divisor, Math.floor((exact + divisor / 2) / divisor) * divisor);
  return Math.max(minHidden, rounded);
}

// The gates live with the fused SE op, which also needs their derivatives.
export { applyGate } from '../layers/fused-ops.js';

/** Layer arguments of {@link SqueezeExcite}. */
export interface SqueezeExciteArgs extends SqueezeExciteOptions {
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
export class SqueezeExcite extends tf.layers.Layer implements CountsMacs {
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

  constructor(args: SqueezeExciteArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
    const { name: _name, trainable: _trainable, ...options } = args;
    this.options = resolveSqueezeExcite(options, args.name ? `${args.name} se` : 'se');
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
    const hidden = seHiddenChannels(channels, this.options, `layer '${this.name}' se`);
    if (hidden < 1) {
      throw new ConfigError(
        `layer '${this.name}' se.reduction`,
        this.options.reduction,
        `a ratio that leaves at least one hidden unit for ${channels} channels`,
      );
    }
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
