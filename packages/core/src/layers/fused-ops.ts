// Training ops with closed-form gradients, and the switches that pick them. Autodiff through a
// composition such as moments + batchNorm launches more kernels and makes more passes over the
// feature map than its closed form needs (measurements: benchmarks/fused/README.md). This module
// holds the generic part: the switches, the broadcast helper, and batch normalisation with batch
// statistics; the squeeze-and-excitation op lives in attention/squeeze-excite-op.ts. Everything
// is built from tfjs ops, so it runs on every backend.
import * as tf from '@tensorflow/tfjs';

/** Switches of {@link fusedOps}. */
export interface FusedOpsConfig {
  /** `BatchNorm` layers in training run {@link batchNormTraining} (default true). */
  batchNorm: boolean;
  /**
   * `SqueezeExcite` layers in training run {@link fusedSqueezeExcite} (average squeeze) or
   * {@link channelScale} (max squeeze) (default true).
   */
  squeezeExcite: boolean;
  /**
   * Whether the fused ops tile per-channel vectors to the full NHWC shape before combining them
   * with a feature map, instead of relying on the kernels' broadcasting. `'auto'` (default) tiles
   * on the stock `wasm` backend only, whose broadcasting element-wise kernels (and its
   * `FusedBatchNorm`, which takes a square root per element) are slower than a tile followed by a
   * same-shape kernel; not where @se/backends' wasm kernels broadcast in one pass (they set the
   * tfjs flag `SE_ZOO_WASM_BROADCASTS`), nor elsewhere, where tiling would only add kernel
   * launches.
   */
  tileBroadcasts: boolean | 'auto';
}

/**
 * Whether SE Zoo's layers train through the fused ops ({@link batchNormTraining},
 * {@link fusedSqueezeExcite}, {@link channelScale}). Both default to on; turn one off to train
 * through tfjs autodiff of the plain composition instead (the results agree to float rounding).
 * Read on every call, so a change applies to the next training step of every model in this
 * thread (a worker thread, such as a data-parallel replica of @se/backends, has its own copy).
 * Inference never uses the fused ops.
 *
 * @example
 * ```ts
 * import { fusedOps } from '@se/core';
 *
 * fusedOps.batchNorm = false; // BatchNorm trains through tf.moments + tf.batchNorm again
 * fusedOps.squeezeExcite = true;
 * ```
 */
export const fusedOps: FusedOpsConfig = {
  batchNorm: true,
  squeezeExcite: true,
  tileBroadcasts: 'auto',
};

/**
 * Whether {@link fusedOps}' `tileBroadcasts` is in effect on the current backend. Shared by the
 * fused ops here and in `attention/squeeze-excite-op.ts`; not part of the package's API.
 */
export function tiling(): boolean {
  const { tileBroadcasts } = fusedOps;
  if (tileBroadcasts !== 'auto') return tileBroadcasts;
  return tf.getBackend() === 'wasm' && tf.env().getFlags().SE_ZOO_WASM_BROADCASTS !== true;
}

/**
 * `v` (`[C]` or `[N, 1, 1, C]`) ready for an element-wise op with NHWC `x`: tiled to x's shape
 * when tiling, else as it is (the op broadcasts it).
 */
export function spread(v: tf.Tensor, x: tf.Tensor4D, tiled: boolean): tf.Tensor {
  if (!tiled) return v;
  return tf.broadcastTo(v.rank === 1 ? tf.reshape(v, [1, 1, 1, -1]) : v, x.shape);
}

/** The outputs of {@link batchNormTraining}. */
export interface BatchNormTrainingResult {
  /** The normalised output γ·(x − μ)/√(σ² + ε) + β, shaped like the input. */
  y: tf.Tensor4D;
  /** Batch mean per channel, `[C]`. No gradient flows back through it. */
  mean: tf.Tensor1D;
  /** Biased batch variance per channel, `[C]`. No gradient flows back through it. */
  variance: tf.Tensor1D;
}

const SPATIAL_AXES = [0, 1, 2];

