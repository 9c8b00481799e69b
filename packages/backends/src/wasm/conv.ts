// Convolution kernels for the wasm backend, composed of the stock XNNPACK convolution and
// product (~40 GFLOP/s per core) plus data movement in JavaScript. Each kernel has several
// formulations; a cost model picks the cheapest per call, because which one wins depends on
// whether the weights or the activations dominate (see gemm.ts).
import type * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { WasmOps } from './context.js';
import {
  col2im,
  col2imT,
  filterMatrix,
  im2col,
  im2colT,
  matMul,
  type Taps,
  tapCount,
  transpose,
} from './gemm.js';
import {
  type AxisGeometry,
  type ConvGeometry,
  convGeometry,
  cropAxis,
  liveTaps,
} from './geometry.js';
import { cropNHWC, gatherTaps, zeroStuff } from './layout.js';
import { nativeConv, nativeFilterGradient, nativeInputGradient } from './native/conv-kernels.js';
import { type NativeKernels, nativeKernels } from './native/module.js';

/**
 * How a convolution kernel computes: `'native'` on SE Zoo's own WebAssembly kernels (an implicit
 * GEMM, or outer products for the filter gradient, on the tensors in place), `'conv'` on XNNPACK's
 * convolution, `'gemm'` as im2col (or col2im) and a product with the weights on the right,
 * `'gemmT'` as a product with the weights on the left (nothing of them packed); `'xnnpack'` picks
 * among the three by a cost model, `'auto'` among all four where SE Zoo's kernels run.
 */
export type ConvMethod = 'auto' | 'native' | 'xnnpack' | 'conv' | 'gemm' | 'gemmT';

/** The method of each of SE Zoo's wasm convolution kernels; see {@link convMethods}. */
export interface ConvMethods {
  /** `Conv2D` and `FusedConv2D`: `'native'`, `'conv'` or `'gemm'`. */
  forward: ConvMethod;
  /** `Conv2DBackpropInput`: `'native'`, `'conv'`, `'gemm'` or `'gemmT'`. */
  input: ConvMethod;
  /** `Conv2DBackpropFilter`: `'native'`, `'conv'` or `'gemmT'`. */
  filter: ConvMethod;
}

/**
 * How SE Zoo's wasm convolution kernels compute. `'auto'` (the default) picks per call by a cost
 * model measured on x86, SE Zoo's WebAssembly kernels included where they run; pin a method to
 * benchmark it.
 */
export const convMethods: ConvMethods = {
  forward: 'auto',
  input: 'auto',
  filter: 'auto',
};

