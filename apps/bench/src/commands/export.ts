/**
 * `se-zoo export`: a trained run's checkpoint as a timm state_dict, so that training can go on
 * with timm (torchrun on many GPUs) and come back with `convert` or `loadPyTorchWeights`.
 */
import '../zoo.js';
import { exportPyTorchWeightsAsync, getModelInfo, modelName } from '@se/core';
import { CliError } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import { openRun } from '../train/open.js';
import type { RunSpec } from '../train/run.js';
import { printLine } from './options.js';

/** Families whose models have no timm twin: their keys follow timm's naming all the same. */
const NOT_IN_TIMM = new Set(['cifar-resnet', 'cnn']);

/** How the exported file continues in timm, or why it cannot. */
export function timmUse(spec: RunSpec, classes: number, inputShape: readonly number[]): string {
  const info = getModelInfo(modelName(spec.model));
  const custom = typeof spec.se === 'object' || spec.se !== info.se;
  if (NOT_IN_TIMM.has(info.family)) {
    return `${spec.model} has no timm twin (timm has no ${info.family === 'cnn' ? 'Keras seed CNN' : 'CIFAR ResNets'}); the file loads back into SE Zoo with loadPyTorchWeights or \`se-zoo convert --model ${spec.model}\``;
  }
  if (custom) {
    return `the run's SE options (${JSON.stringify(spec.se)}) differ from ${spec.model}'s own, so timm's ${spec.model} cannot load it; it loads back into SE Zoo with the same options`;
  }
  return `timm model ${spec.model}: model = timm.create_model('${spec.model}', num_classes=${classes}); model.load_state_dict(safetensors.torch.load_file(path)) (input ${inputShape.join('×')})`;
}

/**
 * Writes the checkpoint of the run in `runDir` as a timm state_dict (safetensors) to `out`;
 * resolves to what the file is for timm.
 */
export async function exportCommand(
  runDir: string,
  out: string,
  options: { dataDir?: string; log?: (line: string) => void } = {},
): Promise<string> {
  if (!out.endsWith('.safetensors')) throw new CliError(`--out ${out}: give a .safetensors file`);
  const run = await openRun(runDir, options.dataDir);
  try {
    const bytes = await exportPyTorchWeightsAsync(run.model, { format: 'pt' });
    await writeFileAtomic(out, bytes);
    const [, h = 0, w = 0, c = 0] = run.model.inputs[0]?.shape ?? [];
    const use = timmUse(run.spec, run.dataset.classes, [h ?? 0, w ?? 0, c ?? 0]);
    (options.log ?? printLine)(`wrote ${out}: ${use}`);
    return use;
  } finally {
    run.model.dispose();
  }
}
