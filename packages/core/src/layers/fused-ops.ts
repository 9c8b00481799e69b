// Training ops with closed-form gradients for the two pieces every SE block runs: batch
// normalisation with batch statistics, and the squeeze-and-excitation gate. Autodiff through
// their compositions (moments + batchNorm; mean + FC + mul) costs several times the kernel
// launches and passes over the feature map that the closed forms need. Everything here is built
// from tfjs ops, so it runs on every backend.
import * as tf from '@tensorflow/tfjs';
import type { GateKind } from '../attention/squeeze-excite.js';

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
   * on the `wasm` backend only, whose broadcasting element-wise kernels (and its `FusedBatchNorm`,
   * which takes a square root per element) are several times slower than a tile followed by a
   * same-shape kernel; elsewhere tiling would only add kernel launches.
   */
  tileBroadcasts: boolean | 'auto';
}

/**
 * Whether SE Zoo's layers train through the fused ops of this module. Both default to on; turn
 * one off to train through tfjs autodiff of the plain composition instead (the results agree to
 * float rounding). Read on every call, so a change applies to the next training step of every
 * model in this thread (a worker thread, such as a data-parallel replica of @se/backends, has its
 * own copy). Inference never uses the fused ops.
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

/** Whether {@link fusedOps}' `tileBroadcasts` is in effect on the current backend. */
function tiling(): boolean {
  const { tileBroadcasts } = fusedOps;
  return tileBroadcasts === 'auto' ? tf.getBackend() === 'wasm' : tileBroadcasts;
}

/**
 * `v` (`[C]` or `[N, 1, 1, C]`) ready for an element-wise op with NHWC `x`: tiled to x's shape
 * when tiling, else as it is (the op broadcasts it).
 */
function spread(v: tf.Tensor, x: tf.Tensor4D, tiled: boolean): tf.Tensor {
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
 * and its sum, one `tf.batchNorm` for the affine term, dy·γ/σ, the sum of the two), where autodiff
 * of `tf.moments` + `tf.batchNorm` launches twenty kernels more (55 against 35 for the training
 * step of a lone BatchNorm on WebGPU, loss and SGD included). When tiling
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

/**
 * Scales each channel of each image of NHWC `x` by `scale` (`[N, 1, 1, C]`): the excitation
 * step of an SE block, y = x·s, with the closed-form gradient dx = dy·s, ds = Σ_hw dy·x (what
 * tfjs's broadcasting `mul` gradient computes, without its casts).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { channelScale } from '@se/core';
 *
 * const x = tf.ones([2, 3, 3, 4]) as tf.Tensor4D;
 * const s = tf.fill([2, 1, 1, 4], 0.5) as tf.Tensor4D;
 * channelScale(x, s).print(); // 0.5 everywhere
 * ```
 */
export function channelScale(x: tf.Tensor4D, scale: tf.Tensor4D): tf.Tensor4D {
  const [n, , , c] = x.shape;
  if (scale.rank !== 4 || scale.shape[0] !== n || scale.shape[1] !== 1 || scale.shape[2] !== 1) {
    throw new Error(`channelScale: scale must be [${n}, 1, 1, ${c}], got [${scale.shape}]`);
  }
  const tiled = tiling();
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, s, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([input, s]);
    return {
      value: tf.mul(input, spread(s, input, tiled)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ss] = saved as [tf.Tensor4D, tf.Tensor4D];
        return [tf.mul(dy, spread(ss, xs, tiled)), tf.sum(tf.mul(dy, xs), [1, 2], true)];
      },
    };
  });
  return op(x, scale) as tf.Tensor4D;
}

/**
 * Applies an excitation gate element-wise (`'hard_sigmoid'` is relu6(x + 3) / 6).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { applyGate } from '@se/core';
 *
 * applyGate('hard_sigmoid', tf.tensor([-3, 0, 3])).print(); // [0, 0.5, 1]
 * ```
 */
export function applyGate(gate: GateKind, x: tf.Tensor): tf.Tensor {
  switch (gate) {
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'hard_sigmoid':
      return tf.div(tf.relu6(tf.add(x, 3)), 6);
    case 'tanh':
      return tf.tanh(x);
    case 'relu':
      return tf.relu(x);
  }
}

/** dgate/dz at logits `z` with gate values `s`, matching tfjs's own gradients (relu6 included). */
function gateDerivative(gate: GateKind, z: tf.Tensor, s: tf.Tensor): tf.Tensor {
  switch (gate) {
    case 'sigmoid':
      return tf.mul(s, tf.sub(1, s));
    case 'tanh':
      return tf.sub(1, tf.square(s));
    case 'relu':
      return tf.step(z);
    case 'hard_sigmoid': {
      // tfjs's relu6 passes the gradient on 0 < z + 3 ≤ 6.
      const shifted = tf.add(z, 3);
      return tf.div(tf.mul(tf.step(shifted), tf.cast(tf.lessEqual(shifted, 6), 'float32')), 6);
    }
  }
}

