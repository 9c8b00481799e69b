// `pnpm --filter @se/benchmarks vs-pytorch`: SE Zoo (wasm with @se/backends' kernels) against
// PyTorch on the same CPU, same models, same batches, same thread count. Both are long-lived
// processes (this one, and benchmarks/src/cpu_reference.py under a system Python with torch)
// stepped alternately, never at the same time: each round PyTorch runs --steps steps, then SE Zoo
// does. Writes vs-pytorch.json to --out and prints a markdown table.
//
//   node benchmarks/dist/cpu-vs-pytorch.js [--workloads seresnet20-train,…] [--rounds 5]
//     [--steps 5] [--threads 2] [--python /usr/bin/python3] [--out benchmarks/cpu]
//
// PyTorch is not a dependency of the project (Debian's python3-torch is enough). Its
// channels_last layout is tried off and on in one calibration round per workload; the faster is
// kept. SE Zoo's training step is the CLI's (apps/bench createTrainingStep: tf.variableGrads of
// softmax cross-entropy on the logits, then @se/backends' SGD with momentum); its inference is
// `model.predict` on the whole batch (one batch: tfjs would otherwise split it into 32s).
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type SgdMomentum, setBackend, sgdMomentum } from '@se/backends';
import { countParams, createModel, type ModelName } from '@se/core';
import '@se/resnet';
import * as tf from '@tensorflow/tfjs';
import { argument } from './args.js';

/** One row of the comparison: a model, an image size, a batch, training or inference. */
interface Workload {
  id: string;
  model: 'resnet20' | 'seresnet20' | 'seresnet50';
  image: [number, number, number];
  batch: number;
  mode: 'train' | 'infer';
}

const FASHION: [number, number, number] = [28, 28, 1];
const SMALL_IMAGENET: [number, number, number] = [64, 64, 3];

/** The workloads of the issue "CPU training at the machine's limit". */
const WORKLOADS: Workload[] = [
  { id: 'resnet20-train', model: 'resnet20', image: FASHION, batch: 64, mode: 'train' },
  { id: 'seresnet20-train', model: 'seresnet20', image: FASHION, batch: 64, mode: 'train' },
  { id: 'resnet20-infer', model: 'resnet20', image: FASHION, batch: 256, mode: 'infer' },
  { id: 'seresnet20-infer', model: 'seresnet20', image: FASHION, batch: 256, mode: 'infer' },
  { id: 'seresnet50-train', model: 'seresnet50', image: SMALL_IMAGENET, batch: 16, mode: 'train' },
  { id: 'seresnet50-infer', model: 'seresnet50', image: SMALL_IMAGENET, batch: 16, mode: 'infer' },
];

const CLASSES = 10;
/** Warm-up steps after building, on both sides (cpu_reference.py does 2 in `build`). */
const WARMUP = 2;
/** Pause between the two systems' turns, so that the other's thread pool has gone idle. */
const SETTLE_MS = 100;

const here = dirname(fileURLToPath(import.meta.url));
const REFERENCE = join(here, '../src/cpu_reference.py');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Busy CPU time of the whole machine in ms (Linux /proc/stat, USER_HZ 100), or null elsewhere. */
function machineBusyMs(): number | null {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user, nice, system, [idle, iowait], irq, softirq, steal
    const busy = [0, 1, 2, 5, 6, 7].reduce((sum, i) => sum + (fields[i] ?? 0), 0);
    return Number.isFinite(busy) ? busy * 10 : null;
  } catch {
    return null;
  }
}

/** This process's CPU time in ms (every thread, wasm workers included). */
function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Runs one turn and says how many cores other processes kept busy meanwhile: the machine's
 * busy time less this process's and `reportedCpuMs` (the PyTorch process's own), over the wall
 * time. Null where /proc/stat cannot be read.
 */
