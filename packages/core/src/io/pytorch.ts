import * as tf from '@tensorflow/tfjs';
import {
  batchNormWeights,
  HWIO_TO_OIHW,
  kernelAndBias,
  optionalBias,
  TRANSPOSE_2D,
  weightIndex,
} from '../layers/torch-weights.js';
import { type MapsTorchWeights, mapsTorchWeights, type TorchWeightSpec } from '../layers/types.js';
import {
  type RawTensor,
  readSafetensors,
  type SafetensorsTensor,
  toFloat32,
  writeSafetensors,
} from './safetensors.js';

/**
 * One PyTorch `state_dict` tensor and where it lives in a tfjs model. SE Zoo names every layer
 * with its PyTorch module path (`layer1.0.conv1`); the layer says which tensors it holds
 * ({@link MapsTorchWeights}, or a table for tfjs's built-in layers).
 */
export interface TorchTensorMapping {
  /** `state_dict` key, e.g. `layer1.0.conv1.weight`. */
  key: string;
  /** Shape in PyTorch's layout (`[out, in/groups, kh, kw]` for a convolution). */
  torchShape: number[];
  /** The tfjs layer holding the tensor (named by its PyTorch module path). */
  layer: tf.layers.Layer;
  /** Index into `layer.weights`; null for `num_batches_tracked`, which tfjs does not keep. */
  weightIndex: number | null;
  /** Permutation from the tfjs layout to PyTorch's (null: same layout). */
  toTorch: number[] | null;
}

/**
 * tfjs's built-in layers, which cannot implement {@link MapsTorchWeights}, by class name. SE Zoo's
 * own layers (and a family's) describe their tensors themselves.
 */
const BUILT_IN_LAYERS: Readonly<Record<string, (layer: tf.layers.Layer) => TorchWeightSpec[]>> = {
  Conv2D: (layer) => kernelAndBias(layer, HWIO_TO_OIHW),
  DepthwiseConv2D: (layer) => {
    // tfjs [kh, kw, C, m] ↔ PyTorch [C·m, 1, kh, kw] (output channel c·m + j).
    const kernel = weightIndex(layer, 'depthwise_kernel');
    const [kh = 0, kw = 0, c = 0, m = 0] = (layer.weights[kernel]?.shape ?? []) as number[];
    return [
      { suffix: 'weight', weightIndex: kernel, toTorch: null, torchShape: [c * m, 1, kh, kw] },
      ...optionalBias(layer),
    ];
  },
  Dense: (layer) => kernelAndBias(layer, TRANSPOSE_2D),
  BatchNormalization: batchNormWeights,
};

/** The PyTorch tensors of one layer. */
function layerMappings(layer: tf.layers.Layer): TorchTensorMapping[] {
  const className = layer.getClassName();
  const builtIn = Object.hasOwn(BUILT_IN_LAYERS, className)
    ? BUILT_IN_LAYERS[className]
    : undefined;
  const specs = mapsTorchWeights(layer) ? layer.torchWeights() : builtIn?.(layer);
  if (!specs) {
    if (layer.weights.length === 0) return [];
    throw new Error(
      `No PyTorch mapping for layer '${layer.name}' of class ${className}: it has weights but ` +
        'neither implements MapsTorchWeights (torchWeights()) nor is a mapped tfjs layer ' +
        `(${Object.keys(BUILT_IN_LAYERS).join(', ')})`,
    );
  }
  return specs.map(({ suffix, weightIndex: index, toTorch, torchShape }) => {
    const key = `${layer.name}.${suffix}`;
    if (index !== null && !layer.weights[index]) {
      throw new Error(`Layer '${layer.name}' (${className}) lacks a weight for ${key}`);
    }
    const shape = (index === null ? [] : (layer.weights[index]?.shape ?? [])) as number[];
    return {
      key,
      torchShape: torchShape ?? (toTorch ? toTorch.map((axis) => shape[axis] ?? 0) : shape),
      layer,
      weightIndex: index,
      toTorch,
    };
  });
}

/**
 * The PyTorch `state_dict` of `model`, as keys, shapes and where each lives. For SE Zoo's
 * models the keys equal timm's (or the Caffe/Cadene port's for `legacy_*` models).
 *
 * @throws Error for a layer with weights that neither implements {@link MapsTorchWeights} nor is
 * one of tfjs's mapped built-in layers (Conv2D, DepthwiseConv2D, Dense, BatchNormalization).
 *
 * @example
 * ```ts
 * import '@se/resnet';
 * import { createModel, torchStateDictMapping } from '@se/core';
 *
 * const mapping = torchStateDictMapping(createModel('seresnet18'));
 * mapping[0]?.key; // 'conv1.weight', torchShape [64, 3, 7, 7]
 * ```
 */
