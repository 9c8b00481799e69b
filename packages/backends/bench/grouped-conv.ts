// `pnpm bench:grouped-conv`: times each way @se/core's groupedConv2d can compute a grouped
// convolution (split/concat, block-diagonal dense kernel, depthwise + sum, im2col + batched
// matrix product), forward and forward + backward, at the grouped 3×3 layers of SE-ResNeXt-50,
// on tfjs's `cpu` backend and on `wasm` with SE Zoo's kernels, and writes the table to
// benchmarks/grouped-conv/. Each backend runs in its own Node process.
//
//   node packages/backends/dist/bench/grouped-conv.js [--backends cpu,wasm] [--batch 8]
//     [--cpu-batch 1] [--seconds 6] [--threads 1] [--out benchmarks/grouped-conv]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setBackend } from '@se/backends';
import {
  GROUPED_CONV_METHODS,
  type GroupedConvMethod,
  groupedConv2d,
  groupedConvMethods,
} from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { GROUPED_SHAPES, GROUPS, groupedLayerInput } from './grouped-shapes.js';

/** One measured cell. */
interface Cell {
  backend: string;
  threads: number;
  batch: number;
  layer: string;
  input: number[];
  kernel: number[];
  stride: number;
  method: GroupedConvMethod;
  /** Forward ms (best of the runs), or null when skipped for time. */
  forwardMs: number | null;
  /** Forward + gradients of input and kernel, ms (best of the runs), or null when skipped. */
  backwardMs: number | null;
  /** Why a figure is missing. */
  note?: string;
  runs: number;
}

const here = dirname(fileURLToPath(import.meta.url));

function argument(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** Best of up to 5 runs after one warm-up, within about `seconds` (the minimum is the least disturbed). */
function time(f: () => tf.Tensor | tf.Tensor[], seconds: number): { ms: number; runs: number } {
  let t = performance.now();
  tf.dispose(f());
  const first = performance.now() - t;
  const runs = Math.max(1, Math.min(5, Math.floor((seconds * 1000) / Math.max(first, 1))));
  let best = runs === 1 ? first : Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs - (runs === 1 ? 1 : 0); i++) {
    t = performance.now();
    tf.dispose(f());
    best = Math.min(best, performance.now() - t);
  }
  return { ms: best, runs };
}

/** Measures every shape and method on one backend, in this process. */
async function measure(backend: 'cpu' | 'wasm', batch: number, seconds: number, threads: number) {
  const info = await setBackend(backend, { threads, quiet: true });
  tf.enableProdMode();
  const cells: Cell[] = [];
  for (const shape of GROUPED_SHAPES) {
    const { channels, stride } = shape;
    const { inSize, padding } = groupedLayerInput(shape);
    const x = tf.randomNormal([batch, inSize, inSize, channels]) as tf.Tensor4D;
    const k = tf.randomNormal([3, 3, channels / GROUPS, channels], 0, 0.1) as tf.Tensor4D;
    const run = (method: GroupedConvMethod, xi: tf.Tensor, ki: tf.Tensor) =>
      groupedConv2d(
        xi as tf.Tensor4D,
        ki as tf.Tensor4D,
        GROUPS,
        [stride, stride],
        padding,
        [1, 1],
        method,
      );
    const dy = tf.tidy(() => tf.randomNormal(run('split', x, k).shape));
    let bestForward = Number.POSITIVE_INFINITY;
    for (const method of GROUPED_CONV_METHODS) {
      // Fresh weights every call, as in training.
      const forward = () => tf.tidy(() => run(method, x, tf.add(k, 0)));
      const backward = () =>
        tf.tidy(() =>
          tf.grads((xi: tf.Tensor, ki: tf.Tensor) => run(method, xi, ki))([x, tf.add(k, 0)], dy),
        );
      const f = time(forward, seconds);
      bestForward = Math.min(bestForward, f.ms);
      // A method whose forward pass alone is 4× the fastest cannot win; its backward pass can
      // take minutes on the cpu backend (255 s for the block-diagonal kernel at layer2.0).
      const hopeless = f.ms > 4 * bestForward;
      const b = hopeless ? null : time(backward, seconds);
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
        ...(b ? {} : { note: 'backward not timed: forward ≥ 4× the fastest' }),
      });
      console.error(`${backend} ${shape.layer} ${method}: ${fmt(f.ms)} / ${fmt(b?.ms ?? null)} ms`);
    }
    tf.dispose([x, k, dy]);
  }
  return cells;
}

const fmt = (v: number | null) => (v == null ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

function table(cells: Cell[], kind: 'forwardMs' | 'backwardMs'): string[] {
  const lines = [
    `| backend | batch | layer | input → output channels, stride | ${GROUPED_CONV_METHODS.join(' | ')} | fastest |`,
    `| --- | ---: | --- | --- | ${GROUPED_CONV_METHODS.map(() => '---:').join(' | ')} | --- |`,
  ];
  const rows = new Map<string, Cell[]>();
  for (const c of cells)
    rows.set(`${c.backend}|${c.layer}`, [...(rows.get(`${c.backend}|${c.layer}`) ?? []), c]);
  for (const row of rows.values()) {
    const first = row[0] as Cell;
    const best = row.reduce((a, b) => ((b[kind] ?? Infinity) < (a[kind] ?? Infinity) ? b : a));
    const values = GROUPED_CONV_METHODS.map((m) => {
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
function fastest(cells: Cell[]): Record<string, GroupedConvMethod> {
  const result: Record<string, GroupedConvMethod> = {};
  for (const backend of new Set(cells.map((c) => c.backend))) {
    const totals = GROUPED_CONV_METHODS.map((m) => ({
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
    const cells = await measure(child as 'cpu' | 'wasm', batch, seconds, threads);
    process.stdout.write(JSON.stringify(cells));
    process.exit(0);
  }
  const backends = argument('backends', 'cpu,wasm').split(',');
  const batch = Number(argument('batch', '8'));
  const cpuBatch = Number(argument('cpu-batch', '1'));
  const out = resolve(argument('out', join(here, '../../../../benchmarks/grouped-conv')));
  const cells: Cell[] = [];
  for (const backend of backends) {
    const b = backend === 'cpu' ? cpuBatch : batch;
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
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 },
    );
    if (result.status !== 0) throw new Error(`the ${backend} run failed (${result.status})`);
    cells.push(...(JSON.parse(result.stdout.toString()) as Cell[]));
  }
  const versions = JSON.parse(
    readFileSync(
      join(here, '../../node_modules/@tensorflow/tfjs-backend-wasm/package.json'),
      'utf8',
    ),
  ) as { version: string };
  const report = {
    date: new Date().toISOString(),
    machine: `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, no GPU`,
    node: process.version,
    tfjs: versions.version,
    groups: GROUPS,
    wasmThreads: threads,
    timing: 'best of up to 5 runs after a warm-up, ms; fresh kernel tensor every call',
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
