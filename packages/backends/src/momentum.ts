// SE Zoo's optimizers: one state tensor per weight, keyed by the weight's name (so a checkpoint
// restores into a freshly built model in another process), an L2 weight decay with a rule for
// which weights decay, and SGD with momentum in PyTorch's form whose plain update is one
// `sgdMomentumUpdate`: SE Zoo's fused kernel on webgpu and wasm, the same arithmetic of tfjs ops
// elsewhere.
import * as tf from '@tensorflow/tfjs';
import { sgdMomentumUpdate } from './sgd.js';

/** What a {@link DecayRule} knows of a weight. */
export interface WeightInfo {
  /**
   * Its name: a layer weight's layer-relative name (`LayerVariable.originalName`) in
   * {@link PerWeightOptimizer.step}, the tfjs variable's name in `applyGradients`.
   */
  name: string;
  /** Its shape. */
  shape: readonly number[];
}

/** Whether a weight takes the optimizer's weight decay. */
export type DecayRule = (weight: WeightInfo) => boolean;

/**
 * The default {@link DecayRule}: weights of rank 2 and more decay; biases and BatchNorm's γ and β
 * (rank ≤ 1) do not, as PyTorch recipes' parameter groups have it.
 */
export const decaysRankAboveOne: DecayRule = (weight) => weight.shape.length > 1;

/** Options every {@link PerWeightOptimizer} takes. */
export interface PerWeightOptimizerOptions {
  /** η, the step size. */
  learningRate: number;
  /** λ, the L2 penalty added to the gradient of each weight that decays (default 0: none). */
  weightDecay?: number;
  /** Which weights decay (default {@link decaysRankAboveOne}). */
  decays?: DecayRule;
}

/** A layer weight as {@link PerWeightOptimizer.step} takes it: a `tf.LayerVariable`. */
export interface LayerWeight {
  /** The unique tfjs name, under which `tf.variableGrads` keys its gradient. */
  name: string;
  /** The layer-relative name, the same in every process that builds the model. */
  originalName: string;
  /** Its shape. */
  shape: readonly (number | null)[];
  /** Its value. */
  read(): tf.Tensor;
  /** Sets its value (applying the weight's constraint, if any). */
  write(value: tf.Tensor): unknown;
}

/**
 * An optimizer with one state tensor ("slot") per weight, keyed by the weight's name, and an L2
 * weight decay (g ← g + λ·w) on the weights its {@link DecayRule} picks. It is a `tf.Optimizer`
 * (`applyGradients` by tfjs variable name, for `model.compile` and `minimize`), and it updates a
 * model's layer weights directly with {@link step}, keyed by their layer-relative names. Its state
 * is {@link state} / {@link restore} (a map by name, for checkpoints), or tfjs's
 * `getWeights` / `setWeights` (the iteration count, then `<name><suffix>` per slot).
 *
 * Subclasses give the update of one weight ({@link update}) and the slot's name suffix.
 */
export abstract class PerWeightOptimizer extends tf.Optimizer {
  /** η, the step size; may be changed between steps (a schedule). */
  learningRate: number;
  /** λ, the L2 penalty of the weights that decay. */
  readonly weightDecay: number;
  /** Which weights decay. */
  protected readonly decays: DecayRule;
  /** The suffix of a slot's name in {@link getWeights} (e.g. `'/momentum'`). */
  protected abstract readonly slotSuffix: string;
  private readonly slots = new Map<string, tf.Variable>();

  /** @param options η, and the weight decay λ with its rule. */
  constructor(options: PerWeightOptimizerOptions) {
    super();
    const { learningRate, weightDecay = 0 } = options;
    for (const [name, x] of Object.entries({ learningRate, weightDecay })) {
      if (!Number.isFinite(x)) {
        throw new Error(`${this.constructor.name}: ${name} must be a finite number, got ${x}`);
      }
    }
    this.learningRate = learningRate;
    this.weightDecay = weightDecay;
    this.decays = options.decays ?? decaysRankAboveOne;
  }

  /**
   * The new value of a weight from its gradient, assigning its slot's new value. Runs inside a
   * `tf.tidy`; `weightDecay` is this weight's λ (0 where it does not decay).
   */
  protected abstract update(
    value: tf.Tensor,
    slot: tf.Variable,
    grad: tf.Tensor,
    weightDecay: number,
  ): tf.Tensor;

