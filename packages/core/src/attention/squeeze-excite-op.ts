// The squeeze-and-excitation op as tfjs ops with closed-form gradients: the gates, the
// channel-wise scale, and the whole average-squeeze block as one op. SqueezeExcite runs them in
// training when fusedOps.squeezeExcite is on; they run on every backend.
import * as tf from '@tensorflow/tfjs';
import { spread, tiling } from '../layers/fused-ops.js';
import type { GateKind } from './options.js';

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
