// `pnpm bench:grouped-conv`: times each way @se/core's groupedConv2d can compute a grouped
// convolution (split/concat, block-diagonal dense kernel, depthwise + sum, im2col + batched
// matrix product, and SE Zoo's own kernel where the backend registers it), forward and forward +
// backward, at the grouped 3×3 layers of SE-ResNeXt-50, on tfjs's `cpu` backend, on `wasm` with
// SE Zoo's kernels and on `webgpu` with SE Zoo's kernels (in Node through Dawn, on whatever
// adapter it finds: here Mesa's lavapipe, a software driver), and writes the table to
// benchmarks/grouped-conv/. Each backend runs in its own Node process; the results of backends
// not run this time are kept from the existing results.json.
//
//   node benchmarks/dist/grouped-conv.js [--backends cpu,wasm,webgpu] [--batch 8]
//     [--cpu-batch 1] [--webgpu-batch 2] [--seconds 6] [--threads 1] [--out benchmarks/grouped-conv]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installNodeWebGPU, setBackend, webgpuAdapterAvailable } from '@se/backends';
import { GROUPED_CONV_KERNEL, groupedConvMethods } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { argument } from './args.js';
import { GROUPED_SHAPES, GROUPS, groupedLayerInput } from './grouped-shapes.js';
import { GROUPED_CONV_WAYS, type GroupedConvWay, groupedConvBy } from './grouped-variants.js';

/** One measured cell. */
interface Cell {
  backend: string;
  threads: number;
  batch: number;
  layer: string;
  input: number[];
  kernel: number[];
  stride: number;
  method: GroupedConvWay;
  /** Forward ms (best of the runs), or null when skipped for time. */
  forwardMs: number | null;
  /** Forward + gradients of input and kernel, ms (best of the runs), or null when skipped. */
  backwardMs: number | null;
  /** Why a figure is missing. */
  note?: string;
  runs: number;
}

type Backend = 'cpu' | 'wasm' | 'webgpu';

/** Where one backend's figures were measured. */
interface RunInfo {
  date: string;
  /** The device the backend reported (for webgpu, the adapter). */
  device: string;
  batch: number;
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Runs `f` and waits for its results: on webgpu the work is only queued, so read one element of
 * the last output (the queue runs in order); on cpu and wasm that costs nothing.
 */
async function settle(f: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const out = f();
  const last = Array.isArray(out) ? out[out.length - 1] : out;
  if (last) {
    const one = tf.tidy(() => tf.slice(tf.reshape(last, [-1]), [0], [1]));
    await one.data();
    one.dispose();
  }
  tf.dispose(out);
}

/** The webgpu backend's device, as far as catching its validation errors goes. */
interface ErrorScopes {
  pushErrorScope(filter: 'validation'): void;
  popErrorScope(): Promise<{ message: string } | null>;
}

/**
 * Runs `f` once; on webgpu, throws the device's validation error if it had one (Dawn only prints
 * those, and the failed shader's output is garbage).
 */
async function checkedRun(f: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const device =
    tf.getBackend() === 'webgpu'
      ? (tf.backend() as unknown as { device?: ErrorScopes }).device
      : undefined;
  device?.pushErrorScope('validation');
  await settle(f);
  const error = await device?.popErrorScope();
  if (error) throw new Error(error.message.split('\n')[0]);
}

/**
 * Best of up to 5 runs after one warm-up, within about `seconds` (the minimum is the least
 * disturbed). On webgpu the warm-up compiles the shaders: it never counts, at least one more run
 * does.
 */
async function time(
  f: () => tf.Tensor | tf.Tensor[],
  seconds: number,
): Promise<{ ms: number; runs: number }> {
  let t = performance.now();
  await checkedRun(f);
  const first = performance.now() - t;
  const fewest = tf.getBackend() === 'webgpu' ? 2 : 1;
  const runs = Math.max(fewest, Math.min(5, Math.floor((seconds * 1000) / Math.max(first, 1))));
  let best = runs === 1 ? first : Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs - (runs === 1 ? 1 : 0); i++) {
    t = performance.now();
    await settle(f);
    best = Math.min(best, performance.now() - t);
  }
  return { ms: best, runs };
}