  /** λ for one weight: {@link weightDecay} where the rule says it decays, else 0. */
  decayOf(weight: WeightInfo): number {
    return this.weightDecay !== 0 && this.decays(weight) ? this.weightDecay : 0;
  }

  /** The gradient with the L2 decay added: g + λ·w (g itself when λ is 0). */
  protected decayed(value: tf.Tensor, grad: tf.Tensor, weightDecay: number): tf.Tensor {
    return weightDecay !== 0 ? tf.add(grad, tf.mul(value, weightDecay)) : grad;
  }

  /** The slot of the weight `name`, created as zeros like `value` on first use. */
  private slotOf(name: string, value: tf.Tensor): tf.Variable {
    let slot = this.slots.get(name);
    if (!slot) {
      slot = tf.tidy(() => tf.zerosLike(value).variable(false));
      this.slots.set(name, slot);
    }
    return slot;
  }

  /**
   * One update of a model's layer weights (e.g. `model.trainableWeights`): `grads` maps each
   * weight's tfjs name (`weight.name`, as `tf.variableGrads` keys it) to its gradient; the state
   * is keyed by the layer-relative `originalName`. A weight without a gradient is left alone.
   * Writes go through `LayerVariable.write`, so weight constraints apply.
   */
  step(weights: readonly LayerWeight[], grads: tf.NamedTensorMap): void {
    // The tidy also takes what a weight's constraint makes when `write` applies it.
    tf.tidy(() => {
      for (const weight of weights) {
        const grad = grads[weight.name];
        if (!grad) continue;
        const value = weight.read();
        const info = { name: weight.originalName, shape: value.shape };
        const slot = this.slotOf(weight.originalName, value);
        weight.write(this.update(value, slot, grad, this.decayOf(info)));
      }
    });
    this.incrementIterations();
  }

  /**
   * `tf.Optimizer`'s update: each variable named in `variableGradients` (a map from tfjs
   * variable names to gradients, or a list of `{ name, tensor }`), its state keyed by that name.
   * A variable without a gradient keeps its value and state.
   */
  override applyGradients(variableGradients: Parameters<tf.Optimizer['applyGradients']>[0]): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({
          name,
          tensor: variableGradients[name] as tf.Tensor,
        }));
    for (const { name, tensor: grad } of list) {
      const value = tf.engine().registeredVariables[name];
      if (value == null) throw new Error(`${this.constructor.name}: no variable named '${name}'`);
      const slot = this.slotOf(name, value);
      if (grad == null) continue;
      tf.tidy(() => {
        value.assign(this.update(value, slot, grad, this.decayOf({ name, shape: value.shape })));
      });
    }
    this.incrementIterations();
  }

  /** The state by weight name (the optimizer's own variables: do not dispose them). */
  state(): Map<string, tf.Variable> {
    return this.slots;
  }

  /** Replaces the state with copies of `saved` (by weight name, as {@link state} gives it). */
  restore(saved: ReadonlyMap<string, tf.Tensor>): void {
    const previous = [...this.slots.values()];
    this.slots.clear();
    for (const [name, tensor] of saved) this.slots.set(name, tensor.variable(false));
    // Each new variable holds its own reference to the data: `restore(state())` is safe.
    tf.dispose(previous);
  }

  /** The iteration count (`iter`, int32), then each slot as `<weight name><suffix>`. */
  override async getWeights(): ReturnType<tf.Optimizer['getWeights']> {
    return [await this.saveIterations()].concat(
      [...this.slots].map(([name, tensor]) => ({ name: `${name}${this.slotSuffix}`, tensor })),
    );
  }

  /** Restores what {@link getWeights} returned. */
  override async setWeights(
    weightValues: Parameters<tf.Optimizer['setWeights']>[0],
  ): Promise<void> {
    const slots = await this.extractIterations(weightValues);
    const suffix = this.slotSuffix;
    this.restore(
      new Map(
        slots.map(({ name, tensor }) => [
          name.endsWith(suffix) ? name.slice(0, -suffix.length) : name,
          tensor,
        ]),
      ),
    );
  }

  /** Disposes the state. */
  override dispose(): void {
    super.dispose();
    tf.dispose([...this.slots.values()]);
    this.slots.clear();
  }
}