function tapsOf(g: ConvGeometry): Taps | null {
  const th = liveTaps(g.h);
  const tw = liveTaps(g.w);
  return th && tw ? { i0: th[0], i1: th[1], j0: tw[0], j1: tw[1] } : null;
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Prepares an input for a "valid" reading of `needed` rows starting at `start` (which may be
 * negative: zero padding) of an axis of `size` rows: the rows to crop, and the zero padding
 * that XNNPACK then adds for free.
 */
function window(start: number, needed: number, size: number) {
  const cropBefore = Math.max(0, start);
  const padBefore = Math.max(0, -start);
  const end = start + needed; // exclusive
  const cropAfter = Math.max(0, size - end);
  const padAfter = Math.max(0, end - size);
  return { from: cropBefore, length: size - cropBefore - cropAfter, padBefore, padAfter };
}

type Window = ReturnType<typeof window>;

/** Runs the stock convolution on the window `wh × ww` of `x` with zero padding. */
function convWindow(
  ops: WasmOps,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  wh: Window,
  ww: Window,
  strides: [number, number],
  dilations: [number, number],
  kernelName = 'Conv2D',
  extraInputs: tf.NamedTensorInfoMap = {},
  extraAttrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const input = cropNHWC(ops, x, wh.from, wh.length, ww.from, ww.length);
  // The windows divide exactly, so no rounding mode applies.
  const { dimRoundingMode: _rounding, ...attrs } = extraAttrs;
  return ops.run(
    kernelName,
    { x: input, filter, ...extraInputs },
    {
      ...attrs,
      strides,
      dilations,
      dataFormat: 'NHWC',
      pad: [
        [0, 0],
        [wh.padBefore, wh.padAfter],
        [ww.padBefore, ww.padAfter],
        [0, 0],
      ],
    },
  );
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs: tf.NamedAttrMap };

/** Estimated nanoseconds of each method, from measured rates on this kind of CPU. */
interface Costs {
  native: number;
  conv: number;
  gemm: number;
  gemmT: number;
}

// Rates measured on a 2-core x86 (Node 20, XNNPACK with SIMD, one thread): products and
// convolutions ~40 GFLOP/s; packing ~2.6 ns per float (product) and ~10 ns (convolution);
// JavaScript copies of channel runs ~1 ns per float, strided gathers/scatters ~3–3.5 ns.
const NS_FLOP = 1 / 40;
const NS_PACK_GEMM = 2.6;
const NS_PACK_CONV = 10;
const NS_COPY = 1;
const NS_STRIDED = 3;
const NS_GATHER = 3.5;
// SE Zoo's implicit GEMM measured 0.8–1.1× the time of XNNPACK's convolution at the same FLOPs
// (faster on one thread, level on two), plus the set-up of each pixel's input rows (~1.5 ns a
// tap: it loses on 1–3 input channels); its weight packing is a copy. So it wins where XNNPACK
// would pack many weights for few pixels, and XNNPACK keeps the rest.
const NATIVE_FLOP_FACTOR = 1;
const NS_NATIVE_TAP = 1.5;
const NATIVE_FILTER_MIN_PIXELS = 1024;

/** SE Zoo's own kernels, when the method allows them and they run on this backend. */
function native(ops: WasmOps, pinned: ConvMethod): NativeKernels | null {
  return pinned === 'auto' || pinned === 'native' ? nativeKernels(ops.backend) : null;
}

/** The estimated cost of SE Zoo's implicit GEMM (forward or input gradient). */
function nativeCost(z: ReturnType<typeof sizes>): number {
  return z.flops * NS_FLOP * NATIVE_FLOP_FACTOR + z.pixelTaps * NS_NATIVE_TAP + z.weights * NS_COPY;
}

/**
 * The cheapest method by the cost model, unless a benchmark pinned one; `'native'` competes
 * when SE Zoo's kernels run here (`k`) and the pin allows them.
 */
function chooseMethod(
  pinned: ConvMethod,
  costs: Costs,
  allowed: (keyof Costs)[],
  k: NativeKernels | null = null,
): keyof Costs {
  if (pinned === 'native' && k) return 'native';
  if (allowed.includes(pinned as keyof Costs)) return pinned as keyof Costs;
  const candidates: (keyof Costs)[] = k ? ['native', ...allowed] : allowed;
  let best = candidates[0] ?? 'conv';
  for (const m of candidates) if (costs[m] < costs[best]) best = m;
  return best;
}

/** Sizes that enter the cost model of one convolution restricted to its live taps. */
function sizes(g: ConvGeometry, t: Taps) {
  const rows = g.batch * g.h.out * g.w.out;
  const k = tapCount(t) * g.inChannels;
  // XNNPACK's products and convolutions use every thread; the JavaScript parts one.
  let threads = 1;
  try {
    threads = Math.max(1, getThreadsCount());
  } catch {
    // Not initialised: single-threaded costs.
  }
  return {
    flops: (2 * rows * k * g.outChannels) / threads,
    pixelTaps: (rows * tapCount(t)) / threads,
    weights: k * g.outChannels,
    cols: rows * k,
    input: g.batch * g.h.size * g.w.size * g.inChannels,
    output: rows * g.outChannels,
  };
}

/**
 * `Conv2DBackpropFilter` (the wasm backend has none). Methods: `'conv'`, one convolution — with
 * the batch as channels and the channels as batch, dW[i, j, ci, co] = Σ x[n, o·s + i·d − p, …, ci]
 * · dy[n, o, …, co] is the convolution of the `[Cin, H, W, N]` input with the `[Ho, Wo, N, Cout]`
 * gradient as a filter of dilation s, at stride d; `'gemmT'`, the transposed im2col times the
 * gradient. Only live taps are computed; taps that only ever read padding get zeros. Accepts
 * `dilations` in its attributes besides tfjs's own.
 */
export function conv2dBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const ops = new WasmOps(args.backend);
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const filterShape = args.attrs.filterShape as number[];
  const g = convGeometry(x.shape, filterShape, args.attrs);
  return ops.scope(() => {
    // SE Zoo's outer products keep a tile of the gradient in registers over the output pixels:
    // with fewer than ~1,000 of them (the last stages of ImageNet networks at small sizes)
    // XNNPACK's product measured faster.
    const pixels = g.batch * g.h.out * g.w.out;
    const k =
      convMethods.filter === 'native' || pixels >= NATIVE_FILTER_MIN_PIXELS
        ? native(ops, convMethods.filter)
        : null;
    if (k) return nativeFilterGradient(ops, k, x, dy, g);
    const t = tapsOf(g);
    if (!t) return ops.alloc(filterShape, true);
    const z = sizes(g, t);
    const method = chooseMethod(
      convMethods.filter,
      {
        native: Number.POSITIVE_INFINITY,
        // Two transposes of the operands, the filter-sized packing of dy, the product.
        conv: z.flops * NS_FLOP * 2 + (z.input + z.output) * NS_STRIDED + z.output * NS_PACK_CONV,
        gemm: Number.POSITIVE_INFINITY,
        gemmT: z.flops * NS_FLOP + z.cols * NS_GATHER + z.output * NS_PACK_GEMM,
      },
      ['conv', 'gemmT'],
    );
    const live =
      method === 'conv'
        ? filterGradientConv(ops, x, dy, g, t)
        : matMul(
            ops,
            im2colT(ops, x, g, t),
            ops.reshape(dy, [z.output / g.outChannels, g.outChannels]),
          );
    return scatterTaps(ops, live, t, filterShape);
  });
}

