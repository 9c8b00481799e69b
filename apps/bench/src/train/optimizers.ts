import { sgdMomentumUpdate } from '@se/backends';
import type { OptimizerConfig } from '@se/core';
import * as tf from '@tensorflow/tfjs';

/**
 * The trainer's optimizers. Their state is one tensor per weight, keyed by the weight's
 * layer-relative name, so that a checkpoint restores into a freshly built model in another
 * process. Weight decay (L2, added to the gradient) skips rank ≤ 1 weights (biases, BatchNorm),
 * as PyTorch recipes' parameter groups do.
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

/** One state tensor per weight, created as zeros on first use. */
class WeightState {
  private readonly tensors = new Map<string, tf.Variable>();
  of(weight: tf.LayerVariable): tf.Variable {
    let tensor = this.tensors.get(weight.originalName);
    if (!tensor) {
      tensor = tf.variable(tf.zerosLike(weight.read()), false);
      this.tensors.set(weight.originalName, tensor);
    }
    return tensor;
  }
  all(): Map<string, tf.Variable> {
    return this.tensors;
  }
  restore(state: Map<string, tf.Tensor>): void {
    this.dispose();
    for (const [name, tensor] of state) this.tensors.set(name, tf.variable(tensor, false));
  }
  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
    this.tensors.clear();
  }
}

abstract class PerWeightOptimizer implements TrainingOptimizer {
  learningRate: number;
  readonly weightDecay: number;
  protected readonly slots = new WeightState();

  constructor(options: OptimizerOptions) {
    this.learningRate = options.learningRate;
    this.weightDecay = options.weightDecay ?? 0;
  }

  /** The decay of one weight: none on biases and BatchNorm parameters. */
  protected decayOf(weight: tf.LayerVariable): number {
    return this.weightDecay > 0 && weight.shape.length > 1 ? this.weightDecay : 0;
  }

  /** The gradient with the weight's L2 decay added: g + λ·w. */
  protected decayed(weight: tf.LayerVariable, grad: tf.Tensor): tf.Tensor {
    const decay = this.decayOf(weight);
    return decay > 0 ? tf.add(grad, tf.mul(weight.read(), decay)) : grad;
  }

  /** The new value of `weight` from its gradient, updating its state. */
  protected abstract update(weight: tf.LayerVariable, grad: tf.Tensor): tf.Tensor;

  step(weights: tf.LayerVariable[], grads: tf.NamedTensorMap): void {
    // The tidy also takes what a weight's constraint makes when `write` applies it.
    tf.tidy(() => {
      for (const weight of weights) {
        const grad = grads[weight.name];
        if (grad) weight.write(this.update(weight, grad));
      }
    });
  }

  state(): Map<string, tf.Variable> {
    return this.slots.all();
  }

  restore(state: Map<string, tf.Tensor>): void {
    this.slots.restore(state);
  }

  dispose(): void {
    this.slots.dispose();
  }
}

/**
 * SGD with momentum in PyTorch's form (`torch.optim.SGD`): g ← g + λ·w, v ← μ·v + g, then
 * w ← w − η·v, or with Nesterov w ← w − η·(g + μ·v). Plain momentum runs
 * `sgdMomentumUpdate` (@se/backends): one fused kernel on webgpu.
 */
export class SgdMomentum extends PerWeightOptimizer {
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(options: OptimizerOptions & { momentum?: number; nesterov?: boolean }) {
    super(options);
    this.momentum = options.momentum ?? 0.9;
    this.nesterov = options.nesterov ?? false;
  }

  protected update(weight: tf.LayerVariable, grad: tf.Tensor): tf.Tensor {
    const velocity = this.slots.of(weight);
    const value = weight.read();
    const weightDecay = this.decayOf(weight);
    if (!this.nesterov) {
      const next = sgdMomentumUpdate(value, velocity, grad, {
        learningRate: this.learningRate,
        momentum: this.momentum,
        weightDecay,
      });
      velocity.assign(next.velocity);
      return next.value;
    }
    const g = this.decayed(weight, grad);
    const v = tf.add(tf.mul(velocity, this.momentum), g);
    velocity.assign(v);
    return tf.sub(value, tf.mul(tf.add(g, tf.mul(v, this.momentum)), this.learningRate));
  }
}

/** RMSprop in Keras's form: ms ← ρ·ms + (1 − ρ)·g², w ← w − η·g / (√ms + ε). */
export class RmsProp extends PerWeightOptimizer {
  readonly rho: number;
  readonly epsilon: number;

  constructor(options: OptimizerOptions & { rho?: number; epsilon?: number }) {
    super(options);
    this.rho = options.rho ?? 0.9;
    this.epsilon = options.epsilon ?? 1e-7;
  }

  protected update(weight: tf.LayerVariable, grad: tf.Tensor): tf.Tensor {
    const meanSquare = this.slots.of(weight);
    const g = this.decayed(weight, grad);
    const ms = tf.add(tf.mul(meanSquare, this.rho), tf.mul(tf.square(g), 1 - this.rho));
    meanSquare.assign(ms);
    const step = tf.div(tf.mul(g, this.learningRate), tf.add(tf.sqrt(ms), this.epsilon));
    return tf.sub(weight.read(), step);
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