/** Options of {@link SgdMomentum}. */
export interface SgdMomentumOptimizerOptions extends PerWeightOptimizerOptions {
  /** μ, the velocity's decay per step (default 0.9). */
  momentum?: number;
  /** Nesterov momentum, as `torch.optim.SGD(nesterov=True)` (default false). */
  nesterov?: boolean;
}

/**
 * SGD with momentum in PyTorch's form (`torch.optim.SGD`), per weight:
 * g ← g + λ·w (where the weight decays), v ← μ·v + g, then w ← w − η·v, or with Nesterov
 * w ← w − η·(g + μ·v). The plain update is one {@link sgdMomentumUpdate}: one `SEZooSgdMomentum`
 * kernel on webgpu with SE Zoo's kernels, tfjs's composite ops where the backend lacks it (on
 * `cpu` and without decay bit-equal to `tf.train.momentum`). A {@link PerWeightOptimizer}: a
 * `tf.Optimizer` for `compile`/`fit` and a layer-weight optimizer ({@link PerWeightOptimizer.step})
 * whose velocities are keyed by weight name (`<name>/momentum` in `getWeights`, as tfjs names
 * them). Serialisable under the class name `SEZooMomentum` (without a custom decay rule).
 */
export class SgdMomentum extends PerWeightOptimizer {
  /** The name under which `tf.serialization` knows this class. */
  static get className(): string {
    return 'SEZooMomentum';
  }

  /** A velocity's name suffix in `getWeights`, as tfjs's momentum optimizer names it. */
  protected readonly slotSuffix = '/momentum';
  /** μ, the velocity's decay per step; may be changed between steps. */
  momentum: number;
  /** Whether the update is Nesterov's. */
  readonly nesterov: boolean;

  /** @param options η, μ (default 0.9), Nesterov, and the weight decay λ with its rule. */
  constructor(options: SgdMomentumOptimizerOptions) {
    super(options);
    this.momentum = options.momentum ?? 0.9;
    this.nesterov = options.nesterov ?? false;
    if (!Number.isFinite(this.momentum)) {
      throw new Error(`SgdMomentum: momentum must be a finite number, got ${this.momentum}`);
    }
  }

  /** One weight's step: {@link sgdMomentumUpdate}, or Nesterov's composite ops. */
  protected update(
    value: tf.Tensor,
    velocity: tf.Variable,
    grad: tf.Tensor,
    weightDecay: number,
  ): tf.Tensor {
    if (!this.nesterov) {
      const next = sgdMomentumUpdate(value, velocity, grad, {
        learningRate: this.learningRate,
        momentum: this.momentum,
        weightDecay,
      });
      velocity.assign(next.velocity);
      return next.value;
    }
    const g = this.decayed(value, grad, weightDecay);
    const v = tf.add(tf.mul(velocity, this.momentum), g);
    velocity.assign(v);
    return tf.sub(value, tf.mul(tf.add(g, tf.mul(v, this.momentum)), this.learningRate));
  }

  /** Sets η for the following steps. */
  setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
  }

  /** Sets μ for the following steps. */
  setMomentum(momentum: number): void {
    this.momentum = momentum;
  }

  /** `{ learningRate, momentum, nesterov, weightDecay }`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      momentum: this.momentum,
      nesterov: this.nesterov,
      weightDecay: this.weightDecay,
    };
  }

  /** Builds one from {@link getConfig}'s dictionary. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls({
      learningRate: config.learningRate,
      momentum: config.momentum,
      nesterov: config.nesterov ?? false,
      weightDecay: config.weightDecay ?? 0,
    });
  }
}

tf.serialization.registerClass(SgdMomentum);

/**
 * A {@link SgdMomentum}: SGD with momentum in PyTorch's form (v ← μ·v + g + λ·w, w ← w − η·v;
 * Nesterov optional), each weight's plain update one fused kernel on webgpu and wasm. Weight
 * decay applies to the weights `decays` picks (default: rank ≥ 2, not biases or BatchNorm).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { sgdMomentum } from '@se/backends';
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
 * model.compile({
 *   optimizer: sgdMomentum({ learningRate: 0.01, momentum: 0.9, weightDecay: 1e-4 }),
 *   loss: 'meanSquaredError',
 * });
 * await model.fit(tf.ones([4, 2]), tf.zeros([4, 1]), { epochs: 2, verbose: 0 });
 * ```
 */
export function sgdMomentum(options: SgdMomentumOptimizerOptions): SgdMomentum {
  return new SgdMomentum(options);
}