/** The `[taps·Cin, Cout]` gradient of the live taps, in place in a zeroed full filter. */
function scatterTaps(
  ops: WasmOps,
  live: tf.TensorInfo,
  t: Taps,
  filterShape: number[],
): tf.TensorInfo {
  const [kh = 1, kw = 1, cin = 1, cout = 1] = filterShape;
  if (tapCount(t) === kh * kw) return ops.reshape(live, filterShape);
  const out = ops.alloc(filterShape, true);
  const src = ops.f32(live);
  const dst = ops.f32(out);
  const tap = cin * cout;
  let s = 0;
  for (let i = t.i0; i <= t.i1; i++) {
    for (let j = t.j0; j <= t.j1; j++) {
      dst.set(src.subarray(s, s + tap), (i * kw + j) * tap);
      s += tap;
    }
  }
  return out;
}

/** The convolution form of the filter gradient, as a `[taps·Cin, Cout]` matrix. */
function filterGradientConv(
  ops: WasmOps,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: ConvGeometry,
  t: Taps,
): tf.TensorInfo {
  const windowOf = (a: AxisGeometry, first: number, last: number) =>
    window(
      first * a.dilation - a.padBefore,
      (last - first) * a.dilation + (a.out - 1) * a.stride + 1,
      a.size,
    );
  const xT = ops.run('Transpose', { x }, { perm: [3, 1, 2, 0] }); // [Cin, H, W, N]
  const dyT = ops.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [Ho, Wo, N, Cout]
  const partial = convWindow(
    ops,
    xT,
    dyT,
    windowOf(g.h, t.i0, t.i1),
    windowOf(g.w, t.j0, t.j1),
    [g.h.dilation, g.w.dilation],
    [g.h.stride, g.w.stride],
  ); // [Cin, kh', kw', Cout]
  const cin = g.inChannels;
  const cout = g.outChannels;
  const taps = tapCount(t);
  const out = ops.alloc([taps * cin, cout]);
  const src = ops.f32(partial);
  const dst = ops.f32(out);
  for (let c = 0; c < cin; c++) {
    for (let k = 0; k < taps; k++) {
      const s = (c * taps + k) * cout;
      dst.set(src.subarray(s, s + cout), (k * cin + c) * cout);
    }
  }
  return out;
}

