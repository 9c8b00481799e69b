import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { readSafetensors, type SafetensorsTensor, toFloat32, writeSafetensors } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { DamagedFileError, writeFileAtomic } from '../files.js';
import type { TrainingOptimizer } from './optimizers.js';

/** What a checkpoint stores besides tensors: enough to continue the run exactly. */
export interface CheckpointState<M> {
  /** Epochs finished. */
  epoch: number;
  /** Metrics of every finished epoch (the source of truth for metrics.jsonl on resume). */
  history: M[];
}

const MODEL = 'model/';
const OPTIMIZER = 'optimizer/';

/** The checkpoint before the latest one: where a run resumes when the latest is damaged. */
export function previousCheckpointPath(path: string): string {
  return path.replace(/\.safetensors$/, '.previous.safetensors');
}

/** SHA-256 over every tensor's name, shape and bytes, and the run state, in file order. */
function checksum(
  tensors: Iterable<[string, { shape: readonly number[]; bytes: Uint8Array }]>,
  state: string,
): string {
  const hash = createHash('sha256');
  for (const [name, { shape, bytes }] of tensors)
    hash.update(`${name}[${shape.join(',')}]`).update(bytes);
  return hash.update(state).digest('hex');
}

/**
 * Saves the model's weights (by layer-relative name), the optimizer's state and the run state in
 * one safetensors file with a checksum, atomically; the checkpoint it replaces is kept as
 * {@link previousCheckpointPath}.
 */
export async function saveCheckpoint<M>(
  path: string,
  model: tf.LayersModel,
  optimizer: TrainingOptimizer,
  state: CheckpointState<M>,
): Promise<void> {
  const tensors = new Map<string, SafetensorsTensor & { bytes: Uint8Array }>();
  // Asynchronous reads: WebGPU in Node cannot read a tensor synchronously.
  const add = async (key: string, tensor: tf.Tensor) => {
    const data = Float32Array.from(await tensor.data());
    tensors.set(key, {
      dtype: 'F32',
      shape: tensor.shape,
      data,
      bytes: new Uint8Array(data.buffer),
    });
  };
  for (const weight of model.weights) await add(`${MODEL}${weight.originalName}`, weight.read());
  for (const [name, slot] of optimizer.state()) await add(`${OPTIMIZER}${name}`, slot);
  const json = JSON.stringify(state);
  const bytes = writeSafetensors(tensors, { state: json, sha256: checksum(tensors, json) });
  if (existsSync(path)) await rename(path, previousCheckpointPath(path));
  await writeFileAtomic(path, bytes);
}

/** A checkpoint read and verified, not yet applied to a model. */
export interface VerifiedCheckpoint<M> {
  path: string;
  state: CheckpointState<M>;
  tensors: ReturnType<typeof readSafetensors>['tensors'];
}

/**
 * Reads a checkpoint and checks its checksum; a file that cannot be parsed or whose content does
 * not match is a {@link DamagedFileError} ending with `advice`.
 */
export async function readCheckpoint<M>(
  path: string,
  advice: string,
): Promise<VerifiedCheckpoint<M>> {
  let file: ReturnType<typeof readSafetensors>;
  try {
    file = readSafetensors(await readFile(path));
  } catch (error) {
    throw new DamagedFileError(path, (error as Error).message, advice);
  }
  const { state, sha256 } = file.metadata;
  if (state === undefined || sha256 === undefined) {
    throw new DamagedFileError(
      path,
      'it is not an se-zoo checkpoint (no run state or checksum)',
      advice,
    );
  }
  if (checksum(file.tensors, state) !== sha256) {
    throw new DamagedFileError(path, 'its SHA-256 checksum does not match its content', advice);
  }
  try {
    return { path, state: JSON.parse(state) as CheckpointState<M>, tensors: file.tensors };
  } catch (error) {
    throw new DamagedFileError(
      path,
      `its run state is not JSON: ${(error as Error).message}`,
      advice,
    );
  }
}

/** Writes a verified checkpoint's weights into `model` and its state into `optimizer`. */
export function applyCheckpoint<M>(
  checkpoint: VerifiedCheckpoint<M>,
  model: tf.LayersModel,
  optimizer?: TrainingOptimizer,
): CheckpointState<M> {
  const { path, tensors } = checkpoint;
  const byName = new Map(model.weights.map((w) => [w.originalName, w]));
  for (const key of tensors.keys()) {
    if (key.startsWith(MODEL) && !byName.has(key.slice(MODEL.length)))
      throw new Error(`${path}: checkpoint weight ${key} does not belong to this model`);
  }
  const missing = [...byName.keys()].filter((name) => !tensors.has(`${MODEL}${name}`));
  if (missing.length > 0) {
    throw new Error(
      `${path}: checkpoint lacks ${missing.length} weight(s) of this model, e.g. ${missing[0]}`,
    );
  }
  const slots = new Map<string, tf.Tensor>();
  for (const [key, raw] of tensors) {
    const values = tf.tensor(toFloat32(raw), raw.shape, 'float32');
    if (key.startsWith(MODEL)) {
      const weight = byName.get(key.slice(MODEL.length));
      if (weight && weight.shape.join() !== raw.shape.join()) {
        values.dispose();
        throw new Error(
          `${path}: checkpoint weight ${key} has shape [${raw.shape}], the model's [${weight.shape}]`,
        );
      }
      weight?.write(values);
      values.dispose();
    } else if (key.startsWith(OPTIMIZER)) {
      slots.set(key.slice(OPTIMIZER.length), values);
    } else {
      values.dispose();
    }
  }
  if (optimizer) optimizer.restore(slots);
  for (const s of slots.values()) s.dispose();
  return checkpoint.state;
}
