// `pnpm bench:cpu`: trains the same models on tfjs's `cpu` backend, on stock `wasm`, and on SE
// Zoo's wasm (one thread, and every core), side by side, and writes the table to
// benchmarks/cpu/. Each cell runs in its own Node process, so that backends, kernel
// registrations and heaps never mix, and so that a cell can be stopped at its time cap.
//
//   node benchmarks/dist/cpu.js [--models small,seresnet18] [--batch 64]
//     [--seconds 20] [--repeat 1] [--out benchmarks/cpu]
// With --repeat N each cell runs N times and keeps its best: on a shared machine, other
// processes only ever slow a run down.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModel, getModelInfo, listModels, type ModelName } from '@se/core';
import '@se/resnet';
import { setBackend } from '@se/backends';
import * as tf from '@tensorflow/tfjs';
import { argument } from './args.js';
import { smallSeCnn } from './models.js';
import { createDataParallelTrainer, type ModelSource } from './parallel/data-parallel.js';

/** A backend configuration of one column. */
interface Config {
  id: string;
  title: string;
}

const CONFIGS: Config[] = [
  { id: 'cpu', title: 'tfjs cpu' },
  { id: 'wasm-stock', title: 'stock wasm' },
  { id: 'sezoo-1', title: 'SE Zoo wasm, 1 thread' },
  { id: 'sezoo', title: 'SE Zoo wasm, all cores' },
  { id: 'sezoo-dp', title: 'SE Zoo data-parallel' },
];

/** What one cell measured. */
interface Cell {
  model: string;
  config: string;
  backend: string;
  threads: number;
  batch: number;
  /** Images per second, or null when the backend cannot train the model. */
  imagesPerSecond: number | null;
  /** Median step time in ms. */
  stepMs: number | null;
  steps: number;
  /** How the number was obtained when not by full-batch steps. */
  note?: string;
  error?: string;
}

const here = dirname(fileURLToPath(import.meta.url));

