import { sgdMomentumUpdate } from '@se/backends';
import * as tf from '@tensorflow/tfjs';

/**
 * SGD with momentum and weight decay in PyTorch's form (`torch.optim.SGD`):
 * g ← g + λ·w (convolution and dense kernels only), v ← μ·v + g, w ← w − η·v.
 * Its state is a velocity per weight, keyed by the weight's layer-relative name, so a
 * checkpoint restores into a freshly built model in another process.
 */
export class SgdMomentum {
  learningRate: number;
  readonly momentum: number;
  readonly weightDecay: number;
  private readonly velocities = new Map<string, tf.Variable>();

  constructor(options: { learningRate: number; momentum?: number; weightDecay?: number }) {
    this.learningRate = options.learningRate;
    this.momentum = options.momentum ?? 0.9;
    this.weightDecay = options.weightDecay ?? 0;
  }

  /**
   * Applies one update; `grads` maps tfjs variable names to gradients. Each weight is one
   * `sgdMomentumUpdate` (@se/backends): one fused kernel on webgpu, the same composite ops as
   * before elsewhere. Weight decay skips rank ≤ 1 weights (biases, BatchNorm), as PyTorch
   * recipes' parameter groups do.
   */
  step(weights: tf.LayerVariable[], grads: tf.NamedTensorMap): void {
    // The tidy also takes what a weight's constraint makes when `write` applies it.
    tf.tidy(() => {
      for (const weight of weights) {
        const grad = grads[weight.name];
        if (!grad) continue;
        const velocity = this.velocity(weight);
        const next = sgdMomentumUpdate(weight.read(), velocity, grad, {
          learningRate: this.learningRate,
          momentum: this.momentum,
          weightDecay: this.weightDecay > 0 && weight.shape.length > 1 ? this.weightDecay : 0,
        });
        velocity.assign(next.velocity);
        weight.write(next.value);
      }
    });
  }

  private velocity(weight: tf.LayerVariable): tf.Variable {
    let velocity = this.velocities.get(weight.originalName);
    if (!velocity) {
      velocity = tf.variable(tf.zerosLike(weight.read()), false);
      this.velocities.set(weight.originalName, velocity);
    }
    return velocity;
  }

  /** The velocities by weight name (for checkpoints). */
  state(): Map<string, tf.Variable> {
    return this.velocities;
  }

  /** Restores velocities saved by {@link state}. */
  restore(state: Map<string, tf.Tensor>): void {
    this.dispose();
    for (const [name, tensor] of state) this.velocities.set(name, tf.variable(tensor, false));
  }

  dispose(): void {
    for (const v of this.velocities.values()) v.dispose();
    this.velocities.clear();
  }
}