/** The methods to measure on the current backend: 'kernel' only where it is registered. */
function methodsHere(): GroupedConvWay[] {
  const kernel = tf.getKernel(GROUPED_CONV_KERNEL, tf.getBackend()) != null;
  return GROUPED_CONV_WAYS.filter((m) => m !== 'kernel' || kernel);
}

/** Measures every shape and method on one backend, in this process. */
async function measure(backend: Backend, batch: number, seconds: number, threads: number) {
  if (backend === 'webgpu' && !((await installNodeWebGPU()) && (await webgpuAdapterAvailable()))) {
    throw new Error("no WebGPU adapter: install the 'webgpu' package and a GPU or Vulkan driver");
  }
  const info = await setBackend(backend, { threads, quiet: true });
  tf.enableProdMode();
  const cells: Cell[] = [];
  for (const shape of GROUPED_SHAPES) {
    const { channels, stride } = shape;
    const { inSize, padding } = groupedLayerInput(shape);
    const x = tf.randomNormal([batch, inSize, inSize, channels]) as tf.Tensor4D;
    const k = tf.randomNormal([3, 3, channels / GROUPS, channels], 0, 0.1) as tf.Tensor4D;
    const run = (method: GroupedConvWay, xi: tf.Tensor, ki: tf.Tensor) =>
      groupedConvBy(
        method,
        xi as tf.Tensor4D,
        ki as tf.Tensor4D,
        GROUPS,
        [stride, stride],
        padding,
        [1, 1],
      );
    const dy = tf.tidy(() => tf.randomNormal(run('split', x, k).shape));
    let bestForward = Number.POSITIVE_INFINITY;
    for (const method of methodsHere()) {
      // Fresh weights every call, as in training.
      const forward = () => tf.tidy(() => run(method, x, tf.add(k, 0)));
      const backward = () =>
        tf.tidy(() =>
          tf.grads((xi: tf.Tensor, ki: tf.Tensor) => run(method, xi, ki))([x, tf.add(k, 0)], dy),
        );
      const f = await time(forward, seconds);
      bestForward = Math.min(bestForward, f.ms);
      // A method whose forward pass alone is 4× the fastest cannot win; its backward pass can
      // take minutes on the cpu backend (255 s for the block-diagonal kernel at layer2.0).
      const hopeless = f.ms > 4 * bestForward;
      let failed: string | undefined;
      const b = hopeless
        ? null
        : await time(backward, seconds).catch((e: unknown) => {
            failed = `backward fails on ${backend}: ${e instanceof Error ? e.message : e}`;
            return null;
          });
      cells.push({
        backend,
        threads: info.threads,
        batch,
        layer: shape.layer,
        input: x.shape,
        kernel: k.shape,
        stride,
        method,
        forwardMs: f.ms,
        backwardMs: b?.ms ?? null,
        runs: Math.min(f.runs, b?.runs ?? f.runs),
        ...(failed ? { note: failed } : {}),
        ...(hopeless ? { note: 'backward not timed: forward ≥ 4× the fastest' } : {}),
      });
      console.error(`${backend} ${shape.layer} ${method}: ${fmt(f.ms)} / ${fmt(b?.ms ?? null)} ms`);
    }
    tf.dispose([x, k, dy]);
  }
  const run: RunInfo = { date: new Date().toISOString(), device: info.device, batch };
  return { cells, run };
}

