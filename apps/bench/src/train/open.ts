/** Re-opening a finished or checkpointed run, for `eval` and `excitations`. */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset.js';
import { loadDataset } from '../data/sources.js';
import { CliError } from '../errors.js';
import { readJsonFile } from '../files.js';
import { applyCheckpoint, readCheckpoint } from './checkpoint.js';
import type { DataIdentity, RunIdentity, RunSpec } from './run.js';
import { buildRunModel, RUN_FILES } from './trainer.js';

/** A run directory re-opened: its spec, its dataset and its model with the checkpoint loaded. */
export interface OpenedRun {
  /** The run directory. */
  dir: string;
  spec: RunSpec;
  /** The data the run trained and tested on (the dataset cut to the run's limits). */
  data: DataIdentity;
  /** The run's dataset, whole (not cut to the run's limits). */
  dataset: Dataset;
  /** The model with the checkpoint's weights; the caller disposes it. */
  model: tf.LayersModel;
}

/**
 * Re-opens a run written by `se-zoo train`, `bench` or `ablate`: `path` is its directory or its
 * checkpoint. The data must be the run's: another image size or class count is an error that
 * names both.
 */
export async function openRun(path: string, dataDir?: string): Promise<OpenedRun> {
  const dir = path.endsWith('.safetensors') ? dirname(path) : path;
  const identityPath = join(dir, RUN_FILES.identity);
  if (!existsSync(identityPath)) {
    throw new CliError(
      `${dir} is not a run directory of this se-zoo (no ${RUN_FILES.identity}); give the directory of a run of train, bench or ablate`,
    );
  }
  const advice = `rerun the command that trained ${basename(dir)} with --overwrite`;
  const { spec, data } = await readJsonFile<RunIdentity>(identityPath, advice);
  const dataset = await loadDataset(data.name, dataDir);
  const { height, width, channels } = dataset.train;
  if (
    [height, width, channels].join() !== data.imageShape.join() ||
    dataset.classes !== data.classes
  ) {
    throw new CliError(
      `${dataset.source} holds ${height}×${width}×${channels} images of ${dataset.classes} classes, but ${dir} was trained on ${data.imageShape.join('×')} images of ${data.classes} classes of ${data.name}; give --data-dir the run's data`,
    );
  }
  const checkpointPath = join(dir, RUN_FILES.checkpoint);
  if (!existsSync(checkpointPath)) {
    throw new CliError(
      `${dir} has no checkpoint yet (${RUN_FILES.checkpoint}): train at least one epoch`,
    );
  }
  const checkpoint = await readCheckpoint(
    checkpointPath,
    'rerun the same train or bench command: it redoes the damaged epoch from the checkpoint before it',
  );
  const model = buildRunModel(spec, dataset);
  try {
    applyCheckpoint(checkpoint, model);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { dir, spec, data, dataset, model };
}
