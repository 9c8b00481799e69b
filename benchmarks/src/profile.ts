// `--parts profile` of the GPU benchmark (benchmarks/src/gpu-run.ts): where one training step's
// time goes, per tfjs kernel and per class of kernel, on stock tfjs-webgpu (with tfjs's momentum
// optimizer) and on SE Zoo's kernels (with its fused one, `sgdMomentum`). One step of each
// model is profiled with `tf.profile` after a warm-up step and a timed one. On webgpu, tfjs
// times each program with timestamp queries where the device has the 'timestamp-query' feature:
// GPU time, each program in its own compute pass (and submit), so that a profiled step runs
// slower than a plain one while the per-kernel times stay the GPU's. Without the feature tfjs
// reports 0 ms for every kernel (no CPU-side fallback on webgpu).
//
// `leafKernels` and `kernelTimeMs` are shared with other benchmarks (benchmarks/src/fused.ts counts the
// kernels of a step the same way).
import { registerWebGPUKernels, sgdMomentum, unregisterWebGPUKernels } from '@se/backends';
import { createModel, fusedOps, getModelInfo, type ModelName } from '@se/core';
import '@se/resnet';
import * as tf from '@tensorflow/tfjs';

/** One entry of `tf.profile`'s kernel list. */
export type ProfiledKernel = Awaited<ReturnType<typeof tf.profile>>['kernels'][number];

/**
 * The two sides of the GPU benchmark's comparisons: stock tfjs (tfjs-webgpu's kernels, autodiff of
 * BatchNorm and SE) or SE Zoo (its webgpu kernels and @se/core's fused training ops).
 */
export function useSEZoo(on: boolean): void {
  if (on) registerWebGPUKernels();
  else unregisterWebGPUKernels();
  fusedOps.batchNorm = on;
  fusedOps.squeezeExcite = on;
}

/**
 * The kernels of a `tf.profile` that ran: the entries named after a kernel registered on the
 * backend. The others are scopes around kernels that tfjs profiles too (a custom gradient's
 * forward pass, `unnamed scope`; an op built on one, `fusedConv2d__op`), whose time on webgpu is
 * the sum of the kernels inside them, which are listed as well.
 */
export function leafKernels(
  kernels: readonly ProfiledKernel[],
  backend = tf.getBackend(),
): ProfiledKernel[] {
  const registered = new Map<string, boolean>();
  return kernels.filter((k) => {
    let known = registered.get(k.name);
    if (known === undefined) {
      known = tf.getKernel(k.name, backend) != null;
      registered.set(k.name, known);
    }
    return known;
  });
}

/** A profiled kernel's time in ms (tf.profile has awaited it; an error counts as 0). */
export function kernelTimeMs(k: ProfiledKernel): number {
  return typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
}

/** The classes of kernels the profile reports, in table order. */
export const KERNEL_CLASSES = [
  'conv forward',
  'conv dW',
  'conv dX',
  'depthwise/grouped',
  'BatchNorm',
  'SE path',
  'elementwise',
  'optimizer',
  'other',
] as const;

/** One of {@link KERNEL_CLASSES}. */
export type KernelClass = (typeof KERNEL_CLASSES)[number];

/** Kernels that compute one value per element (broadcasting allowed). */
const ELEMENTWISE = new Set([
  'Abs',
  'Add',
  'AddN',
  'Cast',
  'ClipByValue',
  'Elu',
  'EluGrad',
  'Equal',
  'Exp',
  'Greater',
  'GreaterEqual',
  'LeakyRelu',
  'Less',
  'LessEqual',
  'Log',
  'LogicalAnd',
  'Maximum',
  'Minimum',
  'Multiply',
  'Neg',
  'NotEqual',
  'Pow',
  'Prelu',
  'RealDiv',
  'Reciprocal',
  'Relu',
  'Relu6',
  'Rsqrt',
  'Select',
  'Selu',
  'Sigmoid',
  'Sign',
  'Sqrt',
  'Square',
  'SquaredDifference',
  'Step',
  'Sub',
  'Tanh',
]);

