// `pnpm bench:fused`: one training step (forward + backward + SGD) of SE models with @se/core's
// fused BatchNorm and SE ops (`fusedOps` on) against tfjs autodiff of the plain compositions
// (`fusedOps` off), on `wasm` with SE Zoo's kernels and on WebGPU (Dawn; in Node without a GPU,
// Mesa's lavapipe). Counts the kernels of one step of each, and writes the table to
// benchmarks/fused/. Each backend and model runs in its own Node process; within it, the two
// variants train the same model in alternating steps, so load from other processes hits both.
//
//   node benchmarks/dist/fused.js [--backends wasm,webgpu]
//     [--models bn:32:32:16,se:32:32:16,seresnet20:32:32,seresnet50:64:8]
//     [--webgpu-models bn:32:8:16,se:32:8:16,seresnet20:32:8]
//     [--rounds 6] [--profiles 3] [--threads 1] [--out benchmarks/fused]
// A model is given as name:imageSize:batch; `bn` and `se` (name:imageSize:batch:channels) are
// one BatchNorm or one SE block alone (gradients of x and the weights, SGD on the weights).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installNodeWebGPU, setBackend } from '@se/backends';
import {
  BatchNorm,
  countMacs,
  countParams,
  createModel,
  fusedOps,
  type ModelName,
  SqueezeExcite,
} from '@se/core';
import '@se/resnet';
import * as tf from '@tensorflow/tfjs';
import { argument } from './args.js';
import { kernelTimeMs, leafKernels } from './profile.js';

type Backend = 'wasm' | 'webgpu';

/** One variant (fused or not) of one cell. */
interface Variant {
  /** Every step's time in ms, after warm-up. */
  stepsMs: number[];
  /** Median of `stepsMs`. */
  medianMs: number;
  /** Least of `stepsMs` (the least disturbed by other load). */
  bestMs: number;
  /** Kernels tfjs ran in one step (`tf.profile`), wrappers of custom gradients not counted. */
  kernels: number;
  /**
   * Of those, the ones that compute: all but Identity and Reshape, which only alias their input.
   * (A Cast to the type a tensor already has aliases too, but is counted here.)
   */
  launches: number;
  /** Launches by kernel name. */
  byName: Record<string, number>;
  /** Time of the convolution kernels in a profiled step, ms. */
  convKernelMs: number;
  /** Time of every other kernel in a profiled step (the ones the fused ops change), ms. */
  otherKernelMs: number;
}

/** One backend × model. */
interface Cell {
  backend: Backend;
  device: string;
  threads: number;
  model: string;
  imageSize: number;
  batch: number;
  params: number;
  macsPerImage: number;
  plain?: Variant;
  fused?: Variant;
  error?: string;
}

const here = dirname(fileURLToPath(import.meta.url));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

function setFused(on: boolean): void {
  fusedOps.batchNorm = on;
  fusedOps.squeezeExcite = on;
}

/** Convolution kernels: the fused ops change none of them. */
const CONVOLUTIONS = new Set([
  'Conv2D',
  'FusedConv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNative',
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
]);

/** Kernels that only alias their input: no launch on WebGPU, no pass over memory on wasm. */
const ALIASES = new Set(['Identity', 'Reshape']);

/**
 * The kernels of one training step, and their times (`kernelTimeMs`; each kernel waited for,
 * so the sum exceeds a step's wall time on WebGPU): the least of `repeats` profiled steps.
 */
async function countKernels(step: () => Promise<unknown>, repeats: number) {
  let best: Omit<Variant, 'stepsMs' | 'medianMs' | 'bestMs'> | null = null;
  for (let r = 0; r < repeats; r++) {
    const info = await tf.profile(async () => {
      await step();
    });
    const kernels = leafKernels(info.kernels);
    const byName: Record<string, number> = {};
    let launches = 0;
    let convMs = 0;
    let otherMs = 0;
    for (const k of kernels) {
      const ms = kernelTimeMs(k);
      if (CONVOLUTIONS.has(k.name)) convMs += ms;
      else otherMs += ms;
      if (ALIASES.has(k.name)) continue;
      launches++;
      byName[k.name] = (byName[k.name] ?? 0) + 1;
    }
    if (!best || otherMs < best.otherKernelMs) {
      best = {
        kernels: kernels.length,
        launches,
        byName,
        convKernelMs: convMs,
        otherKernelMs: otherMs,
      };
    }
  }
  return best as NonNullable<typeof best>;
}

