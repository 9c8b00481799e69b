/**
 * The recipe a run trains with: its model family's (`defaultRecipe` of @se/core), or `--recipe`,
 * with `--lr` and `--batch`.
 */
import { defaultRecipe, getRecipe, type NamedRecipe } from '@se/core';

export { RECIPE_NAMES } from '@se/core';

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
