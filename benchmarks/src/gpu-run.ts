// The GPU benchmark (loaded by benchmarks/src/gpu.ts once WebGPU exists): stock tfjs-webgpu against SE
// Zoo's webgpu kernels, in one process, on
//   1. the convolution gradients at SE-ResNet-50's real layer shapes (224², batch 64): time and
//      TFLOP/s of Conv2DBackpropFilter and Conv2DBackpropInput, and how far ours is from stock;
//   2. whole models: training and inference images/s of SE-ResNet-50, ResNet-50,
//      SE-ResNeXt-50 32×4d, SE-MobileNet v1 (224², batch 64) and the CIFAR SE-ResNet-20
//      (32², batch 128); stock trains with `tf.train.momentum`, ours with `sgdMomentum`;
//   3. (`--parts grouped`) every grouped-convolution method of @se/core at SE-ResNeXt-50's grouped
//      layers, forward and backward (batch 32), to pick the fastest on WebGPU;
//   4. (`--parts profile`, benchmarks/src/profile.ts) one training step of SE-ResNet-50, ResNet-50 and
//      SE-ResNet-20, per tfjs kernel and per class of kernel, stock and ours;
// 1 and 2 next to PyTorch's figures for the same workloads (benchmarks/src/gpu_reference.py, run before this in
// the same call, `--torch FILE`). Writes <date>.json and table.md under --out.
//
//   node app.mjs --plan FILE [--smoke]          write the workloads (for gpu_reference.py), exit
//   node app.mjs --out DIR [--torch FILE] [--smoke] [--parts kernels,models,grouped,profile]
//     [--models a,b]
//     [--tile auto|64x64|128x128] [--target-workgroups N]   (GEMM tuning of SE Zoo's kernels)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createModel, type ModelName } from '@se/core';
import '@se/mobilenet';
import '@se/resnet';
import '@se/resnext';
import {
  describeBackend,
  registerWebGPUKernels,
  setBackend,
  sgdMomentum,
  unregisterWebGPUKernels,
} from '@se/backends';
import * as tf from '@tensorflow/tfjs';
import { argument } from './args.js';
import { GROUPED_SHAPES, GROUPS, groupedLayerInput } from './grouped-shapes.js';
import { GROUPED_CONV_WAYS, type GroupedConvWay, groupedConvBy } from './grouped-variants.js';
import {
  type ProfileRow,
  profileModel,
  profileTables,
  profileWorkloads,
  useSEZoo,
} from './profile.js';

const smoke = process.argv.includes('--smoke');

/** One convolution of the kernel table. */
interface ConvShape {
  name: string;
  /** NHWC input (padding already applied: explicit `pad` below). */
  input: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  /** [top, bottom, left, right]. */
  pad: [number, number, number, number];
  /** How many layers of the model have this shape. */
  count: number;
  /** A depthwise convolution (filter [kh, kw, C, multiplier]): only its filter gradient is ours. */
  depthwise?: boolean;
}

/** One model workload. */
interface ModelWorkload {
  name: string;
  size: number;
  batch: number;
  classes: number;
}

const MODELS: ModelWorkload[] = smoke
  ? [{ name: 'seresnet20', size: 32, batch: 8, classes: 10 }]
  : [
      { name: 'seresnet50', size: 224, batch: 64, classes: 1000 },
      { name: 'resnet50', size: 224, batch: 64, classes: 1000 },
      { name: 'seresnext50_32x4d', size: 224, batch: 64, classes: 1000 },
      { name: 'se_mobilenetv1_100', size: 224, batch: 64, classes: 1000 },
      { name: 'seresnet20', size: 32, batch: 128, classes: 10 },
    ];

/**
 * The distinct spatial convolutions of a model (SE's 1×1 convs on 1×1 maps left out): its dense
 * convolutions, or its depthwise ones (@se/core's GroupedConv2D with one group per channel).
 */
