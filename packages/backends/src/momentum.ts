// tfjs's momentum optimizer with the update of each weight as one `sgdMomentumUpdate`, so that
// `model.compile({ optimizer })` / `model.fit` get SE Zoo's fused kernel on webgpu
// (`SEZooSgdMomentum`, 2 dispatches per weight instead of tfjs's 4 kernels) and the same
// arithmetic elsewhere. Its state, weights and names are tfjs's `MomentumOptimizer`'s, so a model
// saved with one restores into the other.
import * as tf from '@tensorflow/tfjs';
import { sgdMomentumUpdate } from './sgd.js';

/** A velocity, named as tfjs names it: `<variable name>/momentum`. */
interface Velocity {
  originalName: string;
  variable: tf.Variable;
}

/**
 * SGD with momentum as `tf.train.momentum` computes it (v ← μ·v + g, w ← w − η·v; no Nesterov),
 * plus an optional L2 weight decay λ added to the gradient first (g ← g + λ·w, as
 * `torch.optim.SGD`'s `weight_decay`), on every variable it updates. Each variable's update is
 * one {@link sgdMomentumUpdate}: one `SEZooSgdMomentum` kernel on webgpu with SE Zoo's kernels,
 * the composite tfjs ops elsewhere (on `cpu`, bit-equal to `tf.train.momentum` without decay).
 *
 * It is a drop-in `tf.Optimizer`: `getWeights` returns the iteration count then one velocity per
 * variable, named `<variable>/momentum`, in the order of the gradients it was given, exactly as
 * tfjs's `MomentumOptimizer` does, and `setWeights` takes that list back. Serialisable under the
 * class name `SEZooFusedMomentum`. Build one with {@link fusedMomentum}.
 */
export class FusedMomentumOptimizer extends tf.Optimizer {
  /** The name under which `tf.serialization` knows this class. */
  static get className(): string {
    return 'SEZooFusedMomentum';
  }

  /** η, the step size. */
  protected learningRate: number;
  /** μ, the velocity's decay per step. */
  protected momentum: number;
  /** λ, the L2 penalty added to every gradient (0: none). */
  protected weightDecay: number;
  // By position in the gradients, as tfjs's MomentumOptimizer keeps them (its `getWeights` order).
  private velocities: Velocity[] = [];

  /**
   * @param learningRate η, the step size.
   * @param momentum μ, the velocity's decay per step.
   * @param weightDecay λ, the L2 penalty added to every variable's gradient (default 0).
   */
  constructor(learningRate: number, momentum: number, weightDecay = 0) {
    super();
    for (const [name, x] of Object.entries({ learningRate, momentum, weightDecay })) {
      if (!Number.isFinite(x)) {
        throw new Error(`FusedMomentumOptimizer: ${name} must be a finite number, got ${x}`);
      }
    }
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
  }

  /**
   * Updates each variable named in `variableGradients` (a map from variable names to gradients,
   * or a list of `{ name, tensor }`): one {@link sgdMomentumUpdate} per variable, then assigns the
   * new velocity and value. A variable without a gradient keeps its value and velocity.
   */
  override applyGradients(variableGradients: Parameters<tf.Optimizer['applyGradients']>[0]): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({
          name,
          tensor: variableGradients[name] as tf.Tensor,
        }));
    const options = {
      learningRate: this.learningRate,
      momentum: this.momentum,
      weightDecay: this.weightDecay,
    };
    list.forEach(({ name, tensor: gradient }, i) => {
      const value = tf.engine().registeredVariables[name];
      if (value == null) throw new Error(`FusedMomentumOptimizer: no variable named '${name}'`);
      let velocity = this.velocities[i];
      if (velocity == null) {
        velocity = {
          originalName: `${name}/momentum`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        this.velocities[i] = velocity;
      }
      if (gradient == null) return;
      const accumulation = velocity.variable;
      tf.tidy(() => {
        const next = sgdMomentumUpdate(value, accumulation, gradient, options);
        accumulation.assign(next.velocity);
        value.assign(next.value);
      });
    });
    this.incrementIterations();
  }

  /** Sets η for the following steps. */
  setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
  }

  /** Sets μ for the following steps. */
  setMomentum(momentum: number): void {
    this.momentum = momentum;
  }

  /** Disposes the velocities. */
  override dispose(): void {
    super.dispose();
    tf.dispose(this.velocities.map((v) => v.variable));
    this.velocities = [];
  }

  /** The iteration count (`iter`, int32), then each velocity (`<variable>/momentum`). */
  override async getWeights(): ReturnType<tf.Optimizer['getWeights']> {
    return [await this.saveIterations()].concat(
      this.velocities.map((v) => ({ name: v.originalName, tensor: v.variable })),
    );
  }

  /** Restores what {@link getWeights} returned (from this class or tfjs's momentum optimizer). */
  override async setWeights(
    weightValues: Parameters<tf.Optimizer['setWeights']>[0],
  ): Promise<void> {
    const velocities = await this.extractIterations(weightValues);
    const previous = this.velocities.map((v) => v.variable);
    this.velocities = velocities.map((v) => ({
      originalName: v.name,
      variable: v.tensor.variable(false),
    }));
    // Each new variable holds its own reference to the data: `setWeights(getWeights())` is safe.
    tf.dispose(previous);
  }

  /** `{ learningRate, momentum, weightDecay }`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      momentum: this.momentum,
      weightDecay: this.weightDecay,
    };
  }

  /** Builds one from {@link getConfig}'s dictionary. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config.learningRate, config.momentum, config.weightDecay ?? 0);
  }
}

tf.serialization.registerClass(FusedMomentumOptimizer);

/**
 * `tf.train.momentum(learningRate, momentum)` with each weight's update fused into one kernel on
 * webgpu (SE Zoo's `SEZooSgdMomentum`: 2 dispatches per weight instead of tfjs's 4 kernels) and
 * the same arithmetic elsewhere, plus an optional L2 weight decay on every variable
 * (v ← μ·v + g + λ·w, w ← w − η·v). No Nesterov. See {@link FusedMomentumOptimizer}.
 *
 * @param learningRate η, the step size.
 * @param momentum μ, the velocity's decay per step.
 * @param weightDecay λ, the L2 penalty added to every variable's gradient (default 0).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { fusedMomentum } from '@se/backends';
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
 * model.compile({ optimizer: fusedMomentum(0.01, 0.9), loss: 'meanSquaredError' });
 * await model.fit(tf.ones([4, 2]), tf.zeros([4, 1]), { epochs: 2, verbose: 0 });
 * ```
 */
export function fusedMomentum(
  learningRate: number,
  momentum: number,
  weightDecay = 0,
): FusedMomentumOptimizer {
  return new FusedMomentumOptimizer(learningRate, momentum, weightDecay);
}