/**
 * Batch normalisation of NHWC `x` with its own batch statistics (training mode), as one op with
 * the closed-form gradient. With x̂ = (x − μ)/σ and M = N·H·W values per channel:
 * dβ = Σ dy, dγ = Σ dy·x̂, dx = (γ/σ)·(dy − dβ/M − x̂·dγ/M): four full-size kernels forward
 * (mean, squared difference, mean, `tf.batchNorm`) and seven backward (Σ dy, x − μ, dy·(x − μ)
 * and its sum, one `tf.batchNorm` for the affine term, dy·γ/σ, the sum of the two), fewer than
 * autodiff of `tf.moments` + `tf.batchNorm` launches. When tiling
 * (`fusedOps.tileBroadcasts`, on wasm by default) each per-channel map is a tile and same-shape
 * kernels instead of a `tf.batchNorm`.
 *
 * `mean` and `variance` are returned for the running-statistics update; the gradient treats them
 * as functions of `x` (that is what the closed form is), so nothing flows through the returned
 * tensors themselves.
 *
 * @param x NHWC activations.
 * @param gamma Scale γ, `[C]`.
 * @param beta Offset β, `[C]`.
 * @param epsilon Added to the variance before the square root (PyTorch's 1e-5 by default).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { batchNormTraining } from '@se/core';
 *
 * const x = tf.randomNormal([8, 4, 4, 16]) as tf.Tensor4D;
 * const gamma = tf.ones([16]) as tf.Tensor1D;
 * const beta = tf.zeros([16]) as tf.Tensor1D;
 * const { y, mean, variance } = batchNormTraining(x, gamma, beta);
 * const [dx, dGamma, dBeta] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
 *   batchNormTraining(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D).y,
 * )([x, gamma, beta]);
 * ```
 */
export function batchNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon = 1e-5,
): BatchNormTrainingResult {
  const tiled = tiling();
  return tf.tidy(() => {
    // Recorded on the tape when one is active, but outside every path to the loss: the op
    // below takes them from the closure, not as inputs, so autodiff never visits them.
    const mean = tf.mean(x, SPATIAL_AXES) as tf.Tensor1D;
    const centred = tiled ? tf.sub(x, spread(mean, x, true)) : null;
    const variance = tf.mean(
      centred ? tf.square(centred) : tf.squaredDifference(x, mean),
      SPATIAL_AXES,
    ) as tf.Tensor1D;
    const normalise = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [input, scale, offset, save] = args as [
        tf.Tensor4D,
        tf.Tensor1D,
        tf.Tensor1D,
        tf.GradSaveFunc,
      ];
      save([input, scale, mean, variance]);
      const value = centred
        ? tf.add(
            tf.mul(centred, spread(tf.mul(scale, tf.rsqrt(tf.add(variance, epsilon))), x, true)),
            spread(offset, x, true),
          )
        : tf.batchNorm(input, mean, variance, offset, scale, epsilon);
      return {
        value: value as tf.Tensor4D,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          batchNormGradient(dy as tf.Tensor4D, saved, epsilon, tiled),
      };
    });
    return { y: normalise(x, gamma, beta) as tf.Tensor4D, mean, variance };
  });
}

/** Gradients of x, γ and β of {@link batchNormTraining} from the saved x, γ, μ, σ². */
function batchNormGradient(
  dy: tf.Tensor4D,
  saved: tf.Tensor[],
  epsilon: number,
  tiled: boolean,
): tf.Tensor[] {
  const [x, gamma, mean, variance] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
  const count = x.size / mean.shape[0];
  const rstd = tf.rsqrt(tf.add(variance, epsilon));
  const centred = tf.sub(x, spread(mean, x, tiled));
  const dBeta = tf.sum(dy, SPATIAL_AXES);
  // Σ dy·x̂ = Σ dy·(x − μ) / σ: the division after the sum.
  const dGamma = tf.mul(tf.sum(tf.mul(dy, centred), SPATIAL_AXES), rstd);
  const gain = tf.mul(gamma, rstd);
  const perValue = tf.div(gain, -count);
  // dx = gain·dy − (gain/M)·(dβ + x̂·dγ); the second term is an affine map of x̂.
  const slope = tf.mul(perValue, dGamma);
  const shift = tf.mul(perValue, dBeta);
  const correction = tiled
    ? tf.add(tf.mul(centred, spread(tf.mul(slope, rstd), x, true)), spread(shift, x, true))
    : tf.batchNorm(x, mean, variance, shift, slope, epsilon);
  const dx = tf.add(tf.mul(dy, spread(gain, x, tiled)), correction);
  return [dx, dGamma, dBeta];
}
