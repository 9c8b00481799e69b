// The three convolution kernels on SE Zoo's own WebAssembly code (kernels.c): the forward pass and
// the input gradient as one implicit GEMM each, the filter gradient as one accumulation of outer
// products, all reading the NHWC tensors in place (no im2col, no transposes, no weight packing
// but a copy of the filter into column panels).
import type * as tf from '@tensorflow/tfjs';
import type { WasmOps } from '../context.js';
import type { AxisGeometry, ConvGeometry } from '../geometry.js';
import type { NativeKernels } from './module.js';
import { parallelPool, runParts, share } from './threads.js';

/** Output channels per panel of packed weights (kernels.c's tile is 4 pixels × 8 channels). */
const PANEL = 8;
/** Output pixels per tile of kernels.c's implicit GEMM. */
const TILE = 4;

/** An int32 tensor of `values` on the backend (its float32 bits hold the integers). */
function int32Table(ops: WasmOps, values: readonly number[]): tf.TensorInfo {
  const table = ops.alloc([Math.max(1, values.length)]);
  ops.i32(table).set(values);
  return table;
}

/**
 * For each output position `o` and tap `i` of a forward axis, the input position it reads, or
 * −1 for padding: `[out·kernel]`.
 */
function forwardTable(a: AxisGeometry): number[] {
  const table: number[] = [];
  for (let o = 0; o < a.out; o++) {
    for (let i = 0; i < a.kernel; i++) {
      const at = o * a.stride - a.padBefore + i * a.dilation;
      table.push(at >= 0 && at < a.size ? at : -1);
    }
  }
  return table;
}

/**
 * The transposed axis of the input gradient: for each input position `p` and tap `i`, the
 * output position whose tap `i` read it (`o·s − pad + i·d = p`), or −1: `[size·kernel]`.
 */
function transposedTable(a: AxisGeometry): number[] {
  const table: number[] = [];
  for (let p = 0; p < a.size; p++) {
    for (let i = 0; i < a.kernel; i++) {
      const t = p + a.padBefore - i * a.dilation;
      const o = t / a.stride;
      table.push(t >= 0 && t % a.stride === 0 && o < a.out ? o : -1);
    }
  }
  return table;
}

/**
 * Input positions in phase order: those with the same `(p + pad) mod stride` together, so that
 * a tile of the strided input gradient shares its live taps and skips the others.
 */
function phaseOrder(a: AxisGeometry): number[] {
  const order: number[] = [];
  for (let phase = 0; phase < a.stride; phase++) {
    for (let p = 0; p < a.size; p++) if ((p + a.padBefore) % a.stride === phase) order.push(p);
  }
  return order;
}

function gemm(
  ops: WasmOps,
  k: NativeKernels,
  read: tf.TensorInfo,
  weights: tf.TensorInfo,
  out: tf.TensorInfo,
  readShape: [number, number, number],
  outShape: [number, number, number],
  g: ConvGeometry,
  tables: { h: number[]; w: number[]; orderH?: number[]; orderW?: number[] },
  transposeTaps: boolean,
): void {
  const [ih, iw, cIn] = readShape;
  const [oh, ow, oc] = outShape;
  const taps = g.h.kernel * g.w.kernel;
  const kRows = taps * cIn;
  const packed = ops.alloc([Math.ceil(oc / PANEL) * PANEL * kRows]);
  const zero = ops.alloc([cIn], true);
  const pool = parallelPool(k, 2 * g.batch * oh * ow * kRows * oc);
  const parts = pool?.count ?? 1;
  const scratches = Array.from({ length: parts }, () => ops.alloc([(TILE + 1) * taps + 4 * TILE]));
  const tabH = int32Table(ops, tables.h);
  const tabW = int32Table(ops, tables.w);
  const orderH = tables.orderH ? int32Table(ops, tables.orderH) : null;
  const orderW = tables.orderW ? int32Table(ops, tables.orderW) : null;
  k.exports.pack_panels(
    ops.offset(weights),
    ops.offset(packed),
    kRows,
    oc,
    taps,
    transposeTaps ? 1 : 0,
  );
  const pixels = g.batch * oh * ow;
  const dummies = scratches.map(() => ops.alloc([PANEL]));
  const args = (part: number) => {
    const [begin, end] = share(pixels, parts, part, TILE);
    return [
      ops.offset(read),
      ops.offset(packed),
      ops.offset(out),
      ops.offset(zero),
      ops.offset(dummies[part] as tf.TensorInfo),
      ops.offset(scratches[part] as tf.TensorInfo),
      ih,
      iw,
      cIn,
      oh,
      ow,
      oc,
      g.h.kernel,
      g.w.kernel,
      ops.offset(tabH),
      ops.offset(tabW),
      orderH ? ops.offset(orderH) : 0,
      orderW ? ops.offset(orderW) : 0,
      begin,
      end,
    ];
  };
  runParts(k, pool, 'conv_gemm', args);
}

