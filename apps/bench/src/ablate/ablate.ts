/**
 * `se-zoo ablate`: one of the paper's ablation studies trained on a small-image dataset, with
 * bench's data, training loop, results storage and report.
 */
import '../zoo.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, countMacs, countParams } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import Table from 'cli-table3';
import { claimResultsDir, type FailedRun, limitDataset, trainSpecs } from '../bench/bench.js';
import {
  consoleEvents,
  estimateRunSeconds,
  formatEstimate,
  QUICK_PLAN,
} from '../bench/commands.js';
import { loadDataset } from '../bench/data-source.js';
import { type Interval, mean, pairedDifference, sampleStd } from '../bench/stats.js';
import type { Dataset } from '../data/dataset.js';
import { writeFileAtomic } from '../train/checkpoint.js';
import {
  buildRunModel,
  type Hyperparameters,
  type RunResult,
  type RunSpec,
  runId,
  runInputShape,
} from '../train/trainer.js';
import { renderAblationReport } from './report.js';
import { type AblationStudy, type AblationVariant, getStudy } from './studies.js';

/** What an ablation trains: every variant of the study, for every seed. */
export interface AblationPlan extends Hyperparameters {
  /** The study's `--study` name. */
  study: string;
  /** The registered model every variant configures, e.g. `seresnet20`. */
  model: string;
  /** The study's rows, with the plan's SE options applied. */
  variants: AblationVariant[];
  seeds: number[];
  /** Train on the first N training images only; all when omitted. */
  trainLimit?: number;
  /** Evaluate on the first N test images only; all when omitted. */
  testLimit?: number;
  /** Square input size the images are resized to (e.g. 224 for ImageNet networks). */
  imageSize?: number;
}

/**
 * The default sizes: a 1,024-image subset of Fashion-MNIST, 2 seeds, 2 epochs, CIFAR
 * SE-ResNet-20 — 4 to 9 minutes a study on a 2-core CPU. Enough to exercise a study, far too
 * little to separate variants that differ by tenths of a point.
 */
export const QUICK_ABLATION = {
  model: 'seresnet20',
  seeds: [1, 2],
  epochs: 2,
  batchSize: 64,
  learningRate: 0.05,
  momentum: QUICK_PLAN.momentum,
  weightDecay: QUICK_PLAN.weightDecay,
  augment: QUICK_PLAN.augment,
  trainLimit: 1024,
  testLimit: 1000,
} as const;

/** Command-line choices of an ablation. */
export interface AblationOverrides {
  /** The study's name (see `se-zoo ablate --list`). */
  study: string;
  /** Registered model to configure (default `seresnet20`). */
  model?: string;
  seeds?: number;
  epochs?: number;
  batch?: number;
  lr?: number;
  trainLimit?: number;
  testLimit?: number;
  /** Resize the images to this square size. */
  imageSize?: number;
  /** `false` drops the biases of the excitation FC layers in every variant (paper §6). */
  bias?: boolean;
}

function positive(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && !(Number.isInteger(value) && value > 0))
    throw new Error(`--${name} must be a positive integer, got ${value}`);
  return value;
}

/** Resolves the plan of a study from the defaults and the overrides. */
export function resolveAblationPlan(options: AblationOverrides): AblationPlan {
  const study = getStudy(options.study);
  const base = QUICK_ABLATION;
  const seeds = positive('seeds', options.seeds);
  const imageSize = positive('image-size', options.imageSize);
  const variants = study.variants.map((v) =>
    v.se !== false && options.bias === false ? { ...v, se: { ...v.se, bias: false } } : v,
  );
  return {
    study: study.name,
    model: options.model ?? base.model,
    variants,
    seeds: seeds ? Array.from({ length: seeds }, (_, i) => i + 1) : [...base.seeds],
    epochs: positive('epochs', options.epochs) ?? base.epochs,
    batchSize: positive('batch', options.batch) ?? base.batchSize,
    learningRate: options.lr ?? base.learningRate,
    momentum: base.momentum,
    weightDecay: base.weightDecay,
    augment: { ...base.augment },
    trainLimit: positive('train-limit', options.trainLimit) ?? base.trainLimit,
    testLimit: positive('test-limit', options.testLimit) ?? base.testLimit,
    ...(imageSize ? { imageSize } : {}),
  };
}

/** The run spec of one variant and seed. */
export function variantSpec(plan: AblationPlan, variant: AblationVariant, seed: number): RunSpec {
  const {
    study: _study,
    variants: _variants,
    seeds: _seeds,
    trainLimit: _train,
    testLimit: _test,
    ...common
  } = plan;
  return { ...common, se: variant.se, variant: variant.key, seed };
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
export interface AblationSummary {
  study: string;
  table: string;
  title: string;
  note: string;
  model: string;
  /** Key of the row the others are compared with. */
  reference: string;
  dataset: string;
  datasetSource: string;
  trainImages: number;
  testImages: number;
  inputShape: number[];
  backend: string;
  /** The device the backend ran on, in words. */
  device: string;
  dtype: 'float32';
  plan: AblationPlan;
  rows: AblationRow[];
  runs: RunResult[];
  failures: FailedRun[];
  createdAt: string;
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
    dataset: dataset.name,
    datasetSource: dataset.source,
    trainImages: dataset.train.count,
    testImages: dataset.test.count,
    inputShape,
    backend: runs[0]?.backend ?? tf.getBackend(),
    device: runs[0]?.device ?? 'unknown',
    dtype: 'float32',
    plan,
    rows,
    runs,
    failures,
    createdAt: new Date().toISOString(),
  };
}

