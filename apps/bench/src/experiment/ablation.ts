/**
 * `se-zoo ablate`'s experiment: one of the paper's ablation studies as configurations of one
 * model's `se` option, trained on a small-image dataset like the benchmark's runs, and its table.
 */
import { ConfigError, countMacs, countParams, type NamedRecipe } from '@se/core';
import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset.js';
import {
  type DataIdentity,
  dataIdentity,
  type RunResult,
  type RunSpec,
  runId,
} from '../train/run.js';
import { buildRunModel, runInputShape } from '../train/trainer.js';
import { recipeSpec } from './bench.js';
import { type RecipeOverrides, resolveRecipe } from './recipes.js';
import { type ExperimentSetup, experimentSetup, type FailedRun } from './runner.js';
import { type Interval, mean, pairedDifference, sampleStd } from './statistics.js';
import { type AblationStudy, type AblationVariant, getStudy } from './studies.js';

/** What an ablation trains: every variant of the study, for every seed. */
export interface AblationPlan {
  /** The study's `--study` name. */
  study: string;
  /** The registered model every variant configures, e.g. `seresnet20`. */
  model: string;
  /** The study's rows, with the plan's SE options applied. */
  variants: AblationVariant[];
  seeds: number[];
  epochs: number;
  /** The recipe every row trains with. */
  recipe: NamedRecipe;
  /** Train on the first N training images only; all when omitted. */
  trainLimit?: number;
  /** Evaluate on the first N test images only; all when omitted. */
  testLimit?: number;
  /** Square input size the images are resized to (e.g. 224 for ImageNet networks). */
  imageSize?: number;
}

/**
 * The default sizes: a 1,024-image subset of Fashion-MNIST, 2 seeds, 2 epochs, CIFAR
 * SE-ResNet-20. Enough to exercise a study, far too little to separate variants that differ by
 * tenths of a point.
 */
export const QUICK_ABLATION = {
  model: 'seresnet20',
  seeds: 2,
  epochs: 2,
  trainLimit: 1024,
  testLimit: 1000,
} as const;

/** Command-line choices of an ablation. */
export interface AblationChoices extends RecipeOverrides {
  /** The study's name (see `se-zoo ablate --list`). */
  study: string;
  /** Registered model to configure (default `seresnet20`). */
  model?: string;
  seeds?: number;
  epochs?: number;
  trainLimit?: number;
  testLimit?: number;
  /** Resize the images to this square size. */
  imageSize?: number;
  /** `false` drops the biases of the excitation FC layers in every variant (paper §6). */
  bias?: boolean;
}

/** Resolves the plan of a study from the defaults and the choices. */
export function resolveAblationPlan(choices: AblationChoices): AblationPlan {
  const study = getStudy(choices.study);
  const base = QUICK_ABLATION;
  const model = choices.model ?? base.model;
  const variants = study.variants.map((v) =>
    v.se !== false && choices.bias === false ? { ...v, se: { ...v.se, bias: false } } : v,
  );
  return {
    study: study.name,
    model,
    variants,
    seeds: Array.from({ length: choices.seeds ?? base.seeds }, (_, i) => i + 1),
    epochs: choices.epochs ?? base.epochs,
    recipe: resolveRecipe(model, choices),
    trainLimit: choices.trainLimit ?? base.trainLimit,
    testLimit: choices.testLimit ?? base.testLimit,
    ...(choices.imageSize ? { imageSize: choices.imageSize } : {}),
  };
}

/** The run spec of one variant and seed. */
export function variantSpec(plan: AblationPlan, variant: AblationVariant, seed: number): RunSpec {
  return recipeSpec(plan.recipe, {
    model: plan.model,
    se: variant.se,
    variant: variant.key,
    seed,
    epochs: plan.epochs,
    ...(plan.imageSize ? { imageSize: plan.imageSize } : {}),
  });
}

/** What ablation.json records: the plan and the data it trains on. */
export function ablationIdentity(
  plan: AblationPlan,
  dataset: Dataset,
): { plan: AblationPlan; data: DataIdentity } {
  return { plan, data: dataIdentity(dataset) };
}

