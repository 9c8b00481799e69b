import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type Dataset, headOf } from '../data/dataset.js';
import { writeFileAtomic } from '../train/checkpoint.js';
import {
  type EpochMetrics,
  type Hyperparameters,
  NonFiniteLossError,
  type RunResult,
  type RunSpec,
  runId,
  type StepProgress,
  trainRun,
} from '../train/trainer.js';
import { type Interval, mean, pairedDifference, sampleStd } from './stats.js';

/** A model and its SE twin, compared seed by seed. */
export interface ModelPair {
  plain: string;
  se: string;
}

/** What a benchmark trains: every pair, with and without SE, for every seed. */
export interface BenchPlan extends Hyperparameters {
  pairs: ModelPair[];
  seeds: number[];
  /** Train on the first N training images only (quick runs); all when omitted. */
  trainLimit?: number;
  /** Evaluate on the first N test images only; all when omitted. */
  testLimit?: number;
}

/** One row of the comparison: a pair over all its seeds. */
export interface PairSummary {
  plain: string;
  se: string;
  params: { plain: number; se: number };
  macs: { plain: number; se: number };
  accuracy: { plain: { mean: number; std: number }; se: { mean: number; std: number } };
  /** SE − plain test accuracy, paired by seed, with its 95 % interval. */
  difference: Interval;
  imagesPerSecond: { plain: number; se: number };
  /** Extra training time per image of SE over plain, in percent. */
  seTimeOverheadPercent: number;
  seeds: number[];
}

/** A run that did not finish (e.g. its loss became NaN); the others went on. */
export interface FailedRun {
  id: string;
  error: string;
}

/** summary.json of a benchmark. */
export interface BenchSummary {
  dataset: string;
  datasetSource: string;
  trainImages: number;
  testImages: number;
  inputShape: number[];
  backend: string;
  /** The device the backend ran on, in words. */
  device: string;
  dtype: 'float32';
  plan: BenchPlan;
  pairs: PairSummary[];
  runs: RunResult[];
  failures: FailedRun[];
  createdAt: string;
}

/** Progress events of a benchmark. */
export interface BenchEvents {
  onRunStart?: (id: string, index: number, total: number) => void;
  onStep?: (id: string, progress: StepProgress) => void;
  onEpoch?: (id: string, metrics: EpochMetrics) => void;
  onRunFailed?: (failure: FailedRun) => void;
}

/** The run specs of a plan, plain before SE for each seed. */
export function planRuns(plan: BenchPlan): RunSpec[] {
  const { pairs, seeds, trainLimit: _train, testLimit: _test, ...common } = plan;
  return pairs.flatMap((pair) =>
    seeds.flatMap((seed) => [
      { ...common, model: pair.plain, se: false, seed },
      { ...common, model: pair.se, se: true, seed },
    ]),
  );
}

/** The dataset cut to the plan's limits. */
export function limitDataset(
  dataset: Dataset,
  plan: Pick<BenchPlan, 'trainLimit' | 'testLimit'>,
): Dataset {
  return {
    ...dataset,
    train: plan.trainLimit === undefined ? dataset.train : headOf(dataset.train, plan.trainLimit),
    test: plan.testLimit === undefined ? dataset.test : headOf(dataset.test, plan.testLimit),
  };
}

/**
 * Claims `dir` for `plan`: writes `planFile` (the plan as JSON) the first time, and refuses a
 * directory whose saved plan differs, rather than silently mixing protocols. With `resume`, a
 * directory without the plan is an error (there is nothing to continue) instead of a fresh start.
 */
export async function claimResultsDir(
  dir: string,
  planFile: string,
  plan: object,
  resume = false,
): Promise<void> {
  const planPath = join(dir, planFile);
  if (resume && !existsSync(planPath)) {
    throw new Error(
      `--resume: ${dir} holds no earlier run (no ${planFile}); leave out --resume to start one there`,
    );
  }
  await mkdir(join(dir, 'runs'), { recursive: true });
  const text = JSON.stringify(plan, null, 2);
  if (existsSync(planPath)) {
    const saved = await readFile(planPath, 'utf8');
    if (saved.trim() !== text) {
      throw new Error(
        `${planPath}: this results directory holds a different plan; use another --out or the same options`,
      );
    }
  } else {
    await writeFileAtomic(planPath, `${text}\n`);
  }
}

