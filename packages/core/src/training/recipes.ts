/**
 * Training recipes: how each model family is trained in its paper or reference implementation
 * (optimizer, learning rate and schedule, weight decay, batch size, augmentation), kept apart
 * from the architectures as timm keeps pretrained configurations apart. An SE model and its plain
 * twin share one recipe, so that a comparison of the two changes one thing.
 */
import { ConfigError } from '../errors.js';
import { getModelInfo } from '../registry.js';

/** Standard augmentation of small-image protocols. */
export interface Augmentation {
  /** Zero-pad by this many pixels, then crop back at a random offset (CIFAR: 4). */
  padCrop?: number;
  /** Mirror half the images left–right. */
  flip?: boolean;
}

/** SGD with momentum in PyTorch's form (`torch.optim.SGD`), optionally Nesterov's. */
export interface SgdConfig {
  /** Discriminates the optimizers. */
  type: 'sgd';
  /** Momentum μ: v ← μ·v + g. */
  momentum: number;
  /** Nesterov's form: w ← w − η·(g + μ·v) instead of w ← w − η·v. */
  nesterov: boolean;
}

/** RMSprop in Keras's form: ms ← ρ·ms + (1 − ρ)·g², w ← w − η·g / (√ms + ε). */
export interface RmsPropConfig {
  /** Discriminates the optimizers. */
  type: 'rmsprop';
  /** Decay ρ of the running mean of squared gradients. */
  rho: number;
  /** ε, added outside the square root (Keras; tfjs adds it inside). */
  epsilon: number;
}

/** The optimizer of a recipe. */
export type OptimizerConfig = SgdConfig | RmsPropConfig;

/** Cosine decay from the peak rate to zero, per epoch. */
export interface CosineSchedule {
  /** Discriminates the schedules. */
  type: 'cosine';
}

/** The rate multiplied by `factor` at each milestone. */
export interface StepSchedule {
  /** Discriminates the schedules. */
  type: 'step';
  /** Where the rate drops, as fractions of the run's epochs (e.g. 0.5 and 0.75). */
  milestones: readonly number[];
  /** What the rate is multiplied by at each milestone (e.g. 0.1). */
  factor: number;
}

/** The same rate throughout. */
export interface ConstantSchedule {
  /** Discriminates the schedules. */
  type: 'constant';
}

/** How the learning rate changes over the epochs of a run. */
export type LearningRateSchedule = CosineSchedule | StepSchedule | ConstantSchedule;

/** The training protocol of a run, but its length. */
export interface Recipe {
  /** The optimizer and its settings. */
  optimizer: OptimizerConfig;
  /** Initial (peak) learning rate. */
  learningRate: number;
  /** How the learning rate changes over the run. */
  schedule: LearningRateSchedule;
  /** L2 weight decay on convolution and dense kernels (not on biases or BatchNorm). */
  weightDecay: number;
  /** Images per training step. */
  batchSize: number;
  /** Random augmentation of the training images. */
  augment: Augmentation;
}

/** A recipe and the run's length. */
export interface Hyperparameters extends Recipe {
  /** Epochs of the run. */
  epochs: number;
}

/**
 * The learning rate of epoch `epoch` (0-based) of a run.
 *
 * @example
 * ```ts
 * import { learningRateAt, RECIPES } from '@se/core';
 *
 * const run = { ...RECIPES['he2016-cifar'], epochs: 4 };
 * learningRateAt(run, 0); // 0.05
 * learningRateAt(run, 2); // 0.005 (÷10 at 50 % of the run)
 * ```
 */
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

/**
 * A recipe in one line, for plans and reports.
 *
 * @example
 * ```ts
 * import { describeRecipe, RECIPES } from '@se/core';
 *
 * describeRecipe(RECIPES['keras-cifar10-cnn']);
 * // 'RMSprop ρ 0.9 ε 1e-7, learning rate 0.001 (constant), weight decay 0, batch 32, …'
 * ```
 */
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

/** A recipe with its name and where it comes from. */
export interface NamedRecipe extends Recipe {
  /** The recipe's name, e.g. `he2016-cifar`. */
  name: string;
  /** The paper or code it follows, and how it was adapted to short runs. */
  source: string;
}

/** A recipe's name. */
export type RecipeName =
  | 'he2016-cifar'
  | 'zagoruyko2016-wrn'
  | 'keras-cifar10-cnn'
  | 'hu2018-imagenet';

