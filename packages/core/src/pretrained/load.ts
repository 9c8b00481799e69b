/**
 * Pretrained models as every zoo has them: `loadModel('seresnet50.a1_in1k')` builds the network,
 * fetches timm's weights from the Hugging Face Hub (cached), and returns it with its pretrained
 * configuration; `classify` runs timm's eval preprocessing and names the ImageNet classes.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { loadPyTorchWeights, torchStateDictMapping } from '../io/pytorch.js';
import { type RawTensor, readSafetensors } from '../io/safetensors.js';
import type { ModelOptions } from '../models.js';
import { createModel } from '../registry.js';
import { findPretrained, type PretrainedConfig } from './configs.js';
import { type HubFileOptions, hubFile } from './hub.js';
import { IMAGENET_CLASSES } from './imagenet-classes.js';
import { type ImageInput, preprocess } from './preprocess.js';

/** The file of a timm Hub repository that holds the weights. */
export const WEIGHTS_FILE = 'model.safetensors';

/** Options of {@link loadModel}: the model's (Keras-Applications-style) and where to fetch. */
export interface LoadModelOptions extends Omit<ModelOptions, 'weights'> {
  /**
   * Load the pretrained weights (default `true`); `false` gives the same architecture, randomly
   * initialised, with its configuration.
   */
  pretrained?: boolean;
  /** How to fetch and cache the weights: endpoint, cache, offline, progress. */
  hub?: Omit<HubFileOptions, 'verify' | 'model'>;
}

/** A model with its pretrained configuration (preprocessing, labels, source). */
export interface LoadedModel {
  /** The network, with the pretrained weights (and a fresh head for another `classes`). */
  model: tf.LayersModel;
  /** Its pretrained configuration: preprocessing, source, timm's accuracy. */
  config: PretrainedConfig;
}

/**
 * The pretrained configuration of `name` (`seresnet50`, its default tag, or `seresnet50.a1_in1k`):
 * input size, interpolation, crop, mean and std as timm states them.
 *
 * @example
 * ```ts
 * import { pretrainedConfig } from '@se/core';
 *
 * pretrainedConfig('seresnet50').name; // 'seresnet50.a1_in1k', timm's default
 * ```
 */
export function pretrainedConfig(name: string): PretrainedConfig {
  return findPretrained(name);
}

const AUXILIARY = /^AuxLogits\./;

/** The classifier: the last layer with weights (a softmax, when there is one, comes after it). */
function classifierOf(model: tf.LayersModel): tf.layers.Layer | undefined {
  return [...model.layers].reverse().find((layer) => layer.weights.length > 0);
}

/**
 * Builds a registered model and loads timm's pretrained weights for it from the Hugging Face
 * Hub (`timm/<model>.<tag>`, cached; see {@link hubFile}). `name` is `<model>` (timm's default
 * tag) or `<model>.<tag>`. The input size is the configuration's unless `inputShape` says
 * otherwise; another `classes` (or `includeTop: false`) keeps the backbone's weights and gives a
 * freshly initialised head, for fine-tuning (timm's `num_classes`).
 *
 * @example
 * ```ts
 * import '@se/resnet';
 * import { loadModel } from '@se/core';
 *
 * const { model, config } = await loadModel('seresnet50.a1_in1k');
 * const tuned = await loadModel('seresnet50', { classes: 10 }); // new 10-class head
 * ```
 */
export async function loadModel(
  name: string,
  options: LoadModelOptions = {},
): Promise<LoadedModel> {
  const config = findPretrained(name);
  const { pretrained = true, hub = {}, ...modelOptions } = options;
  const [channels, height, width] = config.inputSize;
  const model = createModel(config.model, {
    inputShape: [height, width, channels],
    ...modelOptions,
  });
  if (!pretrained) return { model, config };
  try {
    if (config.hubRepo === null) {
      throw new ConfigError(
        'pretrained',
        config.name,
        `a checkpoint on the Hugging Face Hub: timm publishes ${config.name} only as a PyTorch pickle (${config.url ?? 'no URL'}), which SE Zoo cannot read; convert it to safetensors with timm and load it with loadPyTorchWeights or \`se-zoo convert\``,
      );
    }
    const newHead =
      modelOptions.includeTop === false ||
      (modelOptions.classes !== undefined && modelOptions.classes !== config.numClasses);
    // The file is parsed and checked once, by the verify hook (which hubFile runs for a download
    // and for a cached file alike); the load then assigns what the check kept.
    const checked: { tensors?: Map<string, RawTensor>; skip: Set<string> } = { skip: new Set() };
    const verify = (bytes: Uint8Array) => {
      const { tensors } = readSafetensors(bytes);
      checked.skip = checkStateDict(model, tensors, newHead);
      checked.tensors = tensors;
    };
    const bytes = await hubFile(config.hubRepo, WEIGHTS_FILE, {
      ...hub,
      verify,
      model: config.model,
    });
    if (!checked.tensors) verify(bytes);
    const { skip } = checked;
    loadPyTorchWeights(model, checked.tensors ?? bytes, {
      ignore: (key) => skip.has(key),
      strict: !newHead,
    });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, config };
}

/**
 * Checks a state_dict against the model before anything is assigned: every tensor the model needs
 * is there with its shape, except the classifier when `newHead` (another `classes`, or no top),
 * which keeps its fresh initialisation; throws naming every missing, unexpected or misshapen
 * tensor. Returns the keys of the file to skip.
 */