/** Every run of a plan, seed by seed (so that a first seed of every row finishes first). */
export function ablationRuns(plan: AblationPlan): RunSpec[] {
  return plan.seeds.flatMap((seed) => plan.variants.map((v) => variantSpec(plan, v, seed)));
}

/** Parameters and MACs of a variant's model, or why it cannot be built. */
export type VariantCount =
  | { key: string; params: number; macs: number }
  | { key: string; error: string };

/**
 * Builds each variant's model for `dataset` (its input size and classes) and counts it; a
 * variant the model cannot take (e.g. r larger than a block's channels) gets the builder's
 * error instead.
 */
export function countVariants(plan: AblationPlan, dataset: Dataset): VariantCount[] {
  return plan.variants.map((variant) => {
    const spec = variantSpec(plan, variant, 1);
    let model: tf.LayersModel;
    try {
      model = buildRunModel(spec, dataset);
    } catch (error) {
      if (error instanceof ConfigError) return { key: variant.key, error: error.message };
      throw error;
    }
    try {
      return {
        key: variant.key,
        params: countParams(model),
        macs: countMacs(model, runInputShape(spec, dataset)),
      };
    } finally {
      model.dispose();
    }
  });
}

/** One row of a study's table. */
export interface AblationRow {
  key: string;
  /** The paper's name of the row. */
  label: string;
  se: false | AblationVariant['se'];
  params: number | null;
  macs: number | null;
  /** Why the model could not be built with this variant, if it could not. */
  error?: string;
  /** Top-1 test error over the finished seeds (NaN without any). */
  top1Error: { mean: number; std: number };
  /** This row's error minus the reference row's, paired by seed, with a 95 % interval. */
  vsReference: Interval | null;
  /** Mean training throughput. */
  imagesPerSecond: number;
  seeds: number[];
}

/** summary.json of an ablation. */
export interface AblationSummary extends ExperimentSetup {
  study: string;
  table: string;
  title: string;
  note: string;
  model: string;
  /** Key of the row the others are compared with. */
  reference: string;
  plan: AblationPlan;
  rows: AblationRow[];
}

/** The study's table from the finished runs. */
export function summarizeAblation(
  plan: AblationPlan,
  dataset: Dataset,
  counts: VariantCount[],
  runs: RunResult[],
  failures: FailedRun[],
): AblationSummary {
  const study: AblationStudy = getStudy(plan.study);
  const byId = new Map(runs.map((r) => [r.id, r]));
  const runOf = (variant: AblationVariant, seed: number) =>
    byId.get(runId(variantSpec(plan, variant, seed)));
  const reference = plan.variants.find((v) => v.key === study.reference);
  const rows = plan.variants.map((variant): AblationRow => {
    const count = counts.find((c) => c.key === variant.key);
    const finished = plan.seeds.flatMap((seed) => {
      const run = runOf(variant, seed);
      return run ? [{ seed, run }] : [];
    });
    const errors = finished.map((f) => 1 - f.run.testAccuracy);
    const paired = reference
      ? finished.flatMap((f) => {
          const ref = runOf(reference, f.seed);
          return ref ? [{ own: 1 - f.run.testAccuracy, ref: 1 - ref.testAccuracy }] : [];
        })
      : [];
    return {
      key: variant.key,
      label: variant.label,
      se: variant.se,
      params: count && 'params' in count ? count.params : (finished[0]?.run.params ?? null),
      macs: count && 'macs' in count ? count.macs : (finished[0]?.run.macs ?? null),
      ...(count && 'error' in count ? { error: count.error } : {}),
      top1Error: { mean: mean(errors), std: sampleStd(errors) },
      vsReference:
        variant.key === study.reference || paired.length === 0
          ? null
          : pairedDifference(
              paired.map((p) => p.ref),
              paired.map((p) => p.own),
            ),
      imagesPerSecond: mean(finished.map((f) => f.run.imagesPerSecond)),
      seeds: finished.map((f) => f.seed),
    };
  });
  const inputShape = runInputShape(plan, dataset);
  return {
    study: study.name,
    table: study.table,
    title: study.title,
    note: study.note,
    model: plan.model,
    reference: study.reference,
    ...experimentSetup(dataset, inputShape, runs, failures),
    plan,
    rows,
  };
}
