import { readFile, rename, writeFile } from 'node:fs/promises';
import { readSafetensors, type SafetensorsTensor, toFloat32, writeSafetensors } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import type { SgdMomentum } from './sgd.js';

/** What a checkpoint stores besides tensors: enough to continue the run exactly. */
export interface CheckpointState<M> {
  /** Epochs finished. */
  epoch: number;
  /** Metrics of every finished epoch (the source of truth for metrics.jsonl on resume). */
  history: M[];
}

const MODEL = 'model/';
const VELOCITY = 'velocity/';

/** Writes `data` to `path` through a temporary file and a rename: never a half-written file. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

/**
 * Saves the model's weights (by layer-relative name), the optimizer's velocities and the run
 * state in one safetensors file, atomically.
 */
export async function saveCheckpoint<M>(
  path: string,
  model: tf.LayersModel,
  optimizer: SgdMomentum,
  state: CheckpointState<M>,
): Promise<void> {
  const tensors = new Map<string, SafetensorsTensor>();
  // Asynchronous reads: WebGPU in Node cannot read a tensor synchronously.
  const add = async (key: string, tensor: tf.Tensor) =>
    tensors.set(key, {
      dtype: 'F32',
      shape: tensor.shape,
      data: Float32Array.from(await tensor.data()),
    });
  for (const weight of model.weights) await add(`${MODEL}${weight.originalName}`, weight.read());
  for (const [name, velocity] of optimizer.state()) await add(`${VELOCITY}${name}`, velocity);
  await writeFileAtomic(path, writeSafetensors(tensors, { state: JSON.stringify(state) }));
}

/** Restores a checkpoint written by {@link saveCheckpoint} into `model` and `optimizer`. */
export async function loadCheckpoint<M>(
  path: string,
  model: tf.LayersModel,
  optimizer: SgdMomentum,
): Promise<CheckpointState<M>> {
  const file = readSafetensors(await readFile(path));
  const velocities = new Map<string, tf.Tensor>();
  const byName = new Map(model.weights.map((w) => [w.originalName, w]));
  for (const [key, raw] of file.tensors) {
    const values = tf.tensor(toFloat32(raw), raw.shape, 'float32');
    if (key.startsWith(MODEL)) {
      const weight = byName.get(key.slice(MODEL.length));
      if (!weight)
        throw new Error(`${path}: checkpoint weight ${key} does not belong to this model`);
      weight.write(values);
      values.dispose();
      byName.delete(key.slice(MODEL.length));
    } else if (key.startsWith(VELOCITY)) {
      velocities.set(key.slice(VELOCITY.length), values);
    }
  }
  if (byName.size > 0) {
    throw new Error(
      `${path}: checkpoint lacks ${byName.size} weight(s) of this model, e.g. ${[...byName.keys()][0]}`,
    );
  }
  optimizer.restore(velocities);
  for (const v of velocities.values()) v.dispose();
  const state = file.metadata.state;
  if (!state) throw new Error(`${path}: checkpoint has no run state`);
  return JSON.parse(state) as CheckpointState<M>;
}