/**
 * `Conv2DBackpropInput`. Methods: `'conv'`, a convolution of the (zero-stuffed, for strides > 1)
 * gradient with the flipped, transposed filter; `'gemm'`, the gradient times the transposed
 * filter, then col2im; `'gemmT'`, the filter times the transposed gradient, then col2im — no
 * weights packed. Live taps only. Accepts `dilations` in its attributes besides tfjs's own.
 */
export function conv2dBackpropInput(args: KernelArgs): tf.TensorInfo {
  const ops = new WasmOps(args.backend);
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const inputShape = args.attrs.inputShape as number[];
  const g = convGeometry(inputShape, filter.shape, args.attrs);
  return ops.scope(() => {
    const t = tapsOf(g);
    if (!t) return ops.alloc(inputShape, true);
    const z = sizes(g, t);
    const stuffed = g.h.stride * g.w.stride;
    const k = native(ops, convMethods.input);
    const method = chooseMethod(
      convMethods.input,
      {
        native: nativeCost(z),
        conv:
          z.flops * NS_FLOP * stuffed +
          z.weights * (NS_STRIDED + NS_PACK_CONV) +
          (stuffed > 1 ? z.output * stuffed * NS_COPY : 0),
        gemm: z.flops * NS_FLOP + z.weights * (NS_STRIDED + NS_PACK_GEMM) + z.cols * NS_COPY * 2,
        gemmT:
          z.flops * NS_FLOP +
          z.output * (NS_STRIDED + NS_PACK_GEMM) +
          z.cols * NS_STRIDED * 2 +
          (tapCount(t) < g.h.kernel * g.w.kernel ? z.weights * NS_COPY : 0),
      },
      // 'gemm' only when pinned: its col2im scatter measured slower than the model assumes.
      convMethods.input === 'gemm' ? ['gemm'] : ['conv', 'gemmT'],
      k,
    );
    if (method === 'native' && k) return nativeInputGradient(ops, k, dy, filter, g);
    const rows = z.output / g.outChannels;
    const dy2d = ops.reshape(dy, [rows, g.outChannels]);
    if (method === 'gemm') {
      const wT = transpose(ops, filterMatrix(ops, filter, t)); // [Cout, taps·Cin]
      return col2im(ops, matMul(ops, dy2d, wT), g, t, inputShape);
    }
    if (method === 'gemmT') {
      const colsT = matMul(ops, filterMatrix(ops, filter, t), transpose(ops, dy2d));
      return col2imT(ops, colsT, g, t, inputShape);
    }
    return inputGradientConv(ops, dy, filter, g, t);
  });
}

function inputGradientConv(
  ops: WasmOps,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  g: ConvGeometry,
  t: Taps,
): tf.TensorInfo {
  const h = cropAxis(g.h, [t.i0, t.i1]);
  const w = cropAxis(g.w, [t.j0, t.j1]);
  // dx[r] = Σ_m z[r + (k−1)·d − p + m·d] · W'[m] with W' the flipped taps and z the gradient
  // with s − 1 zeros between rows: a stride-1 convolution of dilation d.
  const flipped = gatherTaps(
    ops,
    filter,
    range(t.i0, t.i1).reverse(),
    range(t.j0, t.j1).reverse(),
    true,
  );
  const z = g.h.stride > 1 || g.w.stride > 1 ? zeroStuff(ops, dy, g.h.stride, g.w.stride) : dy;
  const windowOf = (a: AxisGeometry, zSize: number) =>
    window(a.padBefore - (a.kernel - 1) * a.dilation, a.size + (a.kernel - 1) * a.dilation, zSize);
  return convWindow(
    ops,
    z,
    flipped,
    windowOf(h, z.shape[1] ?? 1),
    windowOf(w, z.shape[2] ?? 1),
    [1, 1],
    [h.dilation, w.dilation],
  );
}