function buildModel(name: string): tf.LayersModel {
  return name === 'small'
    ? smallSeCnn()
    : createModel(name as ModelName, { inputShape: [32, 32, 3], classes: 10 });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

/** Where a data-parallel replica gets the model from. */
function modelSource(name: string): ModelSource {
  return name === 'small'
    ? { module: new URL('./models.js', import.meta.url).href, exportName: 'smallSeCnn' }
    : {
        module: '@se/core',
        exportName: 'createModel',
        args: [name, { inputShape: [32, 32, 3], classes: 10 }],
        preload: ['@se/resnet'],
      };
}

/** Times `step` (after warm-up) until `maxSteps` or `seconds`; the median step in ms. */
async function timeSteps(
  step: () => Promise<unknown>,
  warmup: number,
  maxSteps: number,
  seconds: number,
) {
  for (let i = 0; i < warmup; i++) await step();
  const times: number[] = [];
  const start = performance.now();
  while (
    times.length < maxSteps &&
    (times.length < 3 || performance.now() - start < seconds * 1000)
  ) {
    const t = performance.now();
    await step();
    times.push(performance.now() - t);
    if (performance.now() - start > seconds * 1000 && times.length >= 1 && maxSteps <= 2) break;
  }
  return { ms: median(times), steps: times.length };
}

/** Runs one cell in this process and prints its JSON on the last line. */
async function runCell(model: string, config: string, batch: number, seconds: number) {
  tf.enableProdMode();
  if (config === 'sezoo-dp') {
    const cell: Cell = {
      model,
      config,
      backend: 'wasm',
      threads: 1,
      batch,
      imagesPerSecond: null,
      stepMs: null,
      steps: 0,
    };
    const trainer = await createDataParallelTrainer({
      model: modelSource(model),
      optimizer: { kind: 'momentum', learningRate: 0.01, momentum: 0.9 },
    });
    cell.threads = trainer.replicas;
    // The batch is made here and split across the replicas; any backend holds it.
    await tf.setBackend('cpu');
    cell.note = `${trainer.replicas} replicas × 1 thread; own step loop (computeGradients/applyGradients)`;
    const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10);
    try {
      const { ms, steps } = await timeSteps(() => trainer.trainOnBatch(x, y), 2, 12, seconds);
      cell.steps = steps;
      cell.stepMs = ms;
      cell.imagesPerSecond = (batch * 1000) / ms;
    } catch (e) {
      cell.error = (e as Error).message.split('\n')[0];
    }
    await trainer.dispose();
    console.log(JSON.stringify(cell));
    return;
  }
  const cell: Cell = {
    model,
    config,
    backend: '',
    threads: 1,
    batch,
    imagesPerSecond: null,
    stepMs: null,
    steps: 0,
  };
  const options =
    config === 'cpu'
      ? (['cpu', { kernels: false, quiet: true }] as const)
      : config === 'wasm-stock'
        ? (['wasm', { kernels: false, threads: 1, quiet: true }] as const)
        : (['wasm', { threads: config === 'sezoo-1' ? 1 : undefined, quiet: true }] as const);
  const info = await setBackend(options[0], options[1]);
  cell.backend = info.name;
  cell.threads = info.threads;
  // The pure-JS cpu backend needs minutes per full batch: time a few images, scale per image.
  const stepBatch = config === 'cpu' ? Math.min(batch, 4) : batch;
  if (stepBatch !== batch) cell.note = `estimated from steps of ${stepBatch} images`;
  const net = buildModel(model);
  net.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: 'categoricalCrossentropy' });
  const [, h = 32, w = 32, c = 3] = (net.inputs[0]?.shape ?? []) as number[];
  const x = tf.randomNormal([stepBatch, h, w, c], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([stepBatch], 0, 10, 'int32', 2), 10);
  try {
    const warmup = config === 'cpu' ? 1 : 2;
    for (let i = 0; i < warmup; i++) await net.trainOnBatch(x, y);
    const times: number[] = [];
    const start = performance.now();
    const maxSteps = config === 'cpu' ? 2 : 12;
    while (
      times.length < maxSteps &&
      (times.length < 3 || performance.now() - start < seconds * 1000)
    ) {
      const t = performance.now();
      await net.trainOnBatch(x, y);
      times.push(performance.now() - t);
      if (config === 'cpu' && performance.now() - start > seconds * 1000) break;
    }
    const ms = median(times);
    cell.steps = times.length;
    cell.stepMs = (ms * batch) / stepBatch;
    cell.imagesPerSecond = (stepBatch * 1000) / ms;
  } catch (e) {
    cell.error = (e as Error).message.split('\n')[0];
  }
  console.log(JSON.stringify(cell));
}

/** Runs a cell in a child process, killed after `capSeconds`. */
function spawnCell(args: string[], capSeconds: number): Promise<Cell | string> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--cell', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    child.stderr.on('data', (d) => {
      err += String(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), capSeconds * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        done(JSON.parse(last) as Cell);
      } catch {
        done(code === null ? `killed after ${capSeconds} s` : (err.trim().split('\n').pop() ?? ''));
      }
    });
  });
}

const fmt = (v: number | null | undefined, digits = 1) =>
  v == null || !Number.isFinite(v) ? '—' : v.toFixed(digits);

