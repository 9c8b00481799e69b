import { PerWeightOptimizer, type PerWeightOptimizerOptions, SgdMomentum } from '@se/backends';
import type { OptimizerConfig } from '@se/core';
import * as tf from '@tensorflow/tfjs';

export { SgdMomentum };

/**
 * The trainer's optimizers: @se/backends' {@link PerWeightOptimizer}s. Their state is one tensor
 * per weight, keyed by the weight's layer-relative name, so that a checkpoint restores into a
 * freshly built model in another process. Weight decay (L2, added to the gradient) skips rank ≤ 1
 * weights (biases, BatchNorm), as PyTorch recipes' parameter groups do: the optimizers' default
 * decay rule.
 */
export interface TrainingOptimizer {
  learningRate: number;
  /** Applies one update; `grads` maps tfjs variable names to gradients. */
  step(weights: tf.LayerVariable[], grads: tf.NamedTensorMap): void;
  /** The state by weight name (for checkpoints). */
  state(): Map<string, tf.Variable>;
  /** Restores a state saved by {@link state}. */
  restore(state: Map<string, tf.Tensor>): void;
  dispose(): void;
}

/** Options of an optimizer besides its configuration. */
export interface OptimizerOptions {
  learningRate: number;
  weightDecay?: number;
}

/** RMSprop in Keras's form: ms ← ρ·ms + (1 − ρ)·g², w ← w − η·g / (√ms + ε). */
export class RmsProp extends PerWeightOptimizer {
  /** The name under which `tf.serialization` knows this class. */
  static get className(): string {
    return 'SEZooRmsProp';
  }

  protected readonly slotSuffix = '/rms';
  readonly rho: number;
  readonly epsilon: number;

  constructor(options: PerWeightOptimizerOptions & { rho?: number; epsilon?: number }) {
    super(options);
    this.rho = options.rho ?? 0.9;
    this.epsilon = options.epsilon ?? 1e-7;
  }

  protected update(
    value: tf.Tensor,
    meanSquare: tf.Variable,
    grad: tf.Tensor,
    weightDecay: number,
  ): tf.Tensor {
    const g = this.decayed(value, grad, weightDecay);
    const ms = tf.add(tf.mul(meanSquare, this.rho), tf.mul(tf.square(g), 1 - this.rho));
    meanSquare.assign(ms);
    const step = tf.div(tf.mul(g, this.learningRate), tf.add(tf.sqrt(ms), this.epsilon));
    return tf.sub(value, step);
  }

  /** `{ learningRate, rho, epsilon, weightDecay }`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      rho: this.rho,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
    };
  }
}

/** The optimizer a recipe names. */
export function createOptimizer(
  config: OptimizerConfig,
  options: OptimizerOptions,
): TrainingOptimizer {
  return config.type === 'sgd'
    ? new SgdMomentum({ ...options, momentum: config.momentum, nesterov: config.nesterov })
    : new RmsProp({ ...options, rho: config.rho, epsilon: config.epsilon });
}