/** The excitation weights of {@link fusedSqueezeExcite}. */
export interface ExcitationWeights {
  /** First FC layer (reduction), `[C, hidden]`. */
  fc1Kernel: tf.Tensor2D;
  /** Its bias, `[hidden]`, if any. */
  fc1Bias?: tf.Tensor1D;
  /** Second FC layer (expansion), `[hidden, C]`. */
  fc2Kernel: tf.Tensor2D;
  /** Its bias, `[C]`, if any. */
  fc2Bias?: tf.Tensor1D;
}

/**
 * A whole SE block with average squeeze as one op: p = mean_hw(x), s = gate(relu(p·W1 + b1)·W2
 * + b2), y = x·s, with the closed-form gradient. The input gets both of its gradient paths in
 * one expression, dx = dy·s + broadcast(dp/(H·W)), where autodiff builds a full-size tensor of
 * ones for the mean's gradient and adds the two paths afterwards; ds = Σ_hw dy·x; the FC
 * gradients are the usual small matrix products. The forward pass is the same ops as the
 * unfused block, so the outputs are identical.
 *
 * @param x NHWC activations.
 * @param weights The two FC layers as matrices, with optional biases.
 * @param gate The excitation gate (the paper's sigmoid by default).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { fusedSqueezeExcite } from '@se/core';
 *
 * const x = tf.randomNormal([2, 8, 8, 16]) as tf.Tensor4D;
 * const fc1Kernel = tf.randomNormal([16, 4]) as tf.Tensor2D;
 * const fc2Kernel = tf.randomNormal([4, 16]) as tf.Tensor2D;
 * const y = fusedSqueezeExcite(x, { fc1Kernel, fc2Kernel }, 'sigmoid'); // [2, 8, 8, 16]
 * ```
 */
export function fusedSqueezeExcite(
  x: tf.Tensor4D,
  weights: ExcitationWeights,
  gate: GateKind = 'sigmoid',
): tf.Tensor4D {
  const { fc1Kernel, fc1Bias, fc2Kernel, fc2Bias } = weights;
  const [n, height, width, channels] = x.shape;
  if (fc1Kernel.shape[0] !== channels || fc2Kernel.shape[1] !== channels) {
    throw new Error(
      `fusedSqueezeExcite: FC kernels [${fc1Kernel.shape}] and [${fc2Kernel.shape}] do not fit ${channels} channels`,
    );
  }
  const inputs: tf.Tensor[] = [x, fc1Kernel, fc2Kernel];
  if (fc1Bias) inputs.push(fc1Bias);
  if (fc2Bias) inputs.push(fc2Bias);
  const tiled = tiling();
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[inputs.length] as tf.GradSaveFunc;
    const [input, w1, w2] = args as [tf.Tensor4D, tf.Tensor2D, tf.Tensor2D];
    const b1 = fc1Bias ? (args[3] as tf.Tensor1D) : undefined;
    const b2 = fc2Bias ? (args[fc1Bias ? 4 : 3] as tf.Tensor1D) : undefined;
    // The same ops, in the same order, as SqueezeExcite's unfused forward pass.
    const pooled = tf.mean(input, [1, 2]) as tf.Tensor2D;
    let hidden = tf.matMul(pooled, w1);
    if (b1) hidden = tf.add(hidden, b1);
    hidden = tf.relu(hidden);
    let logits = tf.matMul(hidden, w2);
    if (b2) logits = tf.add(logits, b2);
    const s = tf.reshape(applyGate(gate, logits), [n, 1, 1, channels]) as tf.Tensor4D;
    save([input, w1, w2, pooled, hidden, logits, s]);
    return {
      value: tf.mul(input, spread(s, input, tiled)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, k1, k2, p, h, z, gates] = saved as [
          tf.Tensor4D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor4D,
        ];
        const dGates = tf.reshape(tf.sum(tf.mul(dy, xs), [1, 2]), [n, channels]);
        const dLogits = tf.mul(dGates, gateDerivative(gate, z, tf.reshape(gates, [n, channels])));
        const dHidden = tf.mul(tf.matMul(dLogits, k2, false, true), tf.step(h));
        const dPooled = tf.matMul(dHidden, k1, false, true);
        const dx = tf.add(
          tf.mul(dy, spread(gates, xs, tiled)),
          spread(tf.reshape(tf.div(dPooled, height * width), [n, 1, 1, channels]), xs, tiled),
        );
        const grads = [dx, tf.matMul(p, dHidden, true, false), tf.matMul(h, dLogits, true, false)];
        if (b1) grads.push(tf.sum(dHidden, 0));
        if (b2) grads.push(tf.sum(dLogits, 0));
        return grads;
      },
    };
  });
  return op(...inputs) as tf.Tensor4D;
}