function convShapes(model = 'seresnet50', kind: 'Conv2D' | 'depthwise' = 'Conv2D'): ConvShape[] {
  const [size, batch] = smoke ? [32, 2] : [224, 64];
  const net = createModel(model as ModelName, { inputShape: [size, size, 3], classes: 1000 });
  const shapes = new Map<string, ConvShape>();
  const depthwise = kind === 'depthwise';
  for (const layer of net.layers) {
    const config = layer.getConfig() as {
      kernelSize: number | number[];
      strides: number | number[];
      padding: 'same' | 'valid';
      filters: number;
      groups?: number;
    };
    const [, h, w, cin] = Array.isArray(layer.input) ? [] : (layer.input.shape as number[]);
    if (!h || !w || !cin || h === 1) continue;
    const isDepthwise = layer.getClassName() === 'GroupedConv2D' && config.groups === cin;
    if (depthwise ? !isDepthwise : layer.getClassName() !== 'Conv2D') continue;
    const [kh, kw] = [config.kernelSize].flat() as [number, number?];
    const stride = [config.strides].flat()[0] as number;
    const cout = depthwise ? config.filters / cin : config.filters;
    const info = tf.backend_util.computeConv2DInfo(
      [batch, h, w, cin],
      [kh, kw ?? kh, cin, cout],
      stride,
      1,
      config.padding,
      undefined,
      depthwise,
    );
    const { top, bottom, left, right } = info.padInfo;
    const key = [h, w, cin, kh, kw ?? kh, cout, stride, top, bottom, left, right].join('_');
    const known = shapes.get(key);
    if (known) {
      known.count++;
      continue;
    }
    shapes.set(key, {
      name: depthwise
        ? `dw ${h}²×${cin} ${kh}×${kw ?? kh}${stride > 1 ? ` /${stride}` : ''}`
        : `${h}²×${cin} → ${kh}×${kw ?? kh}×${cout}${stride > 1 ? ` /${stride}` : ''}`,
      input: [batch, h, w, cin],
      filter: [kh, kw ?? kh, cin, cout],
      stride,
      pad: [top, bottom, left, right],
      count: 1,
      ...(depthwise ? { depthwise } : {}),
    });
  }
  net.dispose();
  const all = [...shapes.values()];
  return smoke ? all.slice(0, depthwise ? 2 : 4) : all;
}

/** Every kernel workload: SE-ResNet-50's convolutions, then SE-MobileNet's depthwise ones. */
function kernelShapes(): ConvShape[] {
  return [...convShapes(), ...convShapes('se_mobilenetv1_100', 'depthwise')];
}

/** Waits for everything queued before `t` by reading one element. */
async function sync(t: tf.Tensor): Promise<void> {
  const one = tf.tidy(() => tf.slice(tf.reshape(t, [-1]), [0], [1]));
  await one.data();
  one.dispose();
}

/**
 * Median time of `run` in ms: after a warm-up (shader compilation), each sample runs it enough
 * times back to back to last ≥ 20 ms, then waits for the GPU.
 */
