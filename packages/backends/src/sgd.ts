// One SGD-with-momentum update of one weight as one tfjs kernel. The composite form (mul, add,
// mul, add, mul, sub, and a scalar tensor for every `tf.mul(x, number)`) is about six dispatches
// per weight on a GPU, where each costs more to launch than the arithmetic: ~900 of the ~4,900
// kernels of an SE-ResNet-50 training step. Backends that register SGD_MOMENTUM_KERNEL (SE Zoo's
// webgpu and wasm kernels) run it in one kernel with the scalars as attributes; the others run
// the same arithmetic composed of tfjs ops, so their results do not change.
import * as tf from '@tensorflow/tfjs';

/** The tfjs kernel name of {@link sgdMomentumUpdate}, for backends that implement it. */
export const SGD_MOMENTUM_KERNEL = 'SEZooSgdMomentum';

/** The scalars of one {@link sgdMomentumUpdate}. */
export interface SgdMomentumOptions {
  /** η, the step size. */
  learningRate: number;
  /** μ, the velocity's decay per step. */
  momentum: number;
  /**
   * λ, the L2 penalty added to the gradient (λ·w); 0 adds nothing. Applied as given: which
   * weights decay (PyTorch-style recipes exempt biases and BatchNorm) is the optimizer's choice.
   */
  weightDecay: number;
}

/** The updated weight and velocity of one {@link sgdMomentumUpdate} (new tensors). */
export interface SgdMomentumResult<R extends tf.Rank = tf.Rank> {
  /** w − η·v_new. */
  value: tf.Tensor<R>;
  /** μ·v + g + λ·w. */
  velocity: tf.Tensor<R>;
}

/**
 * One step of SGD with momentum in PyTorch's form (`torch.optim.SGD`) for one weight:
 * g ← g + λ·w (when λ ≠ 0), v ← μ·v + g, w ← w − η·v, evaluated in float32 in that order. One
 * kernel (`SEZooSgdMomentum`, the scalars as attributes) where the backend has it (SE Zoo's
 * webgpu kernels: two dispatches instead of six; its wasm kernels: one pass, the same bits),
 * otherwise the same arithmetic composed of tfjs ops. The inputs are not disposed; the caller
 * assigns the results (e.g. `variable.assign`).
 *
 * @param value The weight w (float32).
 * @param velocity Its velocity v (same shape; zeros before the first step).
 * @param grad Its gradient g (same shape).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { sgdMomentumUpdate } from '@se/backends';
 *
 * const w = tf.variable(tf.tensor2d([[1, -2]]));
 * const v = tf.variable(tf.zerosLike(w), false);
 * const g = tf.tensor2d([[0.5, 0.25]]);
 * const next = sgdMomentumUpdate(w, v, g, { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 });
 * v.assign(next.velocity);
 * w.assign(next.value);
 * tf.dispose([next.value, next.velocity, g]);
 * ```
 */
export function sgdMomentumUpdate<R extends tf.Rank>(
  value: tf.Tensor<R>,
  velocity: tf.Tensor<R>,
  grad: tf.Tensor<R>,
  options: SgdMomentumOptions,
): SgdMomentumResult<R> {
  const { learningRate, momentum, weightDecay } = options;
  for (const [name, t] of [
    ['velocity', velocity],
    ['grad', grad],
  ] as const) {
    if (!tf.util.arraysEqual(t.shape, value.shape)) {
      throw new Error(
        `sgdMomentumUpdate: ${name} has shape [${t.shape}], the weight [${value.shape}]`,
      );
    }
  }
  for (const [name, x] of Object.entries(options)) {
    if (!Number.isFinite(x)) throw new Error(`sgdMomentumUpdate: ${name} must be finite, got ${x}`);
  }
  const float32 = [value, velocity, grad].every((t) => t.dtype === 'float32');
  if (float32 && tf.getKernel(SGD_MOMENTUM_KERNEL, tf.getBackend())) {
    const attrs = { learningRate, momentum, weightDecay };
    const [newValue, newVelocity] = tf
      .engine()
      .runKernel(SGD_MOMENTUM_KERNEL, { value, velocity, grad }, attrs) as tf.Tensor<R>[];
    return { value: newValue as tf.Tensor<R>, velocity: newVelocity as tf.Tensor<R> };
  }
  return tf.tidy(() => {
    const decayed = weightDecay !== 0 ? tf.add(grad, tf.mul(value, weightDecay)) : grad;
    const newVelocity = tf.add<tf.Tensor<R>>(tf.mul(velocity, momentum), decayed);
    const newValue = tf.sub<tf.Tensor<R>>(value, tf.mul(newVelocity, learningRate));
    return { value: newValue, velocity: newVelocity };
  });
}
