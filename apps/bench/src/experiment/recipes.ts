/**
 * The default training recipe of each model family, from its paper or reference implementation.
 * An SE model and its plain twin always share one recipe, so that a comparison changes one thing.
 */
import { getModelInfo } from '@se/core';
import type { Recipe } from '../train/recipe.js';

/** A recipe with its name and where it comes from. */
export interface NamedRecipe extends Recipe {
  name: string;
  /** The paper or code it follows, and how it was adapted to short runs. */
  source: string;
}

/** Every recipe, by name. */
export const RECIPES = {
  'he2016-cifar': {
    name: 'he2016-cifar',
    source:
      'He et al. 2016 (Deep Residual Learning, §4.2, CIFAR-10): SGD momentum 0.9, lr 0.1 divided by 10 at 32k and 48k of 64k iterations (50 % and 75 % of the run), weight decay 1e-4, batch 128, pad-and-crop with flips',
    optimizer: { type: 'sgd', momentum: 0.9, nesterov: false },
    learningRate: 0.1,
    schedule: { type: 'step', milestones: [0.5, 0.75], factor: 0.1 },
    weightDecay: 1e-4,
    batchSize: 128,
    augment: { padCrop: 2, flip: true },
  },
  'zagoruyko2016-wrn': {
    name: 'zagoruyko2016-wrn',
    source:
      'Zagoruyko & Komodakis 2016 (Wide Residual Networks, §3): SGD Nesterov momentum 0.9, lr 0.1 multiplied by 0.2 at epochs 60, 120, 160 of 200 (30 %, 60 %, 80 %), weight decay 5e-4, batch 128, pad-and-crop with flips',
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
      "The Keras example cifar10_cnn.py the seed's small CNN comes from: RMSprop lr 1e-4 (decay 1e-6 per step, negligible in short runs), batch 32, no weight decay, shifts of 10 % and horizontal flips",
    optimizer: { type: 'rmsprop', rho: 0.9, epsilon: 1e-7 },
    learningRate: 1e-4,
    schedule: { type: 'constant' },
    weightDecay: 0,
    batchSize: 32,
    augment: { padCrop: 3, flip: true },
  },
  'hu2018-imagenet': {
    name: 'hu2018-imagenet',
    source:
      'Hu et al. (Squeeze-and-Excitation Networks, §5): SGD momentum 0.9, lr 0.6 at batch 1024 (here scaled linearly to batch 64: 0.0375), divided by 10 every 30 of 100 epochs, weight decay 1e-4',
    optimizer: { type: 'sgd', momentum: 0.9, nesterov: false },
    learningRate: 0.0375,
    schedule: { type: 'step', milestones: [0.3, 0.6, 0.9], factor: 0.1 },
    weightDecay: 1e-4,
    batchSize: 64,
    augment: { padCrop: 2, flip: true },
  },
} as const satisfies Record<string, NamedRecipe>;

/** A recipe's name. */
export type RecipeName = keyof typeof RECIPES;
/** Every recipe name. */
export const RECIPE_NAMES = Object.keys(RECIPES) as RecipeName[];

/** The recipe of a model family: its plain twin's, so that both twins train alike. */
export function defaultRecipe(model: string): NamedRecipe {
  const info = getModelInfo(model);
  const plain = info.se && info.twin ? info.twin : model;
  if (info.family === 'cnn') return RECIPES['keras-cifar10-cnn'];
  if (info.family === 'cifar-resnet')
    return plain.startsWith('wrn') ? RECIPES['zagoruyko2016-wrn'] : RECIPES['he2016-cifar'];
  return RECIPES['hu2018-imagenet'];
}

/** The recipe named `name`; an unknown name is an error listing the recipes. */
export function getRecipe(name: string): NamedRecipe {
  const recipe = (RECIPES as Record<string, NamedRecipe>)[name];
  if (!recipe)
    throw new Error(`--recipe: unknown recipe '${name}'; choose one of ${RECIPE_NAMES.join(', ')}`);
  return recipe;
}

/** Overrides of a recipe from the command line. */
export interface RecipeOverrides {
  /** `--recipe`: another recipe than the model's own. */
  recipe?: string;
  /** `--lr`: the initial learning rate. */
  lr?: number;
  /** `--batch`: the batch size. */
  batch?: number;
}

/** The recipe a model trains with: its family's, or `--recipe`, with `--lr` and `--batch`. */
export function resolveRecipe(model: string, overrides: RecipeOverrides = {}): NamedRecipe {
  const base = overrides.recipe ? getRecipe(overrides.recipe) : defaultRecipe(model);
  const changed = [
    overrides.lr !== undefined ? `lr ${overrides.lr}` : '',
    overrides.batch !== undefined ? `batch ${overrides.batch}` : '',
  ].filter((c) => c !== '');
  return {
    ...base,
    augment: { ...base.augment },
    ...(overrides.lr !== undefined ? { learningRate: overrides.lr } : {}),
    ...(overrides.batch !== undefined ? { batchSize: overrides.batch } : {}),
    name: changed.length > 0 ? `${base.name} (${changed.join(', ')})` : base.name,
  };
}
