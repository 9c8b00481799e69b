// The demo page: choose a backend, build a small SE network, train it a few steps on
// Fashion-MNIST samples, chart the excitations of one of its SE blocks, and classify an image
// with a pretrained SE model (classify.ts).
import { type BackendName, setBackend } from '@se/backends';
import {
  countMacs,
  countParams,
  createModel,
  defaultRecipe,
  describeRecipe,
  formatCount,
  formatMacs,
  getModelInfo,
  listModels,
  modelName,
  type NamedRecipe,
  SqueezeExcite,
} from '@se/core';
import '@se/resnet';
import '@se/resnext';
import '@se/vgg';
import * as tf from '@tensorflow/tfjs';
import { barChart, clearChart, lineChart } from './charts.js';
import { type ClassifySection, initClassify } from './classify.js';
import { type ImageSet, loadFashionMnist } from './data.js';
import { $ } from './dom.js';

/** The registered models small enough to train in a page; those not registered are left out. */
const DEMO_MODELS = ['se_cnn', 'cnn', 'seresnet20', 'resnet20', 'seresnet32', 'resnet32'];
const INPUT_SHAPE: [number, number, number] = [28, 28, 1];

const modelSelect = $<HTMLSelectElement>('model-select');
const blockSelect = $<HTMLSelectElement>('block-select');
const buildButton = $<HTMLButtonElement>('build-button');
const trainButton = $<HTMLButtonElement>('train-button');
const exciteButton = $<HTMLButtonElement>('excite-button');
const status = $('status');

let data: { train: ImageSet; test: ImageSet } | null = null;
let model: tf.LayersModel | null = null;
let classifier: ClassifySection | null = null;
let stepsDone = 0;
const losses: number[] = [];

/** `data-state` tells a test (and the page's style) whether the page is busy. */
function setState(state: 'ready' | 'busy' | 'error', message = ''): void {
  document.body.dataset.state = state;
  status.textContent = message;
  status.className = state === 'error' ? 'error' : '';
  const idle = state !== 'busy';
  buildButton.disabled = !idle || data === null;
  trainButton.disabled = !idle || model === null;
  exciteButton.disabled = !idle || model === null || blockSelect.options.length === 0;
  classifier?.setIdle(idle);
}

/** Runs an action of a button, showing errors on the page instead of losing them. */
async function run(message: string, action: () => Promise<void>): Promise<void> {
  setState('busy', message);
  try {
    await action();
    setState('ready');
  } catch (error) {
    console.error(error);
    setState('error', error instanceof Error ? error.message : String(error));
  }
}

function show(id: string, text: string, value: number): void {
  const node = $(id);
  node.textContent = text;
  node.dataset.value = String(value);
}

/**
 * Picks the backend: `?backend=wasm` (or webgpu, webgl, cpu) forces one; otherwise the fastest
 * the browser offers (@se/backends' `setBackend('auto')`: WebGPU > WebGL > wasm > cpu, a GPU
 * only where it is hardware, wasm over a software GPU such as SwiftShader). A backend that cannot
 * be had is an error the page shows, with what to use instead.
 */
async function chooseBackend(): Promise<void> {
  const wanted = (new URLSearchParams(location.search).get('backend') ?? 'auto') as BackendName;
  const wasmPaths = new URL('tfjs-wasm/', document.baseURI).href;
  const node = $('backend');
  let info: Awaited<ReturnType<typeof setBackend>>;
  try {
    info = await setBackend(wanted, { wasmPaths, quiet: true });
  } catch (error) {
    node.textContent = `${wanted}: not available`;
    node.dataset.backend = 'none';
    // The error itself goes to the status line (main's catch); here, what to use instead.
    const link = (backend: string | null, text: string) => {
      const target = new URL(location.href);
      if (backend) target.searchParams.set('backend', backend);
      else target.searchParams.delete('backend');
      return Object.assign(document.createElement('a'), { href: target.href, textContent: text });
    };
    const help = $('backend-help');
    help.replaceChildren(
      `The ${wanted} backend could not start here. Try `,
      link(null, 'the fastest available'),
      ' or ',
      link('wasm', 'wasm'),
      '.',
    );
    help.hidden = false;
    throw error;
  }
  const passed = (info.passedOver ?? []).map((p) => `${p.name}: ${p.reason}`).join('; ');
  node.textContent = `${info.name} (${info.device})`;
  node.dataset.backend = info.name;
  if (passed) {
    node.title = `passed over ${passed}`;
    $('backend-note').textContent = `Passed over ${passed}.`;
  }
}

function buildModel(): void {
  model?.dispose();
  losses.length = 0;
  stepsDone = 0;
  $('loss-list').replaceChildren();
  clearChart($('loss-chart'));
  clearChart($('excitation-chart'));
  $('accuracy').textContent = '–';
  const name = modelSelect.value;
  model = createModel(modelName(name), { inputShape: INPUT_SHAPE, classes: 10 });
  const params = countParams(model);
  const macs = countMacs(model);
  show('params', formatCount(params), params);
  show('macs', `${formatMacs(macs)} (${formatCount(macs)})`, macs);
  const blocks = model.layers.filter((l): l is SqueezeExcite => l instanceof SqueezeExcite);
  show('se-blocks', String(blocks.length), blocks.length);
  $('summary').hidden = false;
  blockSelect.replaceChildren(
    ...blocks.map((block) => {
      const channels = block.outputShape[3] ?? '?';
      return new Option(`${block.name} (${channels} channels)`, block.name);
    }),
  );
  // The deepest block by default: its excitations differ most between classes (paper §7.2).
  blockSelect.selectedIndex = blocks.length - 1;
  const learningRate = Number($<HTMLInputElement>('lr').value);
  model.compile({
    optimizer: optimizerOf(defaultRecipe(name), learningRate),
    loss: 'categoricalCrossentropy',
  });
}