async function timeIt(run: () => tf.Tensor, samples: number, maxSeconds: number): Promise<number> {
  let t0 = performance.now();
  const warm = run();
  await sync(warm);
  warm.dispose();
  const first = performance.now() - t0;
  t0 = performance.now();
  const again = run();
  await sync(again);
  again.dispose();
  const estimate = Math.min(first, performance.now() - t0);
  const inner = Math.max(1, Math.min(50, Math.floor(20 / Math.max(estimate, 0.01))));
  const times: number[] = [];
  const start = performance.now();
  while (
    times.length < samples &&
    (times.length < 2 || performance.now() - start < maxSeconds * 1000)
  ) {
    t0 = performance.now();
    let last: tf.Tensor | null = null;
    for (let i = 0; i < inner; i++) {
      last?.dispose();
      last = run();
    }
    await sync(last as tf.Tensor);
    (last as tf.Tensor).dispose();
    times.push((performance.now() - t0) / inner);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

interface TorchResults {
  torch: string;
  device: string;
  kernels: { name: string; filterMs: number; inputMs: number | null }[];
  models: { name: string; trainImagesPerSecond: number; inferImagesPerSecond: number }[];
}

interface KernelRow {
  name: string;
  count: number;
  gflop: number;
  filter: {
    stockMs: number | null;
    oursMs: number | null;
    torchMs: number | null;
    maxRelDiff: number | null;
  };
  input: {
    stockMs: number | null;
    oursMs: number | null;
    torchMs: number | null;
    maxRelDiff: number | null;
  };
  error?: string;
}

/** Times one shape's gradients, stock and ours, and checks ours against stock. */
async function benchKernel(s: ConvShape, torch: TorchResults | null): Promise<KernelRow> {
  {
    const [b, , , cin] = s.input;
    const [kh, kw, , mul] = s.filter;
    const cout = s.depthwise ? cin * mul : mul;
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [s.pad[0], s.pad[1]],
      [s.pad[2], s.pad[3]],
      [0, 0],
    ];
    const x = tf.randomNormal(s.input);
    const filter = tf.randomNormal(s.filter);
    const y = s.depthwise
      ? tf.depthwiseConv2d(x as tf.Tensor4D, filter as tf.Tensor4D, s.stride, pad)
      : tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, s.stride, pad);
    const dy = tf.randomNormal(y.shape);
    const [, ho, wo] = y.shape as number[];
    const flop = 2 * b * (ho as number) * (wo as number) * kh * kw * (s.depthwise ? 1 : cin) * cout;
    const attrs = { strides: s.stride, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    const dW = () =>
      tf
        .engine()
        .runKernel(
          s.depthwise ? 'DepthwiseConv2dNativeBackpropFilter' : 'Conv2DBackpropFilter',
          { x, dy },
          { ...attrs, dilations: 1, filterShape: s.filter } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor;
    const dX = () =>
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
        ...attrs,
        inputShape: s.input,
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    // The stem's input gradient is never needed in training (the image has none), and stock
    // tfjs's naive kernel takes long on it; a depthwise input gradient is stock tfjs's.
    const needInput = cin > 3 && !s.depthwise;
    const [samplesStock, samplesOurs] = smoke ? [2, 3] : [3, 10];
    unregisterWebGPUKernels();
    const stockFilterMs = await timeIt(dW, samplesStock, 10);
    const stockInputMs = needInput ? await timeIt(dX, samplesStock, 10) : null;
    const stockW = dW();
    const stockX = needInput ? dX() : null;
    registerWebGPUKernels();
    const oursFilterMs = await timeIt(dW, samplesOurs, 5);
    const oursInputMs = s.depthwise ? null : await timeIt(dX, samplesOurs, 5);
    const diff = async (a: tf.Tensor, ref: tf.Tensor) => {
      const r = tf.tidy(() => tf.div(tf.max(tf.abs(tf.sub(a, ref))), tf.max(tf.abs(ref))));
      const v = (await r.data())[0] as number;
      tf.dispose([r, a, ref]);
      return v;
    };
    const filterDiff = await diff(dW(), stockW);
    const inputDiff = stockX ? await diff(dX(), stockX) : null;
    const t = torch?.kernels.find((k) => k.name === s.name);
    const row: KernelRow = {
      name: s.name,
      count: s.count,
      gflop: flop / 1e9,
      filter: {
        stockMs: stockFilterMs,
        oursMs: oursFilterMs,
        torchMs: t?.filterMs ?? null,
        maxRelDiff: filterDiff,
      },
      input: {
        stockMs: stockInputMs,
        oursMs: oursInputMs,
        torchMs: s.depthwise ? null : (t?.inputMs ?? null),
        maxRelDiff: inputDiff,
      },
    };
    const tflops = (ms: number | null) => (ms ? (flop / ms / 1e9).toPrecision(3) : '–');
    console.log(
      `${s.name.padEnd(22)} ×${s.count}  dW stock ${stockFilterMs.toFixed(2)} ms, ours ${oursFilterMs.toFixed(2)} ms (${tflops(oursFilterMs)} TFLOP/s)  ` +
        `dX stock ${stockInputMs?.toFixed(2) ?? '–'} ms, ours ${oursInputMs?.toFixed(2) ?? '–'} ms (${tflops(oursInputMs)} TFLOP/s)  diff ${filterDiff.toExponential(1)}/${inputDiff?.toExponential(1) ?? '–'}`,
    );
    tf.dispose([x, filter, y, dy]);
    return row;
  }
}

/** Every kernel row; `save` is called after each, so that a run stopped early keeps its rows. */
async function benchKernels(
  torch: TorchResults | null,
  save: (rows: KernelRow[]) => void,
): Promise<KernelRow[]> {
  const rows: KernelRow[] = [];
  for (const s of kernelShapes()) {
    try {
      rows.push(await benchKernel(s, torch));
    } catch (e) {
      registerWebGPUKernels();
      console.log(`${s.name}: ${String(e)}`);
      rows.push({
        name: s.name,
        count: s.count,
        gflop: 0,
        filter: { stockMs: null, oursMs: null, torchMs: null, maxRelDiff: null },
        input: { stockMs: null, oursMs: null, torchMs: null, maxRelDiff: null },
        error: String(e),
      });
    }
    save(rows);
  }
  return rows;
}

/** The webgpu device, as far as catching its validation errors goes. */
interface ErrorScopes {
  pushErrorScope(filter: 'validation'): void;
  popErrorScope(): Promise<{ message: string } | null>;
}

/**
 * Runs `f`, throwing the webgpu device's validation error if one happened meanwhile: Dawn only
 * prints those, and a shader that failed to compile leaves garbage (and a flattering time). At
 * the time of writing, tfjs-webgpu's Pad cannot compile for 6-D tensors, which the stride-2
 * gradient of the `'gemm'` method needs.
 */
async function validated<T>(f: () => Promise<T>): Promise<T> {
  const device = (tf.backend() as unknown as { device?: ErrorScopes }).device;
  device?.pushErrorScope('validation');
  const out = await f();
  const error = await device?.popErrorScope();
  if (error) throw new Error(error.message.split('\n')[0]);
  return out;
}

/** One grouped-convolution method at one of SE-ResNeXt-50's grouped layers. */
interface GroupedRow {
  layer: string;
  input: number[];
  stride: number;
  method: GroupedConvWay;
  /** Median ms of the forward pass, or null when it failed. */
  forwardMs: number | null;
  /** Median ms of the forward pass and both gradients, or null. */
  backwardMs: number | null;
  error?: string;
}

/**
 * Every way @se/core's groupedConv2d can compute a grouped convolution, forward and forward +
 * both gradients, at SE-ResNeXt-50's grouped 3×3 layers on WebGPU: the five composite methods
 * and `'kernel'`, SE Zoo's own WGSL kernels (src/webgpu/grouped.ts, registered with the others
 * by registerWebGPUKernels). The GPU counterpart of `pnpm bench:grouped-conv`, which measures the
 * CPU backends and WebGPU on whatever adapter Dawn finds (lavapipe on a machine without a GPU).
 */
async function benchGrouped(save: (rows: GroupedRow[]) => void): Promise<GroupedRow[]> {
  const batch = smoke ? 2 : 32;
  const rows: GroupedRow[] = [];
  for (const shape of smoke ? GROUPED_SHAPES.slice(-2) : GROUPED_SHAPES) {
    const { inSize, padding } = groupedLayerInput(shape);
    const x = tf.randomNormal([batch, inSize, inSize, shape.channels]) as tf.Tensor4D;
    const k = tf.randomNormal([3, 3, shape.channels / GROUPS, shape.channels], 0, 0.1);
    const run = (method: GroupedConvWay, xi: tf.Tensor, ki: tf.Tensor) =>
      groupedConvBy(
        method,
        xi as tf.Tensor4D,
        ki as tf.Tensor4D,
        GROUPS,
        [shape.stride, shape.stride],
        padding,
        [1, 1],
      );
    const dy = tf.tidy(() => tf.randomNormal(run('split', x, k).shape));
    for (const method of GROUPED_CONV_WAYS) {
      const row: GroupedRow = {
        layer: shape.layer,
        input: x.shape,
        stride: shape.stride,
        method,
        forwardMs: null,
        backwardMs: null,
      };
      try {
        row.forwardMs = await validated(() => timeIt(() => tf.tidy(() => run(method, x, k)), 5, 5));
        // Both gradients; their sum is the one tensor timeIt waits on.
        row.backwardMs = await validated(() =>
          timeIt(
            () =>
              tf.tidy(() => {
                const [gx, gk] = tf.grads((xi: tf.Tensor, ki: tf.Tensor) => run(method, xi, ki))(
                  [x, k],
                  dy,
                );
                return tf.add(tf.sum(gx as tf.Tensor), tf.sum(gk as tf.Tensor));
              }),
            5,
            5,
          ),
        );
      } catch (e) {
        row.error = String(e);
      }
      rows.push(row);
      console.log(
        `grouped ${shape.layer} ${method}: ${num(row.forwardMs, 2)} / ${num(row.backwardMs, 2)} ms`,
      );
      save(rows);
    }
    tf.dispose([x, k, dy]);
  }
  return rows;
}

interface ModelRow extends ModelWorkload {
  trainStock: number | null;
  trainOurs: number | null;
  infer: number | null;
  torchTrain: number | null;
  torchInfer: number | null;
  error?: string;
}

/** Images/s of `steps` training steps (after one warm-up step), and of inference. */
async function benchModel(m: ModelWorkload, torch: TorchResults | null): Promise<ModelRow> {
  const t = torch?.models.find((r) => r.name === m.name);
  const row: ModelRow = {
    ...m,
    trainStock: null,
    trainOurs: null,
    infer: null,
    torchTrain: t?.trainImagesPerSecond ?? null,
    torchInfer: t?.inferImagesPerSecond ?? null,
  };
  const model = createModel(m.name as ModelName, {
    inputShape: [m.size, m.size, 3],
    classes: m.classes,
  });
  const x = tf.randomNormal([m.batch, m.size, m.size, 3]);
  const y = tf.oneHot(tf.randomUniform([m.batch], 0, m.classes, 'int32') as tf.Tensor1D, m.classes);
  // Stock tfjs trains with tfjs's momentum optimizer (4 kernels per weight), ours with SE Zoo's
  // fused one (one SEZooSgdMomentum kernel per weight), the same update.
  const stockOptimizer = tf.train.momentum(0.01, 0.9);
  const oursOptimizer = sgdMomentum({ learningRate: 0.01, momentum: 0.9 });
  const train = async (optimizer: tf.Optimizer, steps: number, maxSeconds: number) => {
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    await model.trainOnBatch(x, y);
    const times: number[] = [];
    const start = performance.now();
    while (
      times.length < steps &&
      (times.length < 1 || performance.now() - start < maxSeconds * 1000)
    ) {
      const t0 = performance.now();
      await model.trainOnBatch(x, y);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return (m.batch / (times[Math.floor(times.length / 2)] as number)) * 1000;
  };
  try {
    useSEZoo(false);
    row.trainStock = await train(stockOptimizer, 2, smoke ? 5 : 40);
    useSEZoo(true);
    row.trainOurs = await train(oursOptimizer, smoke ? 3 : 10, smoke ? 5 : 30);
    const ms = await timeIt(() => model.predict(x) as tf.Tensor, smoke ? 3 : 10, smoke ? 5 : 20);
    row.infer = (m.batch / ms) * 1000;
  } catch (e) {
    row.error = String(e);
  } finally {
    useSEZoo(true);
    model.dispose();
    stockOptimizer.dispose();
    oursOptimizer.dispose();
    tf.dispose([x, y]);
  }
  const f = (v: number | null) => (v == null ? '–' : v.toFixed(1));
  console.log(
    `${m.name} ${m.size}² batch ${m.batch}: train stock ${f(row.trainStock)}, ours ${f(row.trainOurs)}, PyTorch ${f(row.torchTrain)} img/s; infer ${f(row.infer)}, PyTorch ${f(row.torchInfer)} img/s${row.error ? ` (${row.error})` : ''}`,
  );
  return row;
}

const ratio = (a: number | null, b: number | null, invert = false) =>
  a && b ? `${(invert ? b / a : a / b).toFixed(2)}×` : '–';
const num = (v: number | null, digits = 1) => (v == null ? '–' : v.toFixed(digits));

function table(
  device: string,
  torch: TorchResults | null,
  kernels: KernelRow[],
  models: ModelRow[],
  grouped: GroupedRow[] = [],
  profile: ProfileRow[] = [],
) {
  const lines = [
    `Device: ${device}; PyTorch: ${torch ? `${torch.torch} on ${torch.device}` : 'not run'}; dtype float32 (PyTorch with TF32 off), NHWC in tfjs.`,
    '',
  ];
  if (kernels.length) {
    lines.push(
      `Convolution gradients at SE-ResNet-50's layer shapes (batch ${smoke ? 2 : 64}, ${smoke ? 32 : 224}² input; a layer's size is its padded input), then SE-MobileNet's depthwise filter gradients (\`dw\` rows; their input gradient is stock tfjs's): ms, TFLOP/s of ours, and ours ÷ PyTorch time (>1: slower).`,
      '',
      '| layer | × | GFLOP | dW stock | dW ours | TFLOP/s | dW PyTorch | ours÷PT | dX stock | dX ours | TFLOP/s | dX PyTorch | ours÷PT |',
      '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    );
    for (const k of kernels) {
      const tf_ = (ms: number | null) => (ms ? (k.gflop / ms).toPrecision(3) : '–');
      lines.push(
        `| ${k.name} | ${k.count} | ${k.gflop.toPrecision(3)} | ${num(k.filter.stockMs, 2)} | ${num(k.filter.oursMs, 2)} | ${tf_(k.filter.oursMs)} | ${num(k.filter.torchMs, 2)} | ${ratio(k.filter.oursMs, k.filter.torchMs)} | ${num(k.input.stockMs, 2)} | ${num(k.input.oursMs, 2)} | ${tf_(k.input.oursMs)} | ${num(k.input.torchMs, 2)} | ${ratio(k.input.oursMs, k.input.torchMs)} |`,
      );
    }
    lines.push('');
  }
  if (models.length) {
    lines.push(
      "Whole models, images/s (SGD with momentum; *stock*: tfjs-webgpu's kernels and `tf.train.momentum`; *ours*: SE Zoo's kernels and its fused optimizer `sgdMomentum`; ours also trains BatchNorm and SE through @se/core's fused ops, stock through tfjs autodiff; inference: the forward kernels, the same for stock and ours), and ours ÷ PyTorch throughput.",
      '',
      '| model | image | batch | train stock | train ours | train PyTorch | ours/PT | infer tfjs | infer PyTorch | tfjs/PT |',
      '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    );
    for (const m of models) {
      lines.push(
        `| ${m.name} | ${m.size}² | ${m.batch} | ${num(m.trainStock)} | ${num(m.trainOurs)} | ${num(m.torchTrain)} | ${ratio(m.trainOurs, m.torchTrain)} | ${num(m.infer)} | ${num(m.torchInfer)} | ${ratio(m.infer, m.torchInfer)} |`,
      );
    }
  }
  if (grouped.length) {
    lines.push(
      '',
      `Grouped 3×3 convolutions of SE-ResNeXt-50 (32 groups, batch ${smoke ? 2 : 32}): forward / forward + both gradients, ms, per @se/core method (the fastest in bold).`,
      '',
      `| layer | input | ${GROUPED_CONV_WAYS.join(' | ')} |`,
      `| --- | --- | ${GROUPED_CONV_WAYS.map(() => '--:').join(' | ')} |`,
    );
    for (const layer of new Set(grouped.map((g) => g.layer))) {
      const row = grouped.filter((g) => g.layer === layer);
      const best = Math.min(...row.map((g) => g.backwardMs ?? Number.POSITIVE_INFINITY));
      const cells = GROUPED_CONV_WAYS.map((m) => {
        const g = row.find((r) => r.method === m);
        const text = `${num(g?.forwardMs ?? null, 2)} / ${num(g?.backwardMs ?? null, 2)}`;
        return g?.backwardMs === best ? `**${text}**` : text;
      });
      lines.push(`| ${layer} | ${row[0]?.input.join('×')} | ${cells.join(' | ')} |`);
    }
  }
  for (const text of profileTables(profile)) {
    if (lines.at(-1) !== '') lines.push('');
    lines.push(text);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const plan = argument('plan');
  if (plan) {
    await tf.setBackend('cpu');
    writeFileSync(
      plan,
      JSON.stringify({ smoke, kernels: kernelShapes(), models: MODELS }, null, 1),
    );
    console.log(`wrote ${plan}`);
    return;
  }
  const out = argument('out') ?? 'benchmarks/gpu';
  const parts = (argument('parts') ?? 'kernels,models').split(',');
  const only = argument('models')?.split(',');
  const torchFile = argument('torch');
  let torch: TorchResults | null = null;
  if (torchFile && existsSync(torchFile)) {
    torch = JSON.parse(readFileSync(torchFile, 'utf8')) as TorchResults;
  } else if (torchFile) {
    console.log(`no PyTorch results (${torchFile} is missing)`);
  }
  await setBackend('webgpu', { quiet: true });
  // Tuning knobs, to try tiles and split-K targets on the GPU without rebuilding.
  const tile = argument('tile') as 'auto' | '64x64' | '128x128' | undefined;
  const targetWorkgroups = Number(argument('target-workgroups') ?? 0) || undefined;
  registerWebGPUKernels({
    ...(tile ? { tile } : {}),
    ...(targetWorkgroups ? { targetWorkgroups } : {}),
  });
  tf.enableProdMode();
  const info = await describeBackend();
  console.log(`SE Zoo GPU benchmark on ${info.device}${smoke ? ' (smoke: tiny sizes)' : ''}`);
  const date = new Date().toISOString().slice(0, 10);
  // A kernels run and a models run of the same day are filed side by side.
  const suffix = `${smoke ? '-smoke' : ''}${parts.length === 1 ? `-${parts[0]}` : ''}`;
  mkdirSync(out, { recursive: true });
  let kernels: KernelRow[] = [];
  const models: ModelRow[] = [];
  let grouped: GroupedRow[] = [];
  const profile: ProfileRow[] = [];
  // Written after every row, so that a run stopped at its time limit keeps what it measured.
  const save = () => {
    const result = {
      date,
      smoke,
      device: info.device,
      dtype: 'float32',
      tfjs: tf.version.tfjs,
      torch,
      kernels,
      models,
      grouped,
      profile,
    };
    writeFileSync(join(out, `${date}${suffix}.json`), `${JSON.stringify(result, null, 1)}\n`);
    const text = table(info.device, torch, kernels, models, grouped, profile);
    writeFileSync(join(out, `table${suffix}.md`), `${text}\n`);
    return text;
  };
  if (parts.includes('kernels')) {
    kernels = await benchKernels(torch, (rows) => {
      kernels = rows;
      save();
    });
  }
  if (parts.includes('models')) {
    for (const m of MODELS.filter((w) => !only || only.includes(w.name))) {
      models.push(await benchModel(m, torch));
      save();
    }
  }
  if (parts.includes('grouped')) {
    grouped = await benchGrouped((rows) => {
      grouped = rows;
      save();
    });
  }
  if (parts.includes('profile')) {
    for (const w of profileWorkloads(smoke).filter((p) => !only || only.includes(p.name))) {
      profile.push(await profileModel(w));
      save();
    }
  }
  const text = save();
  console.log(`\n${text}\n\nwrote ${out}/${date}${suffix}.json and ${out}/table${suffix}.md`);
}

await main();