/** One BatchNorm or one SE block (reduction 4), alone: the ops in isolation. */
function singleLayerModel(kind: 'bn' | 'se', size: number, channels: number): tf.LayersModel {
  const input = tf.input({ shape: [size, size, channels] });
  const layer =
    kind === 'bn' ? new BatchNorm({ name: 'bn' }) : new SqueezeExcite({ reduction: 4, name: 'se' });
  return tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
}

/**
 * A step of a lone layer: the gradients of Σ dy·layer(x) for x (as inside a network, where the
 * layer below needs it) and the layer's weights, and an SGD update. Waits for the GPU by reading
 * one number of the input's gradient.
 */
function layerStep(net: tf.LayersModel, x: tf.Tensor, dy: tf.Tensor) {
  const input = tf.variable(x);
  const layer = net.layers[1] as tf.layers.Layer;
  const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.sgd(0.01);
  return async () => {
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, dy)) as tf.Scalar,
      [input, ...weights],
    );
    const check = tf.sum(grads[input.name] as tf.Tensor);
    delete grads[input.name];
    optimizer.applyGradients(grads);
    await check.data();
    tf.dispose([value, check, ...Object.values(grads)]);
  };
}

async function runCell(
  backend: Backend,
  spec: string,
  rounds: number,
  threads: number,
  profiles: number,
) {
  const [model = '', size = '32', batchText = '32', channelsText = '16'] = spec.split(':');
  const imageSize = Number(size);
  const batch = Number(batchText);
  if (backend === 'webgpu') await installNodeWebGPU();
  const info = await setBackend(backend, { threads, quiet: true });
  tf.enableProdMode();
  const single = model === 'bn' || model === 'se';
  const channels = single ? Number(channelsText) : 3;
  const net = single
    ? singleLayerModel(model, imageSize, channels)
    : createModel(model as ModelName, { inputShape: [imageSize, imageSize, 3], classes: 10 });
  net.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
  const cell: Cell = {
    backend,
    device: info.device,
    threads: info.threads,
    model,
    imageSize,
    batch,
    params: countParams(net),
    macsPerImage: countMacs(net),
  };
  const x = tf.randomNormal([batch, imageSize, imageSize, channels], 0, 1, 'float32', 1);
  const y = single
    ? tf.randomNormal([batch, imageSize, imageSize, channels], 0, 1, 'float32', 2)
    : tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10);
  const step = single ? layerStep(net, x, y) : () => net.trainOnBatch(x, y);
  try {
    const variants = { plain: false, fused: true } as const;
    const times: Record<keyof typeof variants, number[]> = { plain: [], fused: [] };
    const counts: Partial<Record<keyof typeof variants, Awaited<ReturnType<typeof countKernels>>>> =
      {};
    for (const [name, on] of Object.entries(variants) as [keyof typeof variants, boolean][]) {
      setFused(on);
      await step(); // warm-up: WebGPU compiles its shaders, wasm grows its heap
      counts[name] = await countKernels(step, profiles);
    }
    // A lone layer's step takes milliseconds: switching variants on every step would time the
    // allocator and caches adapting to the other variant, so it runs a few steps per turn.
    const stepsPerTurn = single ? 5 : 1;
    for (let r = 0; r < rounds; r++) {
      // Alternate which variant goes first, so that neither always follows the other.
      const order = r % 2 === 0 ? (['plain', 'fused'] as const) : (['fused', 'plain'] as const);
      for (const name of order) {
        setFused(variants[name]);
        for (let i = 0; i < stepsPerTurn; i++) {
          const t = performance.now();
          await step();
          times[name].push(performance.now() - t);
        }
      }
      console.error(
        `${backend} ${spec} round ${r + 1}: plain ${times.plain.at(-1)?.toFixed(0)} ms, fused ${times.fused.at(-1)?.toFixed(0)} ms`,
      );
    }
    for (const name of ['plain', 'fused'] as const) {
      const c = counts[name];
      if (!c) continue;
      cell[name] = {
        stepsMs: times[name].map((t) => Math.round(t * 10) / 10),
        medianMs: median(times[name]),
        bestMs: Math.min(...times[name]),
        ...c,
      };
    }
  } catch (e) {
    cell.error = (e as Error).message.split('\n')[0];
  }
  setFused(true);
  console.log(JSON.stringify(cell));
}

