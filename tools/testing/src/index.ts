// Test helpers the family packages share: reference key lists, parity fixtures and bit-exact
// comparison. A private workspace package (`@se/testing`), a devDependency of the tests only.
import { readFile } from 'node:fs/promises';
import { loadPyTorchWeights, readSafetensors, toFloat32, torchStateDictMapping } from '@se/core';
import * as tf from '@tensorflow/tfjs';

/** A `state_dict` entry: key and PyTorch shape. */
export type StateDictKey = [string, number[]];

/** The `tensors` list of a keys fixture (`keys/NAME.json`, see the fixtures' README). */
export async function readKeysFixture(url: URL): Promise<StateDictKey[]> {
  const json = JSON.parse(await readFile(url, 'utf8')) as { tensors: StateDictKey[] };
  return json.tensors;
}

/** Our model's `state_dict` keys and PyTorch shapes, in layer order. */
export function stateDictKeys(model: tf.LayersModel): StateDictKey[] {
  return torchStateDictMapping(model).map((m) => [m.key, m.torchShape]);
}

/** Entries sorted by key, to compare two lists whatever their order. */
export function sortByKey(entries: StateDictKey[]): StateDictKey[] {
  return [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Bit-for-bit equality of two float tensors (fast on millions of values). */
export function sameBits(a: tf.Tensor, b: tf.Tensor | undefined): boolean {
  if (!b || a.size !== b.size) return false;
  const x = a.dataSync() as Float32Array;
  const y = b.dataSync() as Float32Array;
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(
    Buffer.from(y.buffer, y.byteOffset, y.byteLength),
  );
}

/**
 * Loads a parity fixture's weights into `model` (every key used, none missing), runs it on the
 * fixture's NCHW `__input__` and returns the max |ours − timm| over `__output__`.
 */
export async function parityError(url: URL, model: tf.LayersModel): Promise<number> {
  const file = readSafetensors(await readFile(url));
  const input = file.tensors.get('__input__');
  const output = file.tensors.get('__output__');
  if (!input || !output) throw new Error(`${url.pathname} lacks __input__/__output__`);
  const result = loadPyTorchWeights(model, file.tensors, { ignore: (key) => key.startsWith('__') });
  if (result.missing.length > 0 || result.unexpected.length > 0) {
    throw new Error(
      `${url.pathname}: missing ${result.missing.join(', ') || 'none'}; unexpected ${result.unexpected.join(', ') || 'none'}`,
    );
  }
  return tf.tidy(() => {
    const x = tf.transpose(tf.tensor(toFloat32(input), input.shape), [0, 2, 3, 1]);
    const y = tf.transpose(model.predict(x) as tf.Tensor, [0, 3, 1, 2]);
    const expected = tf.tensor(toFloat32(output), output.shape);
    return tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0] ?? Number.POSITIVE_INFINITY;
  });
}

export {
  type HubServer,
  type HubServerFault,
  type HubServerFileOptions,
  type HubServerRequest,
  startHubServer,
} from './hub-server.js';
