// The "Classify an image" section: an ImageNet-1k model with timm's pretrained weights (from the
// Hugging Face Hub, or the mirror `?hub=` names, then from Cache Storage), an image chosen or
// dropped, and its top-5 classes.
import {
  type ClassProbability,
  classify,
  getModelInfo,
  type HubProgress,
  hubUrl,
  type LoadedModel,
  listModels,
  loadModel,
  type ModelInfo,
  modelName,
  PRETRAINED,
  type PretrainedConfig,
  WEIGHTS_FILE,
} from '@se/core';
import { $, type Runner } from './dom.js';

const DEFAULT_HUB = 'https://huggingface.co';
/** Where `@se/core`'s browser store keeps Hub files (its `browserStore` default). */
const CACHE_NAME = 'se-zoo';
/** Offered besides the SE models and their twins: the smallest pretrained network, quick to try. */
const SMALLEST = 'resnet18';

/** The checkpoints the page offers, in two groups. */
export interface PretrainedChoices {
  /** Every Hub checkpoint of each registered SE model. */
  se: PretrainedConfig[];
  /** For comparison: their twins without SE, and the smallest network. */
  plain: PretrainedConfig[];
}

/** The Hub checkpoints of a model (timm's legacy_* weights are PyTorch pickles elsewhere). */
function hubTags(model: string): PretrainedConfig[] {
  return (PRETRAINED[model]?.tags ?? []).filter((config) => config.hubRepo !== null);
}

/**
 * The registered models' pretrained checkpoints worth offering: every tag of an SE model; of its
 * twin the tags trained the same way (same tag name, a fair comparison), else timm's default.
 */