/** `Conv2D` without bias or activation: `[N, Ho, Wo, Cout]`. */
export function nativeConv(
  ops: WasmOps,
  k: NativeKernels,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  g: ConvGeometry,
): tf.TensorInfo {
  const y = ops.alloc([g.batch, g.h.out, g.w.out, g.outChannels]);
  gemm(
    ops,
    k,
    x,
    filter,
    y,
    [g.h.size, g.w.size, g.inChannels],
    [g.h.out, g.w.out, g.outChannels],
    g,
    { h: forwardTable(g.h), w: forwardTable(g.w) },
    false,
  );
  return y;
}

/** `Conv2DBackpropInput`: the `[N, H, W, Cin]` gradient of the input from `dy`. */
export function nativeInputGradient(
  ops: WasmOps,
  k: NativeKernels,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  g: ConvGeometry,
): tf.TensorInfo {
  const dx = ops.alloc([g.batch, g.h.size, g.w.size, g.inChannels]);
  gemm(
    ops,
    k,
    dy,
    filter,
    dx,
    [g.h.out, g.w.out, g.outChannels],
    [g.h.size, g.w.size, g.inChannels],
    g,
    {
      h: transposedTable(g.h),
      w: transposedTable(g.w),
      orderH: g.h.stride > 1 ? phaseOrder(g.h) : undefined,
      orderW: g.w.stride > 1 ? phaseOrder(g.w) : undefined,
    },
    true,
  );
  return dx;
}

/** `Conv2DBackpropFilter`: the `[kh, kw, Cin, Cout]` gradient of the filter. */
export function nativeFilterGradient(
  ops: WasmOps,
  k: NativeKernels,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: ConvGeometry,
): tf.TensorInfo {
  const shape = [g.h.kernel, g.w.kernel, g.inChannels, g.outChannels];
  const rows = g.batch * g.h.out;
  const units = g.h.kernel * g.w.kernel * Math.ceil(g.outChannels / PANEL);
  const pool = parallelPool(
    k,
    2 * rows * g.w.out * g.h.kernel * g.w.kernel * g.inChannels * g.outChannels,
  );
  const parts = pool?.count ?? 1;
  // Threads take whole units of the filter (taps × 8 output channels) when there are enough to
  // balance; otherwise rows of the output, each thread adding into its own zeroed filter.
  const byUnits = units >= 4 * parts;
  const partials = Array.from({ length: byUnits ? 1 : parts }, () => ops.alloc(shape, true));
  const dw = partials[0] as tf.TensorInfo;
  const args = (part: number) => {
    const [rowBegin, rowEnd] = byUnits ? [0, rows] : share(rows, parts, part, 1);
    const [unitBegin, unitEnd] = byUnits ? share(units, parts, part, 1) : [0, units];
    return [
      ops.offset(x),
      ops.offset(dy),
      ops.offset((partials[part] ?? dw) as tf.TensorInfo),
      g.h.size,
      g.w.size,
      g.inChannels,
      g.h.out,
      g.w.out,
      g.outChannels,
      g.h.kernel,
      g.w.kernel,
      g.h.stride,
      g.w.stride,
      g.h.padBefore,
      g.w.padBefore,
      g.h.dilation,
      g.w.dilation,
      rowBegin,
      rowEnd,
      unitBegin,
      unitEnd,
    ];
  };
  runParts(k, pool, 'conv_filter_grad', args);
  for (const partial of partials.slice(1)) {
    const sum = ops.f32(dw);
    const values = ops.f32(partial);
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (values[i] as number);
  }
  return dw;
}

/** `a · b` for `a` `[m, k]` and `b` `[k, n]`: the implicit GEMM as a 1×1 convolution. */
export function nativeMatMul(
  ops: WasmOps,
  k: NativeKernels,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
): tf.TensorInfo {
  const [m = 1, depth = 1] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1] ?? 1;
  const axis = (size: number): AxisGeometry => ({
    size,
    kernel: 1,
    stride: 1,
    dilation: 1,
    padBefore: 0,
    padAfter: 0,
    out: size,
  });
  const g: ConvGeometry = { batch: 1, inChannels: depth, outChannels: n, h: axis(1), w: axis(m) };
  const y = nativeConv(
    ops,
    k,
    ops.reshape(a, [1, 1, m, depth]),
    ops.reshape(b, [1, 1, depth, n]),
    g,
  );
  return ops.reshape(y, [1, m, n]);
}
