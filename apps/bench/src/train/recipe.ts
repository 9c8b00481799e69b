/**
 * What a training recipe is made of: the optimizer, the learning rate and its schedule, weight
 * decay, batch size and augmentation. The named recipes of the model families are in
 * experiment/recipes.ts.
 */
import type { Augmentation } from '../data/batches.js';

/** The optimizer of a recipe. */
export type OptimizerConfig =
  /** SGD with momentum in PyTorch's form (`torch.optim.SGD`), optionally Nesterov's. */
  | { type: 'sgd'; momentum: number; nesterov: boolean }
  /** RMSprop in Keras's form: ms ← ρ·ms + (1 − ρ)·g², w ← w − η·g / (√ms + ε). */
  | { type: 'rmsprop'; rho: number; epsilon: number };

/** How the learning rate changes over the epochs of a run. */
export type LearningRateSchedule =
  /** Cosine decay from the peak rate to zero, per epoch. */
  | { type: 'cosine' }
  /** Multiplied by `factor` at each milestone, a fraction of the run's epochs. */
  | { type: 'step'; milestones: number[]; factor: number }
  | { type: 'constant' };

/** The training protocol of a run, but its length. */
export interface Recipe {
  optimizer: OptimizerConfig;
  /** Initial (peak) learning rate. */
  learningRate: number;
  schedule: LearningRateSchedule;
  /** L2 weight decay on convolution and dense kernels (not on biases or BatchNorm). */
  weightDecay: number;
  batchSize: number;
  augment: Augmentation;
}

/** A recipe and the run's length. */
export interface Hyperparameters extends Recipe {
  epochs: number;
}

/** The learning rate of epoch `epoch` (0-based) of a run. */
export function learningRateAt(
  run: Pick<Hyperparameters, 'learningRate' | 'schedule' | 'epochs'>,
  epoch: number,
): number {
  const { schedule, learningRate, epochs } = run;
  switch (schedule.type) {
    case 'cosine':
      return (learningRate * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2;
    case 'step': {
      const passed = schedule.milestones.filter((m) => epoch >= m * epochs).length;
      return learningRate * schedule.factor ** passed;
    }
    case 'constant':
      return learningRate;
  }
}

/** A recipe in one line, for plans and reports. */
export function describeRecipe(recipe: Recipe): string {
  const { optimizer: o, schedule: s } = recipe;
  const optimizer =
    o.type === 'sgd'
      ? `SGD${o.nesterov ? ' (Nesterov)' : ''} momentum ${o.momentum}`
      : `RMSprop ρ ${o.rho} ε ${o.epsilon}`;
  const schedule =
    s.type === 'cosine'
      ? 'cosine decay'
      : s.type === 'constant'
        ? 'constant'
        : `×${s.factor} at ${s.milestones.map((m) => `${Math.round(100 * m)} %`).join(', ')} of the epochs`;
  const augment = [
    recipe.augment.padCrop ? `pad-${recipe.augment.padCrop} random crops` : '',
    recipe.augment.flip ? 'horizontal flips' : '',
  ].filter((a) => a !== '');
  return `${optimizer}, learning rate ${recipe.learningRate} (${schedule}), weight decay ${recipe.weightDecay}, batch ${recipe.batchSize}, ${augment.length > 0 ? augment.join(' and ') : 'no augmentation'}`;
}