/** Every recipe, by name. */
export const RECIPES: Readonly<Record<RecipeName, NamedRecipe>> = {
  'he2016-cifar': {
    name: 'he2016-cifar',
    source:
      'He et al. 2016 (Deep Residual Learning, §4.2, CIFAR-10): SGD momentum 0.9, lr 0.1 divided by 10 at 32k and 48k of 64k iterations (50 % and 75 % of the run), weight decay 1e-4, pad-and-crop (4 px at 32², 2 px here for 28² images) with flips; their batch 128 at lr 0.1 is here batch 64 at lr 0.05 (the same lr per image), which leaves short runs on a few thousand images twice the steps',
    optimizer: { type: 'sgd', momentum: 0.9, nesterov: false },
    learningRate: 0.05,
    schedule: { type: 'step', milestones: [0.5, 0.75], factor: 0.1 },
    weightDecay: 1e-4,
    batchSize: 64,
    augment: { padCrop: 2, flip: true },
  },
  'zagoruyko2016-wrn': {
    name: 'zagoruyko2016-wrn',
    source:
      'Zagoruyko & Komodakis 2016 (Wide Residual Networks, §3): SGD Nesterov momentum 0.9, lr 0.1 multiplied by 0.2 at epochs 60, 120, 160 of 200 (30 %, 60 %, 80 %), weight decay 5e-4, batch 128, no dropout (as their Table 5, which the SE paper compares with), pad-and-crop (4 px at 32², 2 px here) with flips',
    optimizer: { type: 'sgd', momentum: 0.9, nesterov: true },
    learningRate: 0.1,
    schedule: { type: 'step', milestones: [0.3, 0.6, 0.8], factor: 0.2 },
    weightDecay: 5e-4,
    batchSize: 128,
    augment: { padCrop: 2, flip: true },
  },
  'keras-cifar10-cnn': {
    name: 'keras-cifar10-cnn',
    source:
      "The Keras example cifar10_cnn.py the seed's small CNN comes from, as it was from December 2016 to April 2017 (keras-team/keras 7c4f033): RMSprop at Keras's defaults (lr 1e-3, ρ 0.9), batch 32, no weight decay, shifts of 10 % and horizontal flips. The example later lowered lr to 1e-4 for 100-epoch CIFAR-10 runs; in short runs that leaves SE-CNN far behind",
    optimizer: { type: 'rmsprop', rho: 0.9, epsilon: 1e-7 },
    learningRate: 1e-3,
    schedule: { type: 'constant' },
    weightDecay: 0,
    batchSize: 32,
    augment: { padCrop: 3, flip: true },
  },
  'hu2018-imagenet': {
    name: 'hu2018-imagenet',
    source:
      'Hu et al. (Squeeze-and-Excitation Networks, §5.1): synchronous SGD momentum 0.9, lr 0.6 at batch 1024 (here scaled linearly to batch 64: 0.0375), divided by 10 every 30 of 100 epochs; the paper states no weight decay, 1e-4 is that of He et al. and of the released models',
    optimizer: { type: 'sgd', momentum: 0.9, nesterov: false },
    learningRate: 0.0375,
    schedule: { type: 'step', milestones: [0.3, 0.6, 0.9], factor: 0.1 },
    weightDecay: 1e-4,
    batchSize: 64,
    augment: { padCrop: 2, flip: true },
  },
};

/** Every recipe name. */
export const RECIPE_NAMES = Object.keys(RECIPES) as RecipeName[];

/**
 * The recipe of a registered model's family: the CIFAR ResNets He et al.'s, the wide ResNets
 * Zagoruyko & Komodakis's, the Keras seed's small CNN the Keras example's, and the ImageNet
 * networks the SE paper's. A model and its twin always get the same recipe.
 *
 * @example
 * ```ts
 * import '@se/resnet';
 * import { defaultRecipe } from '@se/core';
 *
 * defaultRecipe('seresnet20').name; // 'he2016-cifar', as resnet20's
 * ```
 */
export function defaultRecipe(model: string): NamedRecipe {
  const info = getModelInfo(model);
  const plain = info.se && info.twin ? info.twin : model;
  if (info.family === 'cnn') return RECIPES['keras-cifar10-cnn'];
  if (info.family === 'cifar-resnet')
    return plain.startsWith('wrn') ? RECIPES['zagoruyko2016-wrn'] : RECIPES['he2016-cifar'];
  return RECIPES['hu2018-imagenet'];
}

/**
 * The recipe named `name`; an unknown name is an error listing the recipes.
 *
 * @example
 * ```ts
 * import { getRecipe } from '@se/core';
 *
 * getRecipe('zagoruyko2016-wrn').optimizer; // { type: 'sgd', momentum: 0.9, nesterov: true }
 * ```
 */
export function getRecipe(name: string): NamedRecipe {
  const recipe = (RECIPES as Record<string, NamedRecipe>)[name];
  if (!recipe) throw new ConfigError('recipe', name, `one of ${RECIPE_NAMES.join(', ')}`);
  return recipe;
}
