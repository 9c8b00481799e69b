// The SE block's options: their types, validation and defaults, and the hidden width they give.
// Plain data with no tfjs ops, so the layer, the op and the placement all build on it.
import { ConfigError, checkChoice, checkInteger } from '../errors.js';

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
