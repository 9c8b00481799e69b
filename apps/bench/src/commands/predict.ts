/**
 * `se-zoo predict`, `se-zoo download` and `se-zoo models --pretrained`: timm's pretrained ImageNet
 * weights (fetched from the Hugging Face Hub and cached) classifying images.
 */
import '../zoo.js';
import {
  type ClassProbability,
  classify,
  findPretrained,
  type HubProgress,
  loadModel,
  PRETRAINED,
  type PretrainedConfig,
} from '@se/core';
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import { checkNumbers, printLine } from './options.js';

/** A download progress bar on stderr (nothing when stderr is not a terminal). */
function downloadBar(name: string): { update: (p: HubProgress) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${name} |{bar}| {mb} MB {percentage}% ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update({ loaded, total }) {
      const mb = `${(loaded / 1e6).toFixed(1)}${total ? ` / ${(total / 1e6).toFixed(1)}` : ''}`;
      if (!started) {
        bar.start(total ?? loaded, loaded, { mb });
        started = true;
      } else {
        if (total) bar.setTotal(total);
        bar.update(loaded, { mb });
      }
    },
    stop: () => bar.stop(),
  };
}

/** What `se-zoo predict --json` prints. */
export interface PredictJson {
  /** `<model>.<tag>`. */
  model: string;
  /** One list per image, in the order given, most probable class first. */
  predictions: ClassProbability[][];
}

/** Options of {@link predictCommand}. */
export interface PredictOptions {
  /** `<model>` (timm's default tag) or `<model>.<tag>`. */
  model: string;
  /** Classes per image (default 5). */
  top?: number;
  /** Print only the JSON of {@link PredictJson} on stdout. */
  json?: boolean;
  log?: (line: string) => void;
}

/** The table of one image's predictions. */
export function formatPredictions(image: string, predictions: ClassProbability[]): string {
  const table = new Table({
    head: ['#', 'class', 'index', 'probability'],
    colAligns: ['right', 'left', 'right', 'right'],
    style: { head: [], border: [], compact: true },
  });
  predictions.forEach((p, i) => {
    table.push([String(i + 1), p.label, String(p.index), `${(100 * p.probability).toFixed(2)} %`]);
  });
  return `${image}\n${table.toString()}`;
}

/** `se-zoo predict <image…> --model <name>[.<tag>]`: the top classes of each image. */
export async function predictCommand(
  images: string[],
  options: PredictOptions,
): Promise<PredictJson> {
  checkNumbers(options);
  const log = options.log ?? printLine;
  const config = findPretrained(options.model);
  const bar = downloadBar(config.name);
  const loaded = await loadModel(config.name, { hub: { onProgress: bar.update } }).finally(
    bar.stop,
  );
  try {
    const predictions = await classify(loaded, images, { topK: options.top ?? 5 });
    const result = { model: config.name, predictions };
    if (options.json) log(JSON.stringify(result));
    else log(images.map((image, i) => formatPredictions(image, predictions[i] ?? [])).join('\n\n'));
    return result;
  } finally {
    loaded.model.dispose();
  }
}

/** `se-zoo download <name>[.<tag>]…`: fills the cache (and checks the files) for offline use. */
export async function downloadCommand(
  names: string[],
  log: (line: string) => void = printLine,
): Promise<PretrainedConfig[]> {
  const configs = names.map((name) => findPretrained(name));
  for (const config of configs) {
    const bar = downloadBar(config.name);
    // Loading checks every tensor against the model, as predict will.
    const { model } = await loadModel(config.name, { hub: { onProgress: bar.update } }).finally(
      bar.stop,
    );
    model.dispose();
    log(`${config.name}: cached (${config.hubRepo})`);
  }
  return configs;
}

/** The table of `se-zoo models --pretrained`: every checkpoint, the default first per model. */
export function formatPretrainedTable(filter?: string): string {
  const table = new Table({
    head: ['name', 'input', 'resize', 'crop', 'top-1 (timm)', 'params (M)', 'licence'],
    colAligns: ['left', 'left', 'left', 'right', 'right', 'right', 'left'],
    style: { head: [], border: [], compact: true },
  });
  let count = 0;
  for (const [model, entry] of Object.entries(PRETRAINED)) {
    if (filter && !model.includes(filter)) continue;
    for (const c of entry.tags) {
      count++;
      table.push([
        `${c.name}${c.tag === entry.defaultTag ? ' (default)' : ''}${c.hubRepo ? '' : ' (not on the Hub)'}`,
        `${c.inputSize[1]}×${c.inputSize[2]}`,
        c.interpolation,
        c.cropPct.toFixed(3),
        c.top1 === null ? '—' : c.top1.toFixed(2),
        c.paramCountM === null ? '—' : c.paramCountM.toFixed(2),
        c.license,
      ]);
    }
  }
  return `${table.toString()}\n${count} pretrained checkpoints (timm's, on the Hugging Face Hub as timm/<name>); top-1 is timm's reported ImageNet-1k accuracy`;
}