/**
 * Trains `specs` in order into `dir/runs/<id>/` (see trainRun): finished runs are skipped and
 * interrupted ones resumed; a run whose loss becomes NaN is recorded as failed and the others
 * go on.
 */
export async function trainSpecs(
  specs: RunSpec[],
  dataset: Dataset,
  dir: string,
  events: BenchEvents = {},
): Promise<{ results: RunResult[]; failures: FailedRun[] }> {
  const results: RunResult[] = [];
  const failures: FailedRun[] = [];
  for (const [index, spec] of specs.entries()) {
    const id = runId(spec);
    events.onRunStart?.(id, index, specs.length);
    try {
      results.push(
        await trainRun(spec, dataset, join(dir, 'runs', id), {
          onStep: (p) => events.onStep?.(id, p),
          onEpoch: (m) => events.onEpoch?.(id, m),
        }),
      );
    } catch (error) {
      if (!(error instanceof NonFiniteLossError)) throw error;
      const failure = { id, error: error.message };
      failures.push(failure);
      events.onRunFailed?.(failure);
    }
  }
  return { results, failures };
}

/** The finished runs (their final.json) of `specs` in a results directory. */
export async function loadFinishedRuns(dir: string, specs: RunSpec[]): Promise<RunResult[]> {
  const runs: RunResult[] = [];
  for (const spec of specs) {
    const path = join(dir, 'runs', runId(spec), 'final.json');
    if (existsSync(path)) runs.push(JSON.parse(await readFile(path, 'utf8')) as RunResult);
  }
  return runs;
}

/**
 * Runs a benchmark into `dir`: `bench.json` (the plan), `runs/<id>/` per run (see trainRun),
 * then `summary.json`. Finished runs are skipped and interrupted ones resumed; a run whose loss
 * becomes NaN is recorded as failed and the others go on. Resuming with a different plan is an
 * error rather than a silent mix of protocols.
 */
export async function runBench(
  plan: BenchPlan,
  full: Dataset,
  dir: string,
  events: BenchEvents = {},
  resume = false,
): Promise<BenchSummary> {
  await claimResultsDir(dir, 'bench.json', plan, resume);
  const dataset = limitDataset(full, plan);
  const { results, failures } = await trainSpecs(planRuns(plan), dataset, dir, events);
  const summary = summarizeBench(plan, dataset, results, failures);
  await writeFileAtomic(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
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
    return [
      {
        ...pair,
        params: { plain: first.plain.params, se: first.se.params },
        macs: { plain: first.plain.macs, se: first.se.macs },
        accuracy: {
          plain: { mean: mean(accuracy('plain')), std: sampleStd(accuracy('plain')) },
          se: { mean: mean(accuracy('se')), std: sampleStd(accuracy('se')) },
        },
        difference: pairedDifference(accuracy('plain'), accuracy('se')),
        imagesPerSecond,
        seTimeOverheadPercent: (imagesPerSecond.plain / imagesPerSecond.se - 1) * 100,
        seeds: matched.map((m) => m.seed),
      },
    ];
  });
  return {
    dataset: dataset.name,
    datasetSource: dataset.source,
    trainImages: dataset.train.count,
    testImages: dataset.test.count,
    inputShape: [dataset.train.height, dataset.train.width, dataset.train.channels],
    backend: runs[0]?.backend ?? tf.getBackend(),
    device: runs[0]?.device ?? 'unknown',
    dtype: 'float32',
    plan,
    pairs,
    runs,
    failures,
    createdAt: new Date().toISOString(),
  };
}

/** Re-reads every finished run of a benchmark directory (for `se-zoo report`). */
export async function loadBenchResults(
  dir: string,
): Promise<{ plan: BenchPlan; runs: RunResult[] }> {
  const planPath = join(dir, 'bench.json');
  if (!existsSync(planPath)) throw new Error(`${dir} is not a benchmark directory (no bench.json)`);
  const plan = JSON.parse(await readFile(planPath, 'utf8')) as BenchPlan;
  return { plan, runs: await loadFinishedRuns(dir, planRuns(plan)) };
}