/**
 * The optimizer of a model's training recipe as a tfjs optimizer. tfjs's RMSprop adds ε inside
 * the square root, Keras (the recipe's) outside: ε² inside comes to the same where it matters.
 */
function optimizerOf(recipe: NamedRecipe, learningRate: number): tf.Optimizer {
  const o = recipe.optimizer;
  return o.type === 'rmsprop'
    ? tf.train.rmsprop(learningRate, o.rho, 0, o.epsilon ** 2)
    : tf.train.momentum(learningRate, o.momentum, o.nesterov);
}

async function train(): Promise<void> {
  const current = model;
  if (!current || !data) return;
  const steps = Number($<HTMLInputElement>('steps').value);
  const batch = Math.min(Number($<HTMLInputElement>('batch').value), 256);
  const { images, labels } = data.train;
  const list = $('loss-list');
  for (let i = 0; i < steps; i++) {
    // Consecutive batches, wrapping around the 256 training images.
    const start = (stepsDone * batch) % images.shape[0];
    const size = Math.min(batch, images.shape[0] - start);
    const x = images.slice([start, 0, 0, 0], [size, -1, -1, -1]);
    const y = labels.slice([start, 0], [size, -1]);
    const began = performance.now();
    const loss = Number(await current.trainOnBatch(x, y));
    tf.dispose([x, y]);
    stepsDone += 1;
    losses.push(loss);
    const item = document.createElement('li');
    item.dataset.loss = String(loss);
    item.textContent = `${loss.toFixed(4)} (${Math.round(performance.now() - began)} ms)`;
    list.append(item);
    await lineChart($('loss-chart'), losses, 'training step', 'loss');
    status.textContent = `step ${stepsDone}: loss ${loss.toFixed(4)}`;
    await tf.nextFrame();
  }
  // Asynchronous reads: WebGPU's synchronous ones are slow and, on some devices, read zeros.
  const correct = tf.tidy(() => {
    const predicted = (current.predict(data?.test.images as tf.Tensor) as tf.Tensor).argMax(-1);
    return predicted.equal(tf.tensor1d(data?.test.classes ?? [], 'int32')).mean();
  });
  const accuracy = (await correct.data())[0] ?? 0;
  correct.dispose();
  show('accuracy', `${(accuracy * 100).toFixed(1)} %`, accuracy);
}

async function excitations(): Promise<void> {
  const current = model;
  if (!current || !data) return;
  const block = current.getLayer(blockSelect.value);
  if (!(block instanceof SqueezeExcite)) throw new Error(`${blockSelect.value} is not an SE block`);
  // The network up to the block's input; it shares the model's layers and weights.
  const upToBlock = tf.model({ inputs: current.inputs, outputs: block.input as tf.SymbolicTensor });
  const mean = tf.tidy(() => {
    const features = upToBlock.predict(data?.test.images as tf.Tensor) as tf.Tensor;
    const s = block.excitation(features);
    return s.reshape([s.shape[0], -1]).mean(0);
  });
  const values = Array.from(await mean.data());
  mean.dispose();
  const chart = $('excitation-chart');
  await barChart(chart, values, `channel of ${block.name}`, 'mean excitation');
  chart.dataset.block = block.name;
}

async function main(): Promise<void> {
  setState('busy', 'Choosing a backend…');
  // The models the page offers need no backend: listed first, so that a backend error leaves
  // the page showing what it would build.
  const available = new Set<string>(listModels().map((info) => info.name));
  modelSelect.replaceChildren(
    ...DEMO_MODELS.filter((name) => available.has(name)).map((name) => new Option(name, name)),
  );
  await chooseBackend();
  data = await loadFashionMnist(new URL('fashion-mnist-sample.bin', document.baseURI));
  const describe = () => {
    $('model-description').textContent = getModelInfo(modelName(modelSelect.value)).description;
    // Each model trains with its family's recipe: an SE model and its twin with the same one.
    const recipe = defaultRecipe(modelSelect.value);
    $('recipe').textContent = `${recipe.name}: ${describeRecipe(recipe)}`;
    $('recipe').title = recipe.source;
    $<HTMLInputElement>('lr').value = String(recipe.learningRate);
    $<HTMLInputElement>('batch').value = String(Math.min(recipe.batchSize, 256));
  };
  modelSelect.addEventListener('change', describe);
  describe();
  buildButton.addEventListener('click', () => run('Building…', async () => buildModel()));
  trainButton.addEventListener('click', () => run('Training…', train));
  exciteButton.addEventListener('click', () => run('Computing excitations…', excitations));
  classifier = initClassify(run);
  setState('ready');
}

main().catch((error: unknown) => {
  console.error(error);
  setState('error', error instanceof Error ? error.message : String(error));
});