export function torchStateDictMapping(model: tf.LayersModel): TorchTensorMapping[] {
  return model.layers.flatMap(layerMappings);
}

/** Options of {@link loadPyTorchWeights}. */
export interface LoadPyTorchWeightsOptions {
  /**
   * Refuse any missing, unexpected or wrongly shaped tensor (default true). With `false`,
   * shape errors still throw, and the result lists what was missing and unexpected.
   */
  strict?: boolean;
  /** Keys of the file to skip entirely (e.g. a classifier you are replacing). */
  ignore?: (key: string) => boolean;
}

/** What {@link loadPyTorchWeights} did. */
export interface LoadPyTorchWeightsResult {
  /** `state_dict` keys assigned to the model. */
  loaded: string[];
  /** Keys the model needs that the file lacks (always empty with `strict`). */
  missing: string[];
  /** Keys of the file the model does not have (always empty with `strict`). */
  unexpected: string[];
}

function describeKeys(keys: string[]): string {
  const shown = keys.slice(0, 10).join(', ');
  return keys.length > 10 ? `${shown} … (${keys.length} in all)` : shown;
}

/**
 * Loads a timm/PyTorch `state_dict` saved as safetensors into an SE Zoo model: convolution
 * kernels OIHW → HWIO, linear weights [out, in] → [in, out], BatchNorm running statistics into
 * the moving statistics. A missing, unexpected or wrongly shaped tensor is an error that names
 * it; nothing is assigned unless every check passes.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import '@se/resnet';
 * import { createModel, loadPyTorchWeights } from '@se/core';
 *
 * const model = createModel('seresnet50', { classifierActivation: 'linear' });
 * loadPyTorchWeights(model, await readFile('seresnet50.safetensors'));
 * ```
 */
export function loadPyTorchWeights(
  model: tf.LayersModel,
  file: Uint8Array | ArrayBuffer | Map<string, RawTensor>,
  options: LoadPyTorchWeightsOptions = {},
): LoadPyTorchWeightsResult {
  const strict = options.strict ?? true;
  const source = file instanceof Map ? file : readSafetensors(file).tensors;
  const tensors = new Map([...source].filter(([key]) => !options.ignore?.(key)));
  const mapping = torchStateDictMapping(model);
  const expected = new Set(mapping.map((m) => m.key));
  const missing = mapping
    .filter((m) => m.weightIndex !== null && !tensors.has(m.key))
    .map((m) => m.key);
  const unexpected = [...tensors.keys()].filter((key) => !expected.has(key));
  const wrongShape = mapping.flatMap((m) => {
    const t = tensors.get(m.key);
    if (!t || m.weightIndex === null || sameShape(t.shape, m.torchShape)) return [];
    return [`${m.key}: file has [${t.shape.join(', ')}], model needs [${m.torchShape.join(', ')}]`];
  });
  if (wrongShape.length > 0) {
    throw new Error(`PyTorch weights do not fit the model: ${wrongShape.slice(0, 10).join('; ')}`);
  }
  if (strict && missing.length > 0) {
    throw new Error(
      `PyTorch weights are missing ${missing.length} tensor(s) the model needs: ${describeKeys(missing)}`,
    );
  }
  if (strict && unexpected.length > 0) {
    throw new Error(
      `PyTorch weights have ${unexpected.length} tensor(s) the model does not: ${describeKeys(unexpected)}`,
    );
  }
  const loaded: string[] = [];
  const byLayer = new Map<tf.layers.Layer, tf.Tensor[]>();
  tf.tidy(() => {
    for (const m of mapping) {
      const t = tensors.get(m.key);
      if (!t || m.weightIndex === null) continue;
      const values = byLayer.get(m.layer) ?? m.layer.getWeights();
      const target = values[m.weightIndex] as tf.Tensor;
      const data = toFloat32(t);
      const values32 = m.toTorch ? permuteAxes(data, t.shape, inversePermutation(m.toTorch)) : data;
      values[m.weightIndex] = tf.tensor(values32, target.shape, 'float32');
      byLayer.set(m.layer, values);
      loaded.push(m.key);
    }
    for (const [layer, values] of byLayer) layer.setWeights(values);
  });
  return { loaded, missing, unexpected };
}