function checkStateDict(
  model: tf.LayersModel,
  tensors: Map<string, RawTensor>,
  newHead: boolean,
): Set<string> {
  const output = classifierOf(model);
  const all = torchStateDictMapping(model);
  // `num_batches_tracked` has no tfjs weight: the file may hold it, the model needs none.
  const mapping = all.filter((m) => m.weightIndex !== null);
  const expected = new Map(mapping.map((m) => [m.key, m]));
  const skip = new Set<string>();
  for (const [key, tensor] of tensors) {
    if (AUXILIARY.test(key)) skip.add(key);
    const m = expected.get(key);
    const fits = m !== undefined && m.torchShape.join() === tensor.shape.join();
    // With a new head, the file's classifier is left out: the model has none, or another shape.
    if (newHead && !fits && (m === undefined || m.layer === output)) skip.add(key);
  }
  const missing = mapping.filter((m) =>
    !tensors.has(m.key) || skip.has(m.key) ? !(newHead && m.layer === output) : false,
  );
  const wanted = new Set(all.map((m) => m.key));
  const unexpected = [...tensors.keys()].filter((k) => !skip.has(k) && !wanted.has(k));
  const misshapen = mapping.filter((m) => {
    const t = tensors.get(m.key);
    return t !== undefined && !skip.has(m.key) && t.shape.join() !== m.torchShape.join();
  });
  const problems = [
    missing.length > 0
      ? `lacks ${missing
          .map((m) => m.key)
          .slice(0, 5)
          .join(', ')}${missing.length > 5 ? ` … (${missing.length})` : ''}`
      : '',
    unexpected.length > 0
      ? `has keys the model lacks: ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ` … (${unexpected.length})` : ''}`
      : '',
    misshapen.length > 0
      ? `has other shapes for ${misshapen
          .map((m) => `${m.key} [${tensors.get(m.key)?.shape}] (model [${m.torchShape}])`)
          .slice(0, 3)
          .join(', ')}`
      : '',
  ].filter((p) => p !== '');
  if (problems.length > 0) {
    throw new Error(`the weights do not fit ${model.name}: the file ${problems.join('; ')}`);
  }
  return skip;
}

/** One class of a prediction. */
export interface ClassProbability {
  /** Class index (ImageNet-1k: 0–999). */
  index: number;
  /** Class name (`IMAGENET_CLASSES`), or `class <index>` beyond the list. */
  label: string;
  /** The class's probability (softmax of the logits). */
  probability: number;
}

/**
 * The `topK` most probable classes of each row of `probabilities` (`[n, classes]`, e.g. a
 * model's softmax output), most probable first, with ImageNet-1k labels (Keras's
 * `decode_predictions`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { decodePredictions } from '@se/core';
 *
 * const [top] = await decodePredictions(tf.oneHot([1], 1000).toFloat(), 1);
 * top?.[0]?.label; // 'goldfish'
 * ```
 */
export async function decodePredictions(
  probabilities: tf.Tensor,
  topK = 5,
  labels: readonly string[] = IMAGENET_CLASSES,
): Promise<ClassProbability[][]> {
  if (probabilities.rank !== 2) {
    throw new ConfigError('probabilities', probabilities.shape, 'a [n, classes] tensor');
  }
  const k = Math.min(topK, probabilities.shape[1] ?? 0);
  const { values, indices } = tf.topk(probabilities, k);
  try {
    const [p, i] = await Promise.all([values.array(), indices.array()]);
    return (i as number[][]).map((row, n) =>
      row.map((index, j) => ({
        index,
        label: labels[index] ?? `class ${index}`,
        probability: (p as number[][])[n]?.[j] ?? Number.NaN,
      })),
    );
  } finally {
    tf.dispose([values, indices]);
  }
}

/** Options of {@link classify}. */
export interface ClassifyOptions {
  /** How many classes per image (default 5). */
  topK?: number;
}

/**
 * Classifies images with a pretrained model: timm's eval preprocessing from the model's
 * configuration, then the `topK` classes of each image with their probabilities.
 *
 * @example
 * ```ts
 * import '@se/resnet';
 * import { classify, loadModel } from '@se/core';
 *
 * const loaded = await loadModel('seresnet50.a1_in1k');
 * const [top5] = await classify(loaded, 'cat.jpg', { topK: 5 });
 * ```
 */
export async function classify(
  loaded: LoadedModel,
  images: ImageInput | ImageInput[],
  options: ClassifyOptions = {},
): Promise<ClassProbability[][]> {
  const { model, config } = loaded;
  const [, height, width] = model.inputs[0]?.shape ?? [];
  const [c] = config.inputSize;
  const input = await preprocess(images, {
    ...config,
    inputSize: [c, height ?? config.inputSize[1], width ?? config.inputSize[2]],
  });
  // Models built with logits out (`classifierActivation: 'linear'`) get their softmax here.
  const last = model.layers[model.layers.length - 1];
  const softmaxed =
    last !== undefined && (last.getConfig() as { activation?: unknown }).activation === 'softmax';
  const probabilities = tf.tidy(() => {
    const output = model.predict(input) as tf.Tensor2D;
    return softmaxed ? output : tf.softmax(output);
  });
  input.dispose();
  try {
    return await decodePredictions(probabilities, options.topK ?? 5);
  } finally {
    probabilities.dispose();
  }
}