async function measureTurn<T>(
  turn: () => Promise<T>,
  reportedCpuMs: (result: T) => number,
): Promise<{ result: T; otherCores: number | null }> {
  const busy = machineBusyMs();
  const own = ownCpuMs();
  const start = performance.now();
  const result = await turn();
  const wall = performance.now() - start;
  const busyAfter = machineBusyMs();
  const ours = ownCpuMs() - own + reportedCpuMs(result);
  const otherCores =
    busy == null || busyAfter == null ? null : Math.max(0, (busyAfter - busy - ours) / wall);
  return { result, otherCores };
}

/** Fails clearly when `python` cannot import torch; its torch version otherwise. */
function checkTorch(python: string): string {
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], {
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0) {
    const why = r.error
      ? r.error.message
      : (r.stderr.trim().split('\n').pop() ?? `exit status ${r.status}`);
    throw new Error(
      `${python} -c "import torch" failed (${why}).\n` +
        'This benchmark compares against PyTorch on the CPU: on Debian/Ubuntu, ' +
        '`apt-get install python3-torch` provides it (or pass --python with an interpreter that has torch).',
    );
  }
  return r.stdout.trim();
}

interface SetupAnswer {
  torch: string;
  threads: number;
  interopThreads: number;
  mkldnn: boolean;
  parallelInfo: string;
}

interface BuildAnswer {
  key: string;
  params: number;
  runningStats: number;
  buildMs: number;
  warmupMs: number[];
}

/** The PyTorch process: one JSON request per line, one JSON answer per line. */
class Reference {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: { done: (line: string) => void; fail: (e: Error) => void }[] = [];
  private stderr = '';
  private ended: string | null = null;