const formatInt = (n: number | null) => (n === null ? '—' : n.toLocaleString('en-US'));
const points = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(2) : '—');
const signed = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${points(v)}` : '—');

/** The cells of a study's table: a header row, then one row per variant. */
export function ablationTableCells(summary: AblationSummary): string[][] {
  const reference = summary.rows.find((r) => r.key === summary.reference)?.label ?? 'reference';
  const head = [
    `${summary.table}: ${summary.model}`,
    'top-1 err. (%)',
    `Δ vs ${reference} (pp)`,
    'params',
    'MACs',
    'train img/s',
    'seeds',
  ];
  const rows = summary.rows.map((r) => {
    if (r.error) return [r.label, 'not buildable', '—', '—', '—', '—', '0'];
    const e = r.top1Error;
    const error =
      r.seeds.length === 0
        ? '—'
        : r.seeds.length === 1
          ? points(e.mean)
          : `${points(e.mean)} ± ${points(e.std)}`;
    const d = r.vsReference;
    const delta =
      r.key === summary.reference
        ? 'reference'
        : !d
          ? '—'
          : d.n < 2
            ? signed(d.mean)
            : `${signed(d.mean)} [${signed(d.low)}, ${signed(d.high)}]`;
    return [
      r.label,
      error,
      delta,
      formatInt(r.params),
      formatInt(r.macs),
      Number.isFinite(r.imagesPerSecond) ? r.imagesPerSecond.toFixed(1) : '—',
      String(r.seeds.length),
    ];
  });
  return [head, ...rows];
}

/** The study's table for the terminal. */
export function formatAblationTable(summary: AblationSummary): string {
  const [head = [], ...rows] = ablationTableCells(summary);
  const table = new Table({
    head,
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [], compact: true },
  });
  for (const row of rows) table.push(row);
  return [table.toString(), ...unbuildable(summary)].join('\n');
}

/** One line per row the model could not be built with, and why. */
export function unbuildable(summary: AblationSummary): string[] {
  return summary.rows.flatMap((r) => (r.error ? [`${r.label} not buildable: ${r.error}`] : []));
}

/** The study's table as Markdown (table.md). */
export function ablationMarkdown(summary: AblationSummary): string {
  const [head = [], ...rows] = ablationTableCells(summary);
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    `# ${summary.table} (${summary.title}) — ${summary.model} on ${summary.dataset}`,
    '',
    line(head),
    line(head.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...rows.map(line),
    '',
    ...unbuildable(summary).flatMap((l) => [l, '']),
    `Top-1 error on ${summary.testImages} test images after ${summary.plan.epochs} epochs, mean ± sample std over seeds; Δ paired by seed with a 95 % t-interval. Backend ${summary.backend} (${summary.device}), float32.`,
    '',
    summary.note,
    '',
  ].join('\n');
}

/** Options of {@link ablateCommand}. */
export interface AblateCommandOptions extends AblationOverrides {
  dataset?: string;
  dataDir?: string;
  /** Results directory (default `results/ablate-<study>-<dataset>`). */
  out?: string;
  /** Continue the study in `out`; an error where there is none (a rerun continues anyway). */
  resume?: boolean;
  log?: (line: string) => void;
}

/**
 * `se-zoo ablate --study <name>`: trains every buildable variant of the study for every seed
 * into the results directory (resuming what is there), then writes summary.json, table.md and
 * report.html and prints the table.
 */
export async function ablateCommand(
  options: AblateCommandOptions,
): Promise<{ summary: AblationSummary; dir: string; table: string }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const plan = resolveAblationPlan(options);
  const study = getStudy(plan.study);
  const full = await loadDataset(options.dataset ?? 'fashion-mnist', options.dataDir);
  const dataset = limitDataset(full, plan);
  const dir = options.out ?? join('results', `ablate-${plan.study}-${full.name}`);
  const shape = runInputShape(plan, dataset);
  log(
    `Study ${study.name} (paper ${study.table}: ${study.title}) on ${plan.model}: ${plan.variants.map((v) => v.label).join(', ')}`,
  );
  log(
    `Dataset ${full.name}: ${dataset.train.count} training and ${dataset.test.count} test images of ${shape.join('×')} (${full.source})`,
  );
  const counts = countVariants(plan, dataset);
  for (const count of counts) {
    if ('error' in count)
      log(`Skipping ${count.key}, which ${plan.model} cannot take: ${count.error}`);
  }
  const buildable = new Set(counts.filter((c) => !('error' in c)).map((c) => c.key));
  const specs = ablationRuns(plan).filter((spec) => buildable.has(spec.variant ?? ''));
  log(
    `Backend ${tf.getBackend()}, float32; ${specs.length} runs, seeds ${plan.seeds.join(', ')}, ${plan.epochs} epochs, batch ${plan.batchSize}, peak lr ${plan.learningRate}`,
  );
  log(formatEstimate(await estimateRunSeconds(specs, dataset, (spec) => spec.variant ?? ''), dir));
  await claimResultsDir(dir, 'ablation.json', plan, options.resume);
  const { events, stop } = consoleEvents(log);
  const { results, failures } = await trainSpecs(specs, dataset, dir, events);
  stop();
  const summary = summarizeAblation(plan, dataset, counts, results, failures);
  await writeFileAtomic(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(join(dir, 'table.md'), ablationMarkdown(summary));
  await writeFile(join(dir, 'report.html'), await renderAblationReport(summary));
  const table = formatAblationTable(summary);
  log(table);
  log(`Table: ${join(dir, 'table.md')}; report: ${join(dir, 'report.html')}`);
  return { summary, dir, table };
}