/**
 * The model's weights as a timm-compatible `state_dict` in safetensors bytes (fp32; BatchNorm
 * `num_batches_tracked` as int64 0), which `timm.create_model(name)` loads with
 * `load_state_dict(safetensors.torch.load_file(path))`. Importing it again is bit-identical.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * import '@se/resnet';
 * import { createModel, exportPyTorchWeights } from '@se/core';
 *
 * await writeFile('seresnet50.safetensors', exportPyTorchWeights(createModel('seresnet50')));
 * ```
 */
export function exportPyTorchWeights(
  model: tf.LayersModel,
  metadata: Record<string, string> = {},
): Uint8Array {
  return exportWith(model, metadata, (weight) => weight.dataSync() as Float32Array);
}

/**
 * {@link exportPyTorchWeights} with asynchronous reads of the weights, for backends that cannot
 * read a tensor synchronously (WebGPU in Node); the same bytes.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * import '@se/resnet';
 * import { createModel, exportPyTorchWeightsAsync } from '@se/core';
 *
 * const bytes = await exportPyTorchWeightsAsync(createModel('seresnet50'));
 * await writeFile('seresnet50.safetensors', bytes);
 * ```
 */
export async function exportPyTorchWeightsAsync(
  model: tf.LayersModel,
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  const values = new Map<tf.Tensor, Float32Array>();
  for (const weight of model.weights) {
    const tensor = weight.read();
    values.set(tensor, (await tensor.data()) as Float32Array);
  }
  return exportWith(
    model,
    metadata,
    (weight) => values.get(weight) ?? (weight.dataSync() as Float32Array),
  );
}

/** The safetensors bytes of the model's state_dict, each weight's values given by `read`. */
function exportWith(
  model: tf.LayersModel,
  metadata: Record<string, string>,
  read: (weight: tf.Tensor) => Float32Array,
): Uint8Array {
  const tensors = new Map<string, SafetensorsTensor>();
  const weightsByLayer = new Map<tf.layers.Layer, tf.Tensor[]>();
  for (const m of torchStateDictMapping(model)) {
    if (m.weightIndex === null) {
      tensors.set(m.key, { dtype: 'I64', shape: [], data: new BigInt64Array(1) });
      continue;
    }
    const weights = weightsByLayer.get(m.layer) ?? m.layer.getWeights();
    weightsByLayer.set(m.layer, weights);
    const weight = weights[m.weightIndex] as tf.Tensor;
    const values = read(weight);
    const data = m.toTorch
      ? permuteAxes(values, weight.shape, m.toTorch)
      : Float32Array.from(values);
    tensors.set(m.key, { dtype: 'F32', shape: m.torchShape, data });
  }
  return writeSafetensors(tensors, { format: 'pt', ...metadata });
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Permutes the axes of a row-major array: `out[i_perm[0], …] = data[i_0, …]` with the output's
 * axis k being the input's axis `permutation[k]`. Plain JS on the host — tfjs's CPU transpose
 * is orders of magnitude slower for whole checkpoints.
 *
 * @example
 * ```ts
 * import { permuteAxes } from '@se/core';
 *
 * // A 2×3 matrix transposed to 3×2.
 * permuteAxes(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], [1, 0]); // [1, 4, 2, 5, 3, 6]
 * ```
 */
export function permuteAxes(
  data: Float32Array,
  shape: readonly number[],
  permutation: readonly number[],
): Float32Array {
  const rank = shape.length;
  const inStrides = new Array<number>(rank).fill(1);
  for (let k = rank - 2; k >= 0; k--) inStrides[k] = (inStrides[k + 1] ?? 1) * (shape[k + 1] ?? 1);
  const outShape = permutation.map((axis) => shape[axis] ?? 1);
  // Stride in the input for a step along each output axis.
  const steps = permutation.map((axis) => inStrides[axis] ?? 0);
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = data[source] ?? 0;
    for (let k = rank - 1; k >= 0; k--) {
      const next = (index[k] ?? 0) + 1;
      if (next < (outShape[k] ?? 1)) {
        index[k] = next;
        source += steps[k] ?? 0;
        break;
      }
      index[k] = 0;
      source -= (steps[k] ?? 0) * ((outShape[k] ?? 1) - 1);
    }
  }
  return out;
}

function inversePermutation(permutation: number[]): number[] {
  const inverse = new Array<number>(permutation.length);
  for (const [i, axis] of permutation.entries()) inverse[axis] = i;
  return inverse;
}