async function main() {
  const batch = Number(argument('batch', '64'));
  const seconds = Number(argument('seconds', '20'));
  const repeat = Math.max(1, Number(argument('repeat', '1')));
  const registered = new Set(listModels().map((m) => m.name));
  const wanted = argument('models', 'small,seresnet18,seresnet20,seresnet56').split(',');
  const models = wanted.filter((m) => m === 'small' || registered.has(m as ModelName));
  const missing = wanted.filter((m) => !models.includes(m));
  const out = resolve(argument('out', join(here, '../cpu')));
  const tfjs = JSON.parse(
    readFileSync(
      join(dirname(fileURLToPath(import.meta.resolve('@tensorflow/tfjs'))), '../package.json'),
      'utf8',
    ),
  ) as { version: string };
  const machine = `${cpus()[0]?.model.trim() ?? 'CPU'}, ${availableParallelism()} cores`;
  console.log(
    `SE Zoo CPU training benchmark — ${machine}, Node ${process.version}, tfjs ${tfjs.version}`,
  );
  console.log(
    `batch ${batch}, 32×32×3 images, momentum SGD, Layers trainOnBatch; ${seconds} s per cell, best of ${repeat}`,
  );
  if (missing.length) console.log(`not registered (skipped): ${missing.join(', ')}`);
  const cells: Cell[] = [];
  for (const model of models) {
    for (const config of CONFIGS) {
      let result: Cell | string = 'not run';
      for (let r = 0; r < repeat; r++) {
        const run = await spawnCell(
          [model, config.id, String(batch), String(seconds)],
          seconds * 6 + 60,
        );
        const better =
          typeof result === 'string' ||
          (typeof run !== 'string' && (run.imagesPerSecond ?? 0) > (result.imagesPerSecond ?? 0));
        if (better) result = run;
        // The cpu cell is an estimate of minutes-long steps, and stock wasm fails: once is enough.
        if (config.id === 'cpu' || config.id === 'wasm-stock') break;
      }
      const cell: Cell =
        typeof result === 'string'
          ? {
              model,
              config: config.id,
              backend: '',
              threads: 0,
              batch,
              imagesPerSecond: null,
              stepMs: null,
              steps: 0,
              error: result,
            }
          : result;
      cells.push(cell);
      const shown =
        cell.imagesPerSecond == null
          ? `cannot train (${cell.error ?? '?'})`
          : `${fmt(cell.imagesPerSecond)} img/s`;
      console.log(
        `  ${model.padEnd(12)} ${config.title.padEnd(24)} ${shown}${cell.note ? ` (${cell.note})` : ''}`,
      );
    }
  }
  const rows = models.map((model) => {
    const get = (id: string) => cells.find((c) => c.model === model && c.config === id);
    const cpu = get('cpu')?.imagesPerSecond ?? null;
    const threaded = get('sezoo')?.imagesPerSecond ?? null;
    const parallel = get('sezoo-dp')?.imagesPerSecond ?? null;
    const single = get('sezoo-1')?.imagesPerSecond ?? null;
    const ours = Math.max(single ?? 0, threaded ?? 0, parallel ?? 0) || null;
    const stock = get('wasm-stock');
    const info = model === 'small' ? null : getModelInfo(model as ModelName);
    return {
      model: model === 'small' ? 'small SE CNN' : model,
      description: info?.description ?? 'conv–BN–ReLU–SE ×3 (32/64/128), max pools, GAP, dense',
      cpu,
      stockWasm: stock?.imagesPerSecond ?? null,
      stockWasmError: stock?.error ?? null,
      ours1: single,
      oursThreads: threaded,
      threads: get('sezoo')?.threads ?? null,
      oursDataParallel: parallel,
      replicas: get('sezoo-dp')?.threads ?? null,
      best: ours,
      speedupVsCpu: cpu && ours ? ours / cpu : null,
    };
  });
  console.log('');
  console.log(
    '| model | tfjs cpu | stock wasm | SE Zoo, 1 thread | SE Zoo, XNNPACK on all cores | SE Zoo, data-parallel | best vs cpu |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const stock = r.stockWasm == null ? 'cannot train' : fmt(r.stockWasm);
    const ratio = r.speedupVsCpu ? `${Math.round(r.speedupVsCpu)}×` : '—';
    console.log(
      `| ${r.model} | ${fmt(r.cpu, 2)} | ${stock} | ${fmt(r.ours1)} | ${fmt(r.oursThreads)} | ${fmt(r.oursDataParallel)} | ${ratio} |`,
    );
  }
  mkdirSync(out, { recursive: true });
  const result = {
    date: new Date().toISOString(),
    machine,
    node: process.version,
    tfjs: tfjs.version,
    batch,
    repeat,
    imageSize: [32, 32, 3],
    optimizer: 'momentum SGD (lr 0.01, 0.9), categorical cross-entropy, Layers trainOnBatch',
    notRegistered: missing,
    rows,
    cells,
  };
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwrote ${join(out, 'results.json')}`);
}

if (process.argv[2] === '--cell') {
  const [model = 'small', config = 'sezoo', batch = '64', seconds = '20'] = process.argv.slice(3);
  await runCell(model, config, Number(batch), Number(seconds));
  process.exit(0);
} else {
  await main();
}
