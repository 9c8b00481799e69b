/** `se-zoo convert`: a timm safetensors checkpoint → a tfjs model directory. */
import '../zoo.js';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  createModel,
  fileSystem,
  getModelInfo,
  loadPyTorchWeights,
  modelName,
  readSafetensors,
} from '@se/core';
import { CliError } from '../errors.js';
import { checkNumbers } from './options.js';

/**
 * Reads `file` as a timm state_dict: a file that is not safetensors, or an se-zoo checkpoint (of
 * train, bench or ablate), is an error that says so.
 */
async function readStateDict(file: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new CliError(`${file}: ${(error as Error).message}`);
  }
  let keys: string[];
  let metadata: Record<string, string>;
  try {
    const parsed = readSafetensors(bytes);
    keys = [...parsed.tensors.keys()];
    metadata = parsed.metadata;
  } catch (error) {
    throw new CliError(`${file} is not a safetensors file: ${(error as Error).message}`);
  }
  if (metadata.state !== undefined && keys.some((k) => k.startsWith('model/'))) {
    throw new CliError(
      `${file} is an se-zoo training checkpoint (of train, bench or ablate), not a timm state_dict: evaluate it with \`se-zoo eval <run-dir>\`; convert takes the state_dict timm saves (safetensors.torch.save_file(model.state_dict(), …))`,
    );
  }
  return bytes;
}

/**
 * `se-zoo convert`: a timm safetensors checkpoint → a tfjs model directory that
 * `tf.loadLayersModel('file://…/model.json')` opens (classifier outputs logits, as timm's).
 */
export async function convertCommand(
  file: string,
  model: string,
  out: string,
  inputSize?: number,
): Promise<string> {
  checkNumbers({ inputSize });
  const info = getModelInfo(modelName(model));
  const bytes = await readStateDict(file);
  const [h, w, c] = info.defaultInputShape;
  const built = createModel(modelName(model), {
    classifierActivation: 'linear',
    inputShape: inputSize ? [inputSize, inputSize, c] : [h, w, c],
  });
  try {
    try {
      loadPyTorchWeights(built, bytes);
    } catch (error) {
      throw new CliError(
        `${file} is not a timm state_dict of ${model}: ${(error as Error).message}`,
      );
    }
    await mkdir(out, { recursive: true });
    await built.save(fileSystem(out));
  } finally {
    built.dispose();
  }
  return join(out, 'model.json');
}

/**
 * What a converted model needs to load: SE Zoo's custom layers (`SqueezeExcite`, `BatchNorm`, …)
 * are registered with tfjs by importing `@se/core` and the model's family package; plain
 * `tf.loadLayersModel` without them fails on the first unknown layer class.
 */
export function loadHint(model: string, modelJson: string): string {
  const { package: family } = getModelInfo(modelName(model));
  const imports =
    family === '@se/core' ? "import '@se/core'" : `import '@se/core'; import '${family}'`;
  return (
    `it loads in TensorFlow.js after ${imports} (they register SE Zoo's custom layers): ` +
    `await tf.loadLayersModel('file://${resolve(modelJson)}')`
  );
}