const fmt = (v: number | undefined) => (v == null ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

function table(cells: Cell[]): string[] {
  const lines = [
    '| backend | model | image | batch | plain ms/step (median, best) | fused ms/step (median, best) | speed-up (median) | non-conv kernel ms plain → fused | kernels plain → fused | launches plain → fused |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const c of cells) {
    const { plain, fused } = c;
    if (!plain || !fused) {
      lines.push(
        `| ${c.backend} | ${c.model} | ${c.imageSize}² | ${c.batch} | ${c.error ?? 'failed'} | | | | | |`,
      );
      continue;
    }
    lines.push(
      `| ${c.backend} | ${c.model} | ${c.imageSize}² | ${c.batch} | ${fmt(plain.medianMs)}, ${fmt(plain.bestMs)} | ${fmt(fused.medianMs)}, ${fmt(fused.bestMs)} | ${(plain.medianMs / fused.medianMs).toFixed(2)}× | ${fmt(plain.otherKernelMs)} → ${fmt(fused.otherKernelMs)} | ${plain.kernels} → ${fused.kernels} | ${plain.launches} → ${fused.launches} |`,
    );
  }
  return lines;
}

async function main() {
  const cellBackend = argument('cell', '');
  const rounds = Number(argument('rounds', '6'));
  const threads = Number(argument('threads', '1'));
  if (cellBackend) {
    const profiles = Number(argument('profiles', '3'));
    await runCell(cellBackend as Backend, argument('model', ''), rounds, threads, profiles);
    process.exit(0);
  }
  const backends = argument('backends', 'wasm,webgpu').split(',') as Backend[];
  // `bn` and `se` train one BatchNorm or SE block alone (name:size:batch:channels).
  const models: Record<Backend, string[]> = {
    wasm: argument('models', 'bn:32:32:16,se:32:32:16,seresnet20:32:32,seresnet50:64:8').split(','),
    // Lavapipe runs WebGPU on the CPU: a batch of 32 takes minutes per step there.
    webgpu: argument('webgpu-models', 'bn:32:8:16,se:32:8:16,seresnet20:32:8').split(','),
  };
  const out = resolve(argument('out', join(here, '../fused')));
  const previous = existsSync(join(out, 'results.json'))
    ? (JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { cells?: Cell[] })
    : {};
  // Keep the figures of the cells not run this time.
  const key = (backend: string, model: string, size: number, batch: number) =>
    `${backend}:${model}:${size}:${batch}`;
  const planned = new Set(
    backends.flatMap((b) =>
      models[b].map((spec) => {
        const [model = '', size = '32', batch = '32'] = spec.split(':');
        return key(b, model, Number(size), Number(batch));
      }),
    ),
  );
  const cells: Cell[] = (previous.cells ?? []).filter(
    (c) => !planned.has(key(c.backend, c.model, c.imageSize, c.batch)),
  );
  for (const backend of backends) {
    for (const spec of models[backend]) {
      const result = spawnSync(
        process.execPath,
        [
          fileURLToPath(import.meta.url),
          '--cell',
          backend,
          '--model',
          spec,
          '--rounds',
          String(rounds),
          '--threads',
          String(threads),
          '--profiles',
          argument('profiles', '3'),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 },
      );
      const last = result.stdout.trim().split('\n').at(-1) ?? '';
      try {
        cells.push(JSON.parse(last) as Cell);
      } catch {
        console.error(`${backend} ${spec}: no result (exit ${result.status})`);
      }
    }
  }
  mkdirSync(out, { recursive: true });
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`;
  writeFileSync(
    join(out, 'results.json'),
    `${JSON.stringify({ date: new Date().toISOString(), machine, node: process.version, cells }, null, 1)}\n`,
  );
  console.log(table(cells).join('\n'));
}

await main();
