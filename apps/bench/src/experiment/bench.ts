/**
 * The zoo benchmark: every model against its SE (or plain) twin, seed by seed, under the
 * family's recipe; its protocols, its runs and its summary.
 */
import { getModelInfo, modelName, type NamedRecipe, type Recipe } from '@se/core';
import { type Dataset, headOf } from '../data/dataset.js';
import {
  type DataIdentity,
  dataIdentity,
  type RunResult,
  type RunSpec,
  runId,
} from '../train/run.js';
import { type RecipeOverrides, resolveRecipe } from './recipes.js';
import { type ExperimentSetup, experimentSetup, type FailedRun } from './runner.js';
import {
  type Interval,
  mean,
  pairedDifference,
  sampleStd,
  seedsForHalfWidth,
} from './statistics.js';

/** A model and its SE twin, compared seed by seed under one recipe. */
export interface ModelPair {
  plain: string;
  se: string;
}

/** A pair and the recipe both twins train with. */
export interface BenchPair extends ModelPair {
  recipe: NamedRecipe;
}

/** What a benchmark trains: every pair, with and without SE, for every seed. */
export interface BenchPlan {
  pairs: BenchPair[];
  seeds: number[];
  epochs: number;
  /** Train on the first N training images only (quick runs); all when omitted. */
  trainLimit?: number;
  /** Evaluate on the first N test images only; all when omitted. */
  testLimit?: number;
}

/** The sizes of a protocol; the recipes come from the models. */
export interface Protocol {
  models: string[];
  seeds: number;
  epochs: number;
  trainLimit?: number;
  testLimit?: number;
}

/** The benchmark's protocols. */
export const PROTOCOLS = {
  /** The default: a smoke test sized to finish in a few minutes on a 2-core CPU. */
  quick: { models: ['resnet20'], seeds: 2, epochs: 3, trainLimit: 2048, testLimit: 1024 },
  /** `--full`: every image, three seeds, the CIFAR ResNets of He et al. */
  full: { models: ['resnet20', 'resnet56', 'resnet110'], seeds: 3, epochs: 30 },
} as const satisfies Record<string, Protocol>;

/** The interval half-width the summary says how to reach (in accuracy, 0.5 pp). */
export const TARGET_HALF_WIDTH = 0.005;

/** The pair of a model name: `seresnet20` ↔ `resnet20` through the registry's twins. */
export function pairOf(name: string): ModelPair {
  const info = getModelInfo(modelName(name));
  if (!info.twin)
    throw new Error(`--models: '${name}' has no registered SE/plain twin to compare with`);
  return info.se ? { plain: info.twin, se: name } : { plain: name, se: info.twin };
}

/** Command-line choices of a benchmark. */
export interface BenchChoices extends RecipeOverrides {
  full?: boolean;
  /** Models (each compared with its twin), default the protocol's. */
  models?: string[];
  seeds?: number;
  epochs?: number;
  trainLimit?: number;
  testLimit?: number;
}

/** Resolves the plan from the protocol and the choices. */
export function resolvePlan(choices: BenchChoices): BenchPlan {
  const protocol: Protocol = choices.full ? PROTOCOLS.full : PROTOCOLS.quick;
  const models = choices.models ?? protocol.models;
  const trainLimit = choices.trainLimit ?? protocol.trainLimit;
  const testLimit = choices.testLimit ?? protocol.testLimit;
  return {
    pairs: models.map((name) => {
      const pair = pairOf(name);
      return { ...pair, recipe: resolveRecipe(pair.plain, choices) };
    }),
    seeds: Array.from({ length: choices.seeds ?? protocol.seeds }, (_, i) => i + 1),
    epochs: choices.epochs ?? protocol.epochs,
    ...(trainLimit !== undefined ? { trainLimit } : {}),
    ...(testLimit !== undefined ? { testLimit } : {}),
  };
}

/** A run's spec from a recipe. */
export function recipeSpec(
  recipe: NamedRecipe,
  run: Pick<RunSpec, 'model' | 'se' | 'seed' | 'epochs'> &
    Partial<Pick<RunSpec, 'variant' | 'imageSize'>>,
): RunSpec {
  const { name, source: _source, ...rest } = recipe;
  const training: Recipe = rest;
  return { ...run, recipe: name, ...training };
}

/** The run specs of a plan, plain before SE for each seed. */
export function planRuns(plan: BenchPlan): RunSpec[] {
  return plan.pairs.flatMap((pair) =>
    plan.seeds.flatMap((seed) => [
      recipeSpec(pair.recipe, { model: pair.plain, se: false, seed, epochs: plan.epochs }),
      recipeSpec(pair.recipe, { model: pair.se, se: true, seed, epochs: plan.epochs }),
    ]),
  );
}