const REDUCTIONS = new Set(['Sum', 'Mean', 'Max', 'Min', 'Prod']);
const MATMULS = new Set(['BatchMatMul', '_FusedMatMul']);

/** What the classifier needs to know of the workload. */
export interface StepShapes {
  batch: number;
  classes: number;
  /** Whether the model has SE blocks: without, nothing is put in the SE path. */
  se: boolean;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A feature map: [N, H, W, C] with more than one pixel. */
const isMap = (s: readonly number[], w: StepShapes) =>
  s.length === 4 && s[0] === w.batch && (s[1] as number) * (s[2] as number) > 1;

/** One value per image and channel, as SE's squeeze makes: [N, 1, 1, C], [N, C] or [1, N, C]. */
const isPerImageChannel = (s: readonly number[], w: StepShapes) =>
  (s.length === 4 && s[0] === w.batch && s[1] === 1 && s[2] === 1) ||
  (s.length === 2 && s[0] === w.batch) ||
  (s.length === 3 && s[0] === 1 && s[1] === w.batch);

/** One value per channel, as BatchNorm's statistics and parameters: [C] or [1, 1, 1, C]. */
const isPerChannel = (s: readonly number[]) =>
  s.length > 0 && size(s) > 1 && size(s) === s[s.length - 1];

/**
 * The class of one kernel of a training step, from its name and its tensors' shapes (tf.profile
 * records no attributes), an approximation: the convolutions by name (SE's excitation is two
 * dense layers, MatMuls, in @se/core's default `'dense'` form); the classifier head and the loss
 * (a tensor with `classes` values in its last axis) are `other`; MatMuls otherwise are SE's; the
 * reductions and elementwise kernels by their small operand: per image and channel ([N,1,1,C],
 * [N,C]) is the SE path (squeeze, excitation, gate, scale; the head's global pooling lands here
 * too), per channel ([C]) BatchNorm's statistics and affine. An elementwise kernel on full maps
 * only (ReLU and its gradient, the residual sum, and also the full-map products inside BN's and
 * SE's gradients) is `elementwise`. The optimizer's kernels are told apart by when they run
 * (see {@link profileStep}). Where a main-path map is 1×1 (ResNet-50's last stage at 32²), its
 * kernels look like SE's: the classes are meant for real image sizes.
 */
export function classifyKernel(
  k: Pick<ProfiledKernel, 'name' | 'inputShapes' | 'outputShapes'>,
  w: StepShapes,
): Exclude<KernelClass, 'optimizer'> {
  const shapes = [...k.inputShapes, ...k.outputShapes].filter((s): s is number[] => s != null);
  if (/Depthwise|Grouped/.test(k.name)) return 'depthwise/grouped';
  if (k.name === 'Conv2D' || k.name === 'FusedConv2D') return 'conv forward';
  if (k.name === 'Conv2DBackpropFilter') return 'conv dW';
  if (k.name === 'Conv2DBackpropInput') return 'conv dX';
  if (k.name === 'FusedBatchNorm') return 'BatchNorm';
  const head = shapes.some((s) => s.length > 0 && s[s.length - 1] === w.classes);
  if (head) return 'other';
  if (MATMULS.has(k.name)) return w.se ? 'SE path' : 'other';
  if (!ELEMENTWISE.has(k.name) && !REDUCTIONS.has(k.name)) return 'other';
  if (w.se && shapes.some((s) => isPerImageChannel(s, w))) return 'SE path';
  if (shapes.some(isPerChannel)) return 'BatchNorm';
  return shapes.some((s) => isMap(s, w)) ? 'elementwise' : 'other';
}

/** Calls and time of one kernel name, or one class, in a profiled step. */
export interface TimeShare {
  /** Kernel name, or class. */
  name: string;
  calls: number;
  /** Total time, ms. */
  ms: number;
}

/** One profiled training step. */
export interface StepProfile {
  /** Wall time of a plain (unprofiled) step, ms. */
  wallMs: number;
  /** Wall time of the profiled step, ms (each program submitted and timed on its own). */
  profiledWallMs: number;
  /** Sum of every kernel's time, ms. */
  kernelMs: number;
  /** Kernels that ran (wrapper scopes not counted). */
  calls: number;
  /** Per kernel name, the slowest first. */
  kernels: TimeShare[];
  /** Per class, in {@link KERNEL_CLASSES} order. */
  classes: TimeShare[];
}

/** One model of the profile part. */
export interface ProfileWorkload {
  name: string;
  size: number;
  batch: number;
  classes: number;
}

/** One model's profile, stock and ours. */
export interface ProfileRow extends ProfileWorkload {
  /** How tfjs timed the kernels: on the GPU (timestamp queries), or not at all (all 0 ms). */
  timing: 'gpu timestamps' | 'none';
  stock: StepProfile | null;
  ours: StepProfile | null;
  error?: string;
}

/** The models the profile part runs. */
export function profileWorkloads(smoke: boolean): ProfileWorkload[] {
  return [
    { name: 'seresnet50', size: smoke ? 32 : 224, batch: smoke ? 2 : 64, classes: 1000 },
    { name: 'resnet50', size: smoke ? 32 : 224, batch: smoke ? 2 : 64, classes: 1000 },
    { name: 'seresnet20', size: 32, batch: smoke ? 8 : 128, classes: 10 },
  ];
}

/** Sums `kernels` per kernel name (slowest first) and per class. */
function summarise(
  kernels: readonly ProfiledKernel[],
  optimizerFrom: number,
  w: StepShapes,
): Omit<StepProfile, 'wallMs' | 'profiledWallMs'> {
  const byName = new Map<string, TimeShare>();
  const byClass = new Map<string, TimeShare>(
    KERNEL_CLASSES.map((c) => [c, { name: c, calls: 0, ms: 0 }]),
  );
  let kernelMs = 0;
  kernels.forEach((k, i) => {
    const ms = kernelTimeMs(k);
    kernelMs += ms;
    const named = byName.get(k.name) ?? { name: k.name, calls: 0, ms: 0 };
    named.calls++;
    named.ms += ms;
    byName.set(k.name, named);
    const c = byClass.get(i >= optimizerFrom ? 'optimizer' : classifyKernel(k, w)) as TimeShare;
    c.calls++;
    c.ms += ms;
  });
  return {
    kernelMs,
    calls: kernels.length,
    kernels: [...byName.values()].sort((a, b) => b.ms - a.ms || b.calls - a.calls),
    classes: [...byClass.values()],
  };
}

/**
 * Profiles one training step (`step`, a `trainOnBatch` of a model compiled with `optimizer`): the
 * kernels from the optimizer's `applyGradients` on are its update.
 */
export async function profileStep(
  step: () => Promise<unknown>,
  optimizer: tf.Optimizer,
  w: StepShapes,
): Promise<Omit<StepProfile, 'wallMs'>> {
  const engine = tf.engine();
  let optimizerFrom = Number.POSITIVE_INFINITY;
  const apply = optimizer.applyGradients;
  optimizer.applyGradients = (grads) => {
    optimizerFrom = engine.state.activeProfile.kernels.length;
    return apply.call(optimizer, grads);
  };
  try {
    const t0 = performance.now();
    const info = await tf.profile(async () => {
      await step();
    });
    const profiledWallMs = performance.now() - t0;
    // The optimizer's index among all entries, turned into one among the leaves.
    const all = info.kernels;
    const leaves = leafKernels(all);
    const leafSet = new Set(leaves);
    const leafOptimizerFrom = all.slice(0, optimizerFrom).filter((k) => leafSet.has(k)).length;
    return { profiledWallMs, ...summarise(leaves, leafOptimizerFrom, w) };
  } finally {
    optimizer.applyGradients = apply;
  }
}

/** The time tfjs measures on webgpu: GPU time where the device can write timestamps. */
function timing(): ProfileRow['timing'] {
  const backend = tf.backend() as { supportTimestampQuery?: boolean };
  return backend.supportTimestampQuery ? 'gpu timestamps' : 'none';
}

/**
 * Profiles one training step of `w` (SGD with momentum, as the `models` part trains) on stock
 * tfjs-webgpu with `tf.train.momentum`, then on SE Zoo's kernels with `sgdMomentum`: each after
 * a warm-up step and a timed plain step. Leaves SE Zoo's kernels registered.
 */
export async function profileModel(w: ProfileWorkload): Promise<ProfileRow> {
  const row: ProfileRow = { ...w, timing: timing(), stock: null, ours: null };
  const model = createModel(w.name as ModelName, {
    inputShape: [w.size, w.size, 3],
    classes: w.classes,
  });
  const x = tf.randomNormal([w.batch, w.size, w.size, 3]);
  const shapes: StepShapes = {
    batch: w.batch,
    classes: w.classes,
    se: getModelInfo(w.name as ModelName).se,
  };
  const y = tf.oneHot(tf.randomUniform([w.batch], 0, w.classes, 'int32') as tf.Tensor1D, w.classes);
  // As the models part: stock tfjs with its momentum optimizer (4 kernels per weight), SE Zoo's
  // kernels with its fused one (one SEZooSgdMomentum kernel per weight).
  const stockOptimizer = tf.train.momentum(0.01, 0.9);
  const oursOptimizer = sgdMomentum({ learningRate: 0.01, momentum: 0.9 });
  const step = () => model.trainOnBatch(x, y);
  const run = async (optimizer: tf.Optimizer): Promise<StepProfile> => {
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    await step(); // warm-up: shaders compile
    const t0 = performance.now();
    await step(); // trainOnBatch reads the loss back, so the GPU is done when it resolves
    const wallMs = performance.now() - t0;
    return { wallMs, ...(await profileStep(step, optimizer, shapes)) };
  };
  try {
    useSEZoo(false);
    row.stock = await run(stockOptimizer);
    useSEZoo(true);
    row.ours = await run(oursOptimizer);
  } catch (e) {
    row.error = String(e).split('\n')[0];
  } finally {
    useSEZoo(true);
    model.dispose();
    stockOptimizer.dispose();
    oursOptimizer.dispose();
    tf.dispose([x, y]);
  }
  const f = (p: StepProfile | null) =>
    p
      ? `step ${p.wallMs.toFixed(0)} ms, kernels ${p.kernelMs.toFixed(0)} ms in ${p.calls} calls (${p.kernels
          .slice(0, 3)
          .map((k) => `${k.name} ${k.ms.toFixed(0)}`)
          .join(', ')})`
      : '–';
  console.log(
    `profile ${w.name} ${w.size}² batch ${w.batch} (${row.timing}): stock ${f(row.stock)}; ours ${f(row.ours)}${row.error ? ` (${row.error})` : ''}`,
  );
  return row;
}

const ms = (v: number | undefined) => (v == null ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(0));
const pct = (part: number | undefined, whole: number | undefined) =>
  part == null || !whole ? '–' : `${((100 * part) / whole).toFixed(1)}%`;

/** How many kernel names each model's table lists (the rest summed in one row). */
const TOP = 25;

/** The profile part's tables, in Markdown. */
export function profileTables(rows: readonly ProfileRow[]): string[] {
  if (rows.length === 0) return [];
  const lines = [
    `Where a training step's time goes (SGD with momentum: stock with tfjs's kernels and \`tf.train.momentum\`, SE Zoo with its kernels and \`fusedMomentum\`; \`--parts profile\`): one step per model profiled with \`tf.profile\` after a warm-up step; kernel times: ${[...new Set(rows.map((r) => r.timing))].join(', ')} (tfjs-webgpu times each program on the device with timestamp queries, each in a pass of its own). *step*: wall time of a plain step; *kernels*: the sum of the kernels' times, and its ratio to the step (below 100%: the rest is the CPU's side of dispatch and waits; above: the profiled kernels, each run alone, lost the overlap of a plain step); *calls*: tfjs kernels, Identity and Reshape (no launch) included. Per class (by kernel name and operand shapes, see benchmarks/src/profile.ts): ms, and share of the step.`,
    '',
    `| model | kernels of | step ms | kernels ms | kernels ÷ step | calls | ${KERNEL_CLASSES.join(' | ')} |`,
    `| --- | --- | --: | --: | --: | --: | ${KERNEL_CLASSES.map(() => '--:').join(' | ')} |`,
  ];
  for (const r of rows) {
    for (const [variant, p] of [
      ['stock', r.stock],
      ['SE Zoo', r.ours],
    ] as const) {
      const classes = KERNEL_CLASSES.map((c) => {
        const t = p?.classes.find((k) => k.name === c);
        return t?.calls ? `${ms(t.ms)} (${pct(t.ms, p?.wallMs)})` : '–';
      });
      lines.push(
        `| ${r.name} ${r.size}²×${r.batch} | ${variant} | ${ms(p?.wallMs)} | ${ms(p?.kernelMs)} | ${pct(p?.kernelMs, p?.wallMs)} | ${p?.calls ?? '–'} | ${classes.join(' | ')} |${r.error ? ` ${r.error}` : ''}`,
      );
    }
  }
  for (const r of rows) {
    const ours = r.ours?.kernels ?? [];
    const stock = r.stock?.kernels ?? [];
    const names = [...new Set([...ours, ...stock].map((k) => k.name))];
    const time = (list: TimeShare[], name: string) => list.find((k) => k.name === name);
    // SE Zoo's step first: what limits it is the question; then stock's order.
    names.sort(
      (a, b) =>
        (time(ours, b)?.ms ?? 0) - (time(ours, a)?.ms ?? 0) ||
        (time(stock, b)?.ms ?? 0) - (time(stock, a)?.ms ?? 0),
    );
    lines.push(
      '',
      `${r.name} ${r.size}², batch ${r.batch}: per kernel, the slowest (with SE Zoo's kernels) first; ms and share of the step's kernel time.`,
      '',
      '| kernel | calls | stock ms | stock % | SE Zoo ms | SE Zoo % |',
      '| --- | --: | --: | --: | --: | --: |',
    );
    let [restStockCalls, restOursCalls, restStockMs, restOursMs] = [0, 0, 0, 0];
    names.forEach((name, i) => {
      const s = time(stock, name);
      const o = time(ours, name);
      if (i >= TOP) {
        restStockCalls += s?.calls ?? 0;
        restOursCalls += o?.calls ?? 0;
        restStockMs += s?.ms ?? 0;
        restOursMs += o?.ms ?? 0;
        return;
      }
      const calls = s && o && s.calls !== o.calls ? `${s.calls} / ${o.calls}` : (o ?? s)?.calls;
      lines.push(
        `| ${name} | ${calls} | ${ms(s?.ms)} | ${pct(s?.ms, r.stock?.kernelMs)} | ${ms(o?.ms)} | ${pct(o?.ms, r.ours?.kernelMs)} |`,
      );
    });
    if (names.length > TOP) {
      lines.push(
        `| ${names.length - TOP} others | ${restStockCalls} / ${restOursCalls} | ${ms(restStockMs)} | ${pct(restStockMs, r.stock?.kernelMs)} | ${ms(restOursMs)} | ${pct(restOursMs, r.ours?.kernelMs)} |`,
      );
    }
  }
  return [lines.join('\n')];
}