export function pretrainedChoices(): PretrainedChoices {
  const registered = new Map<string, ModelInfo>(listModels().map((info) => [info.name, info]));
  const seModels = Object.keys(PRETRAINED).filter(
    (model) => registered.get(model)?.se === true && hubTags(model).length > 0,
  );
  const se = seModels.flatMap(hubTags);
  const plain: PretrainedConfig[] = [];
  const offer = (model: string | undefined, like: readonly PretrainedConfig[]) => {
    if (model === undefined || registered.get(model)?.se !== false) return;
    if (plain.some((config) => config.model === model)) return;
    const tags = hubTags(model);
    const same = tags.filter((config) => like.some((other) => other.tag === config.tag));
    plain.push(...(same.length > 0 ? same : tags.slice(0, 1)));
  };
  offer(SMALLEST, []);
  for (const model of seModels) offer(registered.get(model)?.twin, hubTags(model));
  return { se, plain };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A probability as a percentage with two significant digits at least (random weights give ~0.1 %). */
function percent(p: number): string {
  return `${p >= 0.01 ? (p * 100).toFixed(1) : (p * 100).toPrecision(2)} %`;
}

function optionOf(config: PretrainedConfig): HTMLOptionElement {
  const facts = [
    config.top1 === null ? null : `top-1 ${config.top1.toFixed(1)} %`,
    // float32 safetensors: 4 bytes a parameter.
    config.paramCountM === null
      ? null
      : `${config.paramCountM} M params, ≈${Math.round(config.paramCountM * 4)} MB`,
  ].filter((fact) => fact !== null);
  return new Option(`${config.name} (${facts.join(', ')})`, config.name);
}

function group(label: string, configs: readonly PretrainedConfig[]): HTMLOptGroupElement {
  const node = document.createElement('optgroup');
  node.label = label;
  node.append(...configs.map(optionOf));
  return node;
}

/** What the page's `setState` tells the section. */
export interface ClassifySection {
  /** Enables the controls when the page is idle, disables them while it is busy. */
  setIdle(idle: boolean): void;
}

/**
 * Sets up the section. `run` runs an action with the page's busy state and error display.
 * `?hub=<endpoint>` downloads from a mirror (or a test's local server) instead of the Hub.
 */
export function initClassify(run: Runner): ClassifySection {
  const select = $<HTMLSelectElement>('pretrained-select');
  const input = $<HTMLInputElement>('image-input');
  const zone = $('drop-zone');
  const preview = $<HTMLImageElement>('image-preview');
  const button = $<HTMLButtonElement>('classify-button');
  const progress = $<HTMLProgressElement>('download-progress');
  const progressText = $('download-text');
  const endpoint = new URLSearchParams(location.search).get('hub') ?? undefined;
  const choices = pretrainedChoices();
  const configs = new Map([...choices.se, ...choices.plain].map((c) => [c.name, c]));
  let loaded: LoadedModel | null = null;
  let idle = false;
  let imageUrl: string | null = null;

  $('hub-endpoint').textContent = endpoint ?? DEFAULT_HUB;
  select.replaceChildren(
    group('SE models', choices.se),
    group('Without SE, for comparison', choices.plain),
  );
  // Cache Storage exists only in secure contexts (https, localhost): elsewhere `caches` is unset.
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (storage === undefined) {
    $('cache-note').textContent =
      'This page is not a secure context, so the browser offers no Cache Storage: the weights are downloaded each time.';
  }

  const describe = async () => {
    const config = configs.get(select.value);
    if (!config?.hubRepo) return;
    const [, height, width] = config.inputSize;
    const description = $('pretrained-description');
    const link = document.createElement('a');
    link.href = `${DEFAULT_HUB}/${config.hubRepo}`;
    link.textContent = config.hubRepo;
    description.replaceChildren(
      `${getModelInfo(modelName(config.model)).description}. Weights `,
      link,
      ` (${config.license}); ${height}×${width}, ${config.interpolation}, crop ${config.cropPct}.`,
    );
    const url = hubUrl(config.hubRepo, WEIGHTS_FILE, endpoint);
    const cached = await storage
      ?.open(CACHE_NAME)
      .then((cache) => cache.match(url))
      .catch(() => undefined);
    // The answer may come after the choice changed again.
    if (select.value === config.name && cached) description.append(' In Cache Storage.');
  };

  const showProgress = (loadedBytes: number, total: number | null) => {
    progress.max = total ?? Math.max(loadedBytes, 1);
    progress.value = loadedBytes;
    progressText.textContent =
      total === null
        ? megabytes(loadedBytes)
        : `${megabytes(loadedBytes)} of ${megabytes(total)} (${Math.floor((100 * loadedBytes) / total)} %)`;
  };

  /** The chosen model, loaded once: weights downloaded (with progress) or from Cache Storage. */
  const ensureModel = async (name: string): Promise<{ model: LoadedModel; ms: number }> => {
    if (loaded?.config.name === name) return { model: loaded, ms: 0 };
    loaded?.model.dispose();
    loaded = null;
    progress.dataset.source = '';
    showProgress(0, null);
    progressText.textContent = 'connecting…';
    let reports = 0;
    const began = performance.now();
    const onProgress = (report: HubProgress) => {
      reports += 1;
      showProgress(report.loaded, report.total);
    };
    try {
      loaded = await loadModel(name, { hub: { onProgress, ...(endpoint ? { endpoint } : {}) } });
    } catch (error) {
      progressText.textContent = 'failed: the message is at the top of the page';
      throw error;
    }
    if (reports === 0) {
      // hubFile reports no progress for a file it takes from the cache.
      showProgress(1, 1);
      progressText.textContent = 'from Cache Storage (no download)';
    }
    progress.dataset.source = reports === 0 ? 'cache' : 'hub';
    return { model: loaded, ms: performance.now() - began };
  };

  const showPredictions = (top: readonly ClassProbability[]) => {
    const rows = top.map((p, rank) => {
      const row = document.createElement('tr');
      row.dataset.index = String(p.index);
      row.dataset.label = p.label;
      row.dataset.probability = String(p.probability);
      const bar = document.createElement('meter');
      bar.value = p.probability;
      const cells = [String(rank + 1), p.label, bar, percent(p.probability)];
      row.append(
        ...cells.map((content) => {
          const cell = document.createElement('td');
          cell.append(content);
          return cell;
        }),
      );
      return row;
    });
    $('predictions-body').replaceChildren(...rows);
    $('predictions').hidden = false;
  };

  const classifyImage = async () => {
    if (imageUrl === null) return;
    const name = select.value;
    $('predictions-body').replaceChildren();
    const { model, ms: loadMs } = await ensureModel(name);
    try {
      await preview.decode();
    } catch {
      throw new Error(`${preview.alt} is not an image this browser can decode`);
    }
    const began = performance.now();
    const [top = []] = await classify(model, preview, { topK: 5 });
    const classifyMs = performance.now() - began;
    showPredictions(top);
    const loading = loadMs === 0 ? 'already loaded' : `loaded in ${(loadMs / 1000).toFixed(1)} s`;
    $('classify-timing').textContent =
      `${name}: ${loading}; classified in ${Math.round(classifyMs)} ms.`;
    void describe();
  };

  const choose = (file: File) => {
    if (imageUrl !== null) URL.revokeObjectURL(imageUrl);
    imageUrl = URL.createObjectURL(file);
    preview.src = imageUrl;
    preview.alt = file.name;
    preview.hidden = false;
    return run(`Classifying ${file.name} with ${select.value}…`, classifyImage);
  };

  select.addEventListener('change', () => void describe());
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) void choose(file);
  });
  button.addEventListener('click', () => run(`Classifying with ${select.value}…`, classifyImage));
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const files = Array.from(event.dataTransfer?.files ?? []);
    const file = files.find((f) => f.type.startsWith('image/'));
    if (file && idle) void choose(file);
  });
  // A file dropped beside the zone would replace the page (and its trained model).
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
  void describe();

  return {
    setIdle(now) {
      idle = now;
      select.disabled = !now;
      input.disabled = !now;
      button.disabled = !now || imageUrl === null;
      zone.classList.toggle('disabled', !now);
    },
  };
}