  constructor(python: string) {
    this.child = spawn(python, [REFERENCE], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.waiting.shift()?.done(line);
    });
    this.child.stderr.on('data', (d) => {
      this.stderr = (this.stderr + String(d)).slice(-4000);
    });
    const end = (why: string) => {
      this.ended = why;
      const error = new Error(`PyTorch process ${why}${this.stderr ? `:\n${this.stderr}` : ''}`);
      for (const w of this.waiting.splice(0)) w.fail(error);
    };
    this.child.on('error', (e) => end(`failed: ${e.message}`));
    this.child.on('exit', (code, signal) => end(`exited (${signal ?? `status ${code}`})`));
  }

  async request<T>(request: Record<string, unknown>): Promise<T> {
    if (this.ended) throw new Error(`PyTorch process ${this.ended}`);
    const line = await new Promise<string>((done, fail) => {
      this.waiting.push({ done, fail });
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
    const answer = JSON.parse(line) as T & { error?: string };
    if (answer.error) throw new Error(`PyTorch ${String(request.op)}: ${answer.error}`);
    return answer;
  }

  async close(): Promise<void> {
    if (this.ended) return;
    const exited = new Promise((done) => this.child.once('exit', done));
    this.child.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`);
    await exited;
  }
}

/** An SE Zoo workload, built and warmed up. */
interface SeZooRun {
  step: () => Promise<void>;
  /** Parameters as PyTorch counts them (no BN running statistics). */
  params: number;
  /** tfjs's `model.countParams()`: with the BN running statistics. */
  tfjsParams: number;
  dispose: () => void;
}

/**
 * The CLI's training step (apps/bench/src/train/trainer.ts `createTrainingStep`): the gradients
 * of softmax cross-entropy on the logits of `model.apply(x, { training: true })`, the hit count
 * from the same logits, then the optimizer's per-weight update.
 */
function createTrainingStep(model: tf.LayersModel, optimizer: SgdMomentum) {
  const weights = model.trainableWeights;
  const variables = weights.map((w) => w.read() as tf.Variable);
  return (batch: { x: tf.Tensor; y: tf.Tensor }) => {
    let hits: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(batch.x, { training: true }) as tf.Tensor2D;
      hits = tf.keep(
        tf.sum<tf.Scalar>(
          tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(batch.y, 1)), 'float32'),
        ),
      );
      return tf.losses.softmaxCrossEntropy(batch.y, logits) as tf.Scalar;
    }, variables);
    optimizer.step(weights, grads);
    tf.dispose(grads);
    return { loss: value as tf.Scalar, hits: hits as tf.Scalar };
  };
}

async function buildSeZoo(w: Workload): Promise<SeZooRun> {
  const model = createModel(w.model as ModelName, {
    inputShape: w.image,
    classes: CLASSES,
    classifierActivation: 'linear',
  });
  const x = tf.randomNormal([w.batch, ...w.image], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([w.batch], 0, CLASSES, 'int32', 2), CLASSES);
  let step: () => Promise<void>;
  let optimizer: SgdMomentum | null = null;
  if (w.mode === 'train') {
    const sgd = sgdMomentum({ learningRate: 0.01, momentum: 0.9 });
    optimizer = sgd;
    const trainingStep = createTrainingStep(model, sgd);
    step = async () => {
      const { loss, hits } = trainingStep({ x, y });
      await Promise.all([loss.data(), hits.data()]);
      tf.dispose([loss, hits]);
    };
  } else {
    step = async () => {
      const logits = model.predict(x, { batchSize: w.batch }) as tf.Tensor;
      await logits.data();
      logits.dispose();
    };
  }
  for (let i = 0; i < WARMUP; i++) await step();
  return {
    step,
    params: countParams(model),
    tfjsParams: model.countParams(),
    dispose: () => {
      optimizer?.dispose();
      model.dispose();
      tf.dispose([x, y]);
    },
  };
}

async function timeSteps(step: () => Promise<void>, steps: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await step();
    times.push(performance.now() - t);
  }
  return times;
}

/** What one workload measured. */
interface WorkloadResult extends Workload {
  params: { sezoo: number; pytorch: number; sezooTfjs: number; pytorchWithRunningStats: number };
  /** PyTorch's calibration round: each layout's step times (ms), and the layout kept. */
  calibration: { channelsLastOff: number[]; channelsLastOn: number[] };
  channelsLast: boolean;
  /**
   * Each round: the load average before it, the step times, and the cores other processes kept
   * busy during each system's turn (from /proc/stat; null where unavailable).
   */
  rounds: {
    loadavg: number;
    pytorchMs: number[];
    sezooMs: number[];
    otherCores: { pytorch: number | null; sezoo: number | null };
  }[];
  pytorch: { medianMs: number; imagesPerSecond: number };
  sezoo: { medianMs: number; imagesPerSecond: number };
  /** SE Zoo's images/s over PyTorch's (above 1: SE Zoo is faster). */
  ratio: number;
  loadavg: { min: number; max: number };
  /** Most cores other processes kept busy during any timed turn (null: not measured). */
  otherCoresMax: number | null;
}

async function runWorkload(
  w: Workload,
  torch: Reference,
  rounds: number,
  steps: number,
): Promise<WorkloadResult> {
  const request = {
    model: w.model,
    image: w.image,
    classes: CLASSES,
    batch: w.batch,
    mode: w.mode,
  };
  const key = (on: boolean) => `${w.id}/${on ? 'channels_last' : 'contiguous'}`;
  const built: BuildAnswer[] = [];
  for (const on of [false, true]) {
    built.push(
      await torch.request<BuildAnswer>({
        op: 'build',
        key: key(on),
        ...request,
        channels_last: on,
      }),
    );
  }
  const ours = await buildSeZoo(w);
  try {
    const theirs = built[0] as BuildAnswer;
    if (ours.params !== theirs.params || ours.tfjsParams !== theirs.params + theirs.runningStats) {
      throw new Error(
        `${w.model}: the models differ — SE Zoo ${ours.params} parameters (${ours.tfjsParams} with ` +
          `BN running statistics), PyTorch ${theirs.params} (${theirs.params + theirs.runningStats})`,
      );
    }
    // Calibration: one round of each PyTorch layout; the faster is kept for the timed rounds.
    const calibration = { channelsLastOff: [] as number[], channelsLastOn: [] as number[] };
    calibration.channelsLastOff = (
      await torch.request<{ times: number[] }>({ op: 'run', key: key(false), steps })
    ).times;
    calibration.channelsLastOn = (
      await torch.request<{ times: number[] }>({ op: 'run', key: key(true), steps })
    ).times;
    const channelsLast = median(calibration.channelsLastOn) < median(calibration.channelsLastOff);
    await torch.request({ op: 'free', key: key(!channelsLast) });
    await sleep(SETTLE_MS);

    const results: WorkloadResult['rounds'] = [];
    for (let r = 0; r < rounds; r++) {
      const load = loadavg()[0] ?? Number.NaN;
      const theirTurn = await measureTurn(
        () =>
          torch.request<{ times: number[]; cpuMs: number }>({
            op: 'run',
            key: key(channelsLast),
            steps,
          }),
        (answer) => answer.cpuMs,
      );
      await sleep(SETTLE_MS);
      const ourTurn = await measureTurn(
        () => timeSteps(ours.step, steps),
        () => 0,
      );
      await sleep(SETTLE_MS);
      results.push({
        loadavg: load,
        pytorchMs: theirTurn.result.times,
        sezooMs: ourTurn.result,
        otherCores: { pytorch: theirTurn.otherCores, sezoo: ourTurn.otherCores },
      });
    }
    await torch.request({ op: 'free', key: key(channelsLast) });
    const pytorchMs = median(results.flatMap((r) => r.pytorchMs));
    const sezooMs = median(results.flatMap((r) => r.sezooMs));
    const loads = results.map((r) => r.loadavg);
    const others = results
      .flatMap((r) => [r.otherCores.pytorch, r.otherCores.sezoo])
      .filter((v): v is number => v != null);
    return {
      ...w,
      params: {
        sezoo: ours.params,
        pytorch: theirs.params,
        sezooTfjs: ours.tfjsParams,
        pytorchWithRunningStats: theirs.params + theirs.runningStats,
      },
      calibration,
      channelsLast,
      rounds: results,
      pytorch: { medianMs: pytorchMs, imagesPerSecond: (w.batch * 1000) / pytorchMs },
      sezoo: { medianMs: sezooMs, imagesPerSecond: (w.batch * 1000) / sezooMs },
      ratio: pytorchMs / sezooMs,
      loadavg: { min: Math.min(...loads), max: Math.max(...loads) },
      otherCoresMax: others.length ? Math.max(...others) : null,
    };
  } finally {
    ours.dispose();
  }
}

const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

function describe(w: Workload): string {
  return `${w.model} ${w.mode === 'train' ? 'training' : 'inference'}, ${w.image.join('×')}, batch ${w.batch}`;
}

async function main() {
  const threads = Number(argument('threads', '2'));
  const rounds = Math.max(1, Number(argument('rounds', '5')));
  const steps = Math.max(1, Number(argument('steps', '5')));
  const python = argument('python', '/usr/bin/python3');
  const out = resolve(argument('out', join(here, '../cpu')));
  const wanted = argument('workloads', WORKLOADS.map((w) => w.id).join(',')).split(',');
  const unknown = wanted.filter((id) => !WORKLOADS.some((w) => w.id === id));
  if (unknown.length) {
    throw new Error(
      `unknown workload ${unknown.join(', ')}: --workloads takes ${WORKLOADS.map((w) => w.id).join(', ')}`,
    );
  }
  if (!Number.isInteger(threads) || threads < 1) throw new Error('--threads: a positive integer');
  const workloads = WORKLOADS.filter((w) => wanted.includes(w.id));

  checkTorch(python);
  const torch = new Reference(python);
  try {
    const setup = await torch.request<SetupAnswer>({ op: 'setup', threads });
    tf.enableProdMode();
    const backend = await setBackend('auto', { threads, quiet: true });
    const cpu = cpus()[0]?.model.trim() ?? 'CPU';
    const cores = availableParallelism();
    console.log(
      `SE Zoo vs PyTorch on the CPU — ${cpu}, ${cores} cores, Node ${process.version}, ` +
        `torch ${setup.torch}`,
    );
    console.log(
      `SE Zoo: ${backend.name} (${backend.threads} threads${backend.simd ? ', SIMD' : ''}); ` +
        `PyTorch: ${setup.threads} threads, ${setup.interopThreads} inter-op, ` +
        `oneDNN ${setup.mkldnn ? 'on' : 'off'}; ${rounds} round${rounds === 1 ? '' : 's'} × ${steps} step${steps === 1 ? '' : 's'}, alternating`,
    );
    if (backend.name !== 'wasm') {
      console.log(`warning: setBackend('auto') chose ${backend.name}, not wasm`);
    }
    if (setup.threads !== threads || backend.threads !== threads) {
      console.log(
        `warning: asked for ${threads} threads; PyTorch has ${setup.threads}, SE Zoo ${backend.threads}`,
      );
    }

    const results: WorkloadResult[] = [];
    for (const w of workloads) {
      const r = await runWorkload(w, torch, rounds, steps);
      results.push(r);
      console.log(
        `  ${describe(w)}: PyTorch ${fmt(r.pytorch.medianMs)} ms/step` +
          ` (channels_last ${r.channelsLast ? 'on' : 'off'}), SE Zoo ${fmt(r.sezoo.medianMs)} ms/step;` +
          ` ${r.params.sezoo} parameters on both sides` +
          (r.otherCoresMax == null
            ? ''
            : `; other processes kept up to ${fmt(r.otherCoresMax, 2)} cores busy meanwhile`),
      );
    }

    console.log('');
    console.log('| workload | PyTorch img/s | SE Zoo img/s | SE Zoo / PyTorch | load avg |');
    console.log('| --- | ---: | ---: | ---: | --- |');
    for (const r of results) {
      const layout = r.channelsLast ? ' (channels_last)' : '';
      console.log(
        `| ${describe(r)} | ${fmt(r.pytorch.imagesPerSecond)}${layout} | ${fmt(r.sezoo.imagesPerSecond)} | ` +
          `${fmt(r.ratio, 2)}× | ${fmt(r.loadavg.min, 2)}–${fmt(r.loadavg.max, 2)} |`,
      );
    }

    mkdirSync(out, { recursive: true });
    const file = join(out, 'vs-pytorch.json');
    const result = {
      date: new Date().toISOString(),
      machine: { cpu, cores, node: process.version, torch: setup.torch },
      threads,
      sezoo: { backend: backend.name, threads: backend.threads, simd: backend.simd },
      pytorch: {
        threads: setup.threads,
        interopThreads: setup.interopThreads,
        mkldnn: setup.mkldnn,
        parallelInfo: setup.parallelInfo,
      },
      protocol: {
        rounds,
        steps,
        warmup: WARMUP,
        settleMs: SETTLE_MS,
        order: 'each round: PyTorch steps, then SE Zoo steps (never concurrently)',
        train:
          'forward, softmax cross-entropy, backward, SGD momentum 0.9 lr 0.01; SE Zoo: the CLI step (variableGrads + @se/backends sgdMomentum), PyTorch: torch.optim.SGD, zero_grad(set_to_none=True)',
        infer: 'SE Zoo: model.predict on the whole batch; PyTorch: eval() + no_grad() forward',
        dtype: 'float32',
        ratio: 'SE Zoo images/s over PyTorch images/s',
        loadavg: "os.loadavg()[0] before each round (this benchmark's own threads included)",
        otherCores:
          "cores other processes kept busy during each turn: /proc/stat busy time less both benchmark processes' CPU time, over the turn's wall time",
      },
      workloads: results,
    };
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote ${file}`);
  } finally {
    await torch.close();
  }
}

try {
  await main();
  process.exit(0);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