const fmt = (v: number | null) => (v == null ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** The methods that have cells, in {@link GROUPED_CONV_WAYS}' order. */
function measured(cells: Cell[]): GroupedConvWay[] {
  return GROUPED_CONV_WAYS.filter((m) => cells.some((c) => c.method === m));
}

function table(cells: Cell[], kind: 'forwardMs' | 'backwardMs'): string[] {
  const methods = measured(cells);
  const lines = [
    `| backend | batch | layer | input → output channels, stride | ${methods.join(' | ')} | fastest |`,
    `| --- | ---: | --- | --- | ${methods.map(() => '---:').join(' | ')} | --- |`,
  ];
  const rows = new Map<string, Cell[]>();
  for (const c of cells)
    rows.set(`${c.backend}|${c.layer}`, [...(rows.get(`${c.backend}|${c.layer}`) ?? []), c]);
  for (const row of rows.values()) {
    const first = row[0] as Cell;
    const best = row.reduce((a, b) => ((b[kind] ?? Infinity) < (a[kind] ?? Infinity) ? b : a));
    const values = methods.map((m) => {
      const c = row.find((r) => r.method === m);
      const v = fmt(c?.[kind] ?? null);
      return c === best ? `**${v}**` : v;
    });
    lines.push(
      `| ${first.backend} | ${first.batch} | ${first.layer} | ${first.input.slice(1).join('×')} → ${first.kernel[3]}, /${first.stride} | ${values.join(' | ')} | ${best.method} |`,
    );
  }
  return lines;
}

/** The method with the least total forward + backward time over all shapes, per backend. */
function fastest(cells: Cell[]): Record<string, GroupedConvWay> {
  const result: Record<string, GroupedConvWay> = {};
  for (const backend of new Set(cells.map((c) => c.backend))) {
    const totals = measured(cells.filter((c) => c.backend === backend)).map((m) => ({
      m,
      total: cells
        .filter((c) => c.backend === backend && c.method === m)
        .reduce((s, c) => s + (c.backwardMs ?? Infinity), 0),
    }));
    result[backend] = totals.reduce((a, b) => (b.total < a.total ? b : a)).m;
  }
  return result;
}

async function main() {
  const child = argument('child', '');
  const seconds = Number(argument('seconds', '6'));
  const threads = Number(argument('threads', '1'));
  if (child) {
    const batch = Number(argument('batch', '8'));
    const result = await measure(child as Backend, batch, seconds, threads);
    // A file, not stdout: Dawn prints its validation messages there.
    writeFileSync(argument('result', ''), JSON.stringify(result));
    process.exit(0);
  }
  const backends = argument('backends', 'cpu,wasm').split(',') as Backend[];
  const batch = Number(argument('batch', '8'));
  const batches: Record<Backend, number> = {
    cpu: Number(argument('cpu-batch', '1')),
    wasm: batch,
    // Dawn on a software Vulkan driver (lavapipe) runs a batch of 8 for many minutes.
    webgpu: Number(argument('webgpu-batch', '2')),
  };
  const out = resolve(argument('out', join(here, '../grouped-conv')));
  // Keep the figures of the backends not run this time.
  const previous = existsSync(join(out, 'results.json'))
    ? (JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
        date?: string;
        machine?: string;
        cells?: Cell[];
        runs?: Record<string, RunInfo>;
      })
    : {};
  const cells: Cell[] = (previous.cells ?? []).filter(
    (c) => !backends.includes(c.backend as Backend),
  );
  const runs: Record<string, RunInfo> = {};
  for (const c of cells) {
    // Results from before `runs` was recorded: their run's date and machine.
    runs[c.backend] = previous.runs?.[c.backend] ?? {
      date: previous.date ?? 'unknown',
      device: previous.machine ?? 'unknown',
      batch: c.batch,
    };
  }
  for (const backend of backends) {
    const b = batches[backend];
    const resultFile = join(tmpdir(), `se-grouped-conv-${process.pid}-${backend}.json`);
    const result = spawnSync(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        '--child',
        backend,
        '--batch',
        `${b}`,
        '--seconds',
        `${seconds}`,
        '--threads',
        `${threads}`,
        '--result',
        resultFile,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (result.status !== 0) throw new Error(`the ${backend} run failed (${result.status})`);
    const measuredHere = JSON.parse(readFileSync(resultFile, 'utf8')) as {
      cells: Cell[];
      run: RunInfo;
    };
    rmSync(resultFile);
    cells.push(...measuredHere.cells);
    runs[backend] = measuredHere.run;
  }
  const versions = { version: version_wasm };
  const report = {
    date: new Date().toISOString(),
    machine: `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, no GPU`,
    node: process.version,
    tfjs: versions.version,
    groups: GROUPS,
    wasmThreads: threads,
    timing:
      'best of up to 5 runs after a warm-up, ms (on webgpu, until one element of the result is read back); fresh kernel tensor every call',
    runs,
    fastest: fastest(cells),
    cells,
  };
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log('Forward, ms');
  console.log(table(cells, 'forwardMs').join('\n'));
  console.log('');
  console.log('Forward + backward (input and kernel gradients), ms');
  console.log(table(cells, 'backwardMs').join('\n'));
  console.log('');
  console.log(`Fastest over all shapes (forward + backward): ${JSON.stringify(report.fastest)}`);
  console.log(`Current groupedConvMethods: ${JSON.stringify(groupedConvMethods)}`);
}

await main();