/** The dataset cut to the plan's limits. */
export function limitDataset(
  dataset: Dataset,
  plan: { trainLimit?: number | undefined; testLimit?: number | undefined },
): Dataset {
  return {
    ...dataset,
    train: plan.trainLimit === undefined ? dataset.train : headOf(dataset.train, plan.trainLimit),
    test: plan.testLimit === undefined ? dataset.test : headOf(dataset.test, plan.testLimit),
  };
}

/** What bench.json records: the plan and the data it trains on. */
export function benchIdentity(
  plan: BenchPlan,
  dataset: Dataset,
): { plan: BenchPlan; data: DataIdentity } {
  return { plan, data: dataIdentity(dataset) };
}

/** One row of the comparison: a pair over all its seeds. */
export interface PairSummary {
  plain: string;
  se: string;
  recipe: string;
  params: { plain: number; se: number };
  macs: { plain: number; se: number };
  accuracy: { plain: { mean: number; std: number }; se: { mean: number; std: number } };
  /** SE − plain test accuracy, paired by seed, with its 95 % interval. */
  difference: Interval;
  /**
   * Seeds the pair would need for an interval of ±{@link TARGET_HALF_WIDTH} at the observed
   * spread of the difference; null with fewer than two seeds.
   */
  seedsForTarget: number | null;
  imagesPerSecond: { plain: number; se: number };
  /** Extra training time per image of SE over plain, in percent. */
  seTimeOverheadPercent: number;
  seeds: number[];
}

/** summary.json of a benchmark. */
export interface BenchSummary extends ExperimentSetup {
  plan: BenchPlan;
  pairs: PairSummary[];
}

/** Compares SE against plain for every pair over the seeds both finished. */
export function summarizeBench(
  plan: BenchPlan,
  dataset: Dataset,
  runs: RunResult[],
  failures: FailedRun[],
): BenchSummary {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const pairs = plan.pairs.flatMap((pair): PairSummary[] => {
    const matched = plan.seeds.flatMap((seed) => {
      const plain = byId.get(runId({ model: pair.plain, se: false, seed }));
      const se = byId.get(runId({ model: pair.se, se: true, seed }));
      return plain && se ? [{ seed, plain, se }] : [];
    });
    const first = matched[0];
    if (!first) return [];
    const accuracy = (side: 'plain' | 'se') => matched.map((m) => m[side].testAccuracy);
    const speed = (side: 'plain' | 'se') => mean(matched.map((m) => m[side].imagesPerSecond));
    const imagesPerSecond = { plain: speed('plain'), se: speed('se') };
    const difference = pairedDifference(accuracy('plain'), accuracy('se'));
    return [
      {
        plain: pair.plain,
        se: pair.se,
        recipe: pair.recipe.name,
        params: { plain: first.plain.params, se: first.se.params },
        macs: { plain: first.plain.macs, se: first.se.macs },
        accuracy: {
          plain: { mean: mean(accuracy('plain')), std: sampleStd(accuracy('plain')) },
          se: { mean: mean(accuracy('se')), std: sampleStd(accuracy('se')) },
        },
        difference,
        seedsForTarget:
          difference.n < 2 ? null : seedsForHalfWidth(difference.std, TARGET_HALF_WIDTH),
        imagesPerSecond,
        seTimeOverheadPercent: (imagesPerSecond.plain / imagesPerSecond.se - 1) * 100,
        seeds: matched.map((m) => m.seed),
      },
    ];
  });
  const { height, width, channels } = dataset.train;
  return { ...experimentSetup(dataset, [height, width, channels], runs, failures), plan, pairs };
}

/**
 * How long a protocol would take on this backend, from one measured configuration: each model's
 * training speed is taken as the reference's scaled by their MACs per image, which holds for
 * networks of one family on one backend.
 */
export function estimateProtocolSeconds(
  protocol: Protocol,
  dataset: Dataset,
  reference: { macs: number; imagesPerSecond: number },
  macsOf: (model: string) => number,
): number {
  const train = Math.min(protocol.trainLimit ?? Number.POSITIVE_INFINITY, dataset.train.count);
  const test = Math.min(protocol.testLimit ?? Number.POSITIVE_INFINITY, dataset.test.count);
  let seconds = 0;
  for (const name of protocol.models) {
    const pair = pairOf(name);
    for (const model of [pair.plain, pair.se]) {
      const speed = (reference.imagesPerSecond * reference.macs) / macsOf(model);
      seconds += (protocol.seeds * protocol.epochs * (train + test / 3)) / speed;
    }
  }
  return seconds;
}