/** Weights a forward op has seen: one seen again is reused (inference), not trained. */
const seenWeights = new WeakSet<object>();

/**
 * Whether the forward weights `w` were seen before (and records them): XNNPACK keeps an
 * operator's packed weights while the weight tensor lives, which pays where it is reused.
 */
export function seenBefore(w: tf.TensorInfo): boolean {
  const seen = seenWeights.has(w.dataId);
  seenWeights.add(w.dataId);
  return seen;
}

/**
 * `Conv2D` / `FusedConv2D`. Methods: `'conv'`, the stock XNNPACK convolution without the filter
 * taps that only read padding (at 1×1, a 3×3 "same" convolution has one live tap); `'gemm'`,
 * im2col times the filter, whose packing is four times cheaper than the convolution's. Fused
 * bias and activations stay on the stock kernel.
 */
export function makeConv(kernelName: 'Conv2D' | 'FusedConv2D') {
  return (args: KernelArgs): tf.TensorInfo => {
    const ops = new WasmOps(args.backend);
    const { x, filter, ...extra } = args.inputs as {
      x: tf.TensorInfo;
      filter: tf.TensorInfo;
    } & tf.NamedTensorInfoMap;
    const { attrs } = args;
    const g =
      attrs.dataFormat === 'NCHW' || x.shape.length !== 4
        ? null
        : convGeometry(x.shape, filter.shape, attrs);
    const t = g && tapsOf(g);
    if (!g || !t) return ops.run(kernelName, args.inputs, attrs);
    const plain =
      Object.values(extra).every((v) => v == null) &&
      (attrs.activation == null || attrs.activation === 'linear');
    const k = plain ? native(ops, convMethods.forward) : null;
    const z = sizes(g, t);
    const all = tapCount(t) === g.h.kernel * g.w.kernel;
    // The stock kernel keeps XNNPACK's packed filter while the filter lives, which pays where a
    // filter is reused (inference); a training step's filters are new tensors, packed anew.
    const packed = seenBefore(filter) && all;
    const method = chooseMethod(
      convMethods.forward,
      {
        native: nativeCost(z),
        conv: z.flops * NS_FLOP + (packed ? 0 : z.weights * (NS_PACK_CONV + (all ? 0 : NS_COPY))),
        gemm: z.flops * NS_FLOP + z.weights * NS_PACK_GEMM + z.cols * NS_COPY * 2,
        gemmT: Number.POSITIVE_INFINITY,
      },
      plain ? ['conv', 'gemm'] : ['conv'],
      k,
    );
    if (method === 'native' && k) return ops.scope(() => nativeConv(ops, k, x, filter, g));
    if (method === 'conv' && all) return ops.run(kernelName, args.inputs, attrs);
    return ops.scope(() => {
      if (method === 'gemm') {
        const y = matMul(ops, im2col(ops, x, g, t), filterMatrix(ops, filter, t));
        return ops.reshape(y, [g.batch, g.h.out, g.w.out, g.outChannels]);
      }
      const taps = gatherTaps(ops, filter, range(t.i0, t.i1), range(t.j0, t.j1), false);
      const h = cropAxis(g.h, [t.i0, t.i1]);
      const w = cropAxis(g.w, [t.j0, t.j1]);
      const windowOf = (a: AxisGeometry) =>
        window(-a.padBefore, (a.out - 1) * a.stride + (a.kernel - 1) * a.dilation + 1, a.size);
      return convWindow(
        ops,
        x,
        taps,
        windowOf(h),
        windowOf(w),
        [g.h.stride, g.w.stride],
        [g.h.dilation, g.w.dilation],
        kernelName,
        extra,
        attrs,
      );
    });
  };
}
