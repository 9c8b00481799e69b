// Convolutions as matrix products: im2col/col2im in JavaScript, the product on XNNPACK's fully
// connected operator (the stock `BatchMatMul` without transposes, ~40 GFLOP/s per core).
//
// XNNPACK packs the right-hand operand of every product (and the filter of every convolution)
// into its blocked layout; with weights that change every step, that packing is paid every call,
// ~2.6 ns per float for a product and ~10 ns per float for a convolution. On the small maps at the
// end of a network the weights outweigh the activations many times over, so there the products
// below put the weights on the left, where nothing is packed.
import type * as tf from '@tensorflow/tfjs';
import type { WasmOps } from './context.js';
import type { ConvGeometry } from './geometry.js';
import { transposeBlock } from './layout.js';

/** The live taps of a convolution: filter rows `[i0, i1]` and columns `[j0, j1]`. */
export interface Taps {
  i0: number;
  i1: number;
  j0: number;
  j1: number;
}

/** Number of live taps. */
export function tapCount(t: Taps): number {
  return (t.i1 - t.i0 + 1) * (t.j1 - t.j0 + 1);
}

/** `a · b` for 2-D `a` `[m, k]` and `b` `[k, n]` on the stock XNNPACK product. */
export function matMul(ops: WasmOps, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  const [m = 1, k = 1] = a.shape;
  const n = b.shape[1] ?? 1;
  const out = ops.run(
    'BatchMatMul',
    { a: ops.reshape(a, [1, m, k]), b: ops.reshape(b, [1, k, n]) },
    { transposeA: false, transposeB: false },
  );
  return ops.reshape(out, [m, n]);
}

/** 2-D transpose in cache-sized blocks. */
export function transpose(ops: WasmOps, x: tf.TensorInfo): tf.TensorInfo {
  const [rows = 1, cols = 1] = x.shape;
  const out = ops.alloc([cols, rows]);
  transposeBlock(ops.f32(x), 0, cols, ops.f32(out), 0, rows, rows, cols);
  return out;
}

/** The live taps of a `[kh, kw, cin, cout]` filter as a `[taps·cin, cout]` matrix. */
export function filterMatrix(ops: WasmOps, filter: tf.TensorInfo, t: Taps): tf.TensorInfo {
  const [kh = 1, kw = 1, cin = 1, cout = 1] = filter.shape;
  if (t.i0 === 0 && t.j0 === 0 && t.i1 === kh - 1 && t.j1 === kw - 1) {
    return ops.reshape(filter, [kh * kw * cin, cout]);
  }
  const out = ops.alloc([tapCount(t) * cin, cout]);
  const src = ops.f32(filter);
  const dst = ops.f32(out);
  const tap = cin * cout;
  let o = 0;
  for (let i = t.i0; i <= t.i1; i++) {
    for (let j = t.j0; j <= t.j1; j++) {
      const s = (i * kw + j) * tap;
      dst.set(src.subarray(s, s + tap), o);
      o += tap;
    }
  }
  return out;
}

/** The output columns `[lo, hi]` whose tap at column offset `j` reads input (not padding). */
function validColumns(g: ConvGeometry, j: number): [number, number] {
  const { w } = g;
  const off = j * w.dilation - w.padBefore;
  return [
    Math.max(0, Math.ceil(-off / w.stride)),
    Math.min(w.out - 1, Math.floor((w.size - 1 - off) / w.stride)),
  ];
}

/**
 * Visits every (output row of the image, live tap) pair whose tap row reads input: `body(rowStart,
 * tap, inputRowStart, lo, hi, j)` where output position `rowStart + ow` reads input position
 * `inputRowStart + ow·stride` for `ow` in `[lo, hi]`. The innermost loops then run branch-free.
 */
function forEachTapRow(
  g: ConvGeometry,
  t: Taps,
  body: (rowStart: number, tap: number, inputRowStart: number, lo: number, hi: number) => void,
): void {
  const { h, w } = g;
  const tw = t.j1 - t.j0 + 1;
  for (let i = t.i0; i <= t.i1; i++) {
    for (let j = t.j0; j <= t.j1; j++) {
      const [lo, hi] = validColumns(g, j);
      if (lo > hi) continue;
      const tap = (i - t.i0) * tw + (j - t.j0);
      const xOff = j * w.dilation - w.padBefore;
      for (let n = 0; n < g.batch; n++) {
        for (let oh = 0; oh < h.out; oh++) {
          const y = oh * h.stride + i * h.dilation - h.padBefore;
          if (y < 0 || y >= h.size) continue;
          body((n * h.out + oh) * w.out, tap, (n * h.size + y) * w.size + xOff, lo, hi);
        }
      }
    }
  }
}

/** im2col: `[N·Ho·Wo, taps·Cin]`, each row the input patch of one output position. */
export function im2col(ops: WasmOps, x: tf.TensorInfo, g: ConvGeometry, t: Taps): tf.TensorInfo {
  const cin = g.inChannels;
  const width = tapCount(t) * cin;
  const sx = g.w.stride * cin;
  const out = ops.alloc([g.batch * g.h.out * g.w.out, width], true);
  const src = ops.f32(x);
  const dst = ops.f32(out);
  forEachTapRow(g, t, (rowStart, tap, inputRowStart, lo, hi) => {
    let s = (inputRowStart + lo * g.w.stride) * cin;
    let d = (rowStart + lo) * width + tap * cin;
    for (let ow = lo; ow <= hi; ow++, s += sx, d += width) {
      for (let c = 0; c < cin; c++) dst[d + c] = src[s + c] as number;
    }
  });
  return out;
}

/** The transposed im2col, `[taps·Cin, N·Ho·Wo]`, written row by row. */
export function im2colT(ops: WasmOps, x: tf.TensorInfo, g: ConvGeometry, t: Taps): tf.TensorInfo {
  const cin = g.inChannels;
  const rows = g.batch * g.h.out * g.w.out;
  const sx = g.w.stride * cin;
  const out = ops.alloc([tapCount(t) * cin, rows], true);
  const src = ops.f32(x);
  const dst = ops.f32(out);
  forEachTapRow(g, t, (rowStart, tap, inputRowStart, lo, hi) => {
    const s0 = (inputRowStart + lo * g.w.stride) * cin;
    for (let c = 0; c < cin; c++) {
      let s = s0 + c;
      const d0 = (tap * cin + c) * rows + rowStart;
      for (let ow = lo; ow <= hi; ow++, s += sx) dst[d0 + ow] = src[s] as number;
    }
  });
  return out;
}

/** col2im: sums `[N·Ho·Wo, taps·Cin]` patch gradients into an NHWC input gradient. */
export function col2im(
  ops: WasmOps,
  cols: tf.TensorInfo,
  g: ConvGeometry,
  t: Taps,
  inputShape: number[],
): tf.TensorInfo {
  const cin = g.inChannels;
  const width = tapCount(t) * cin;
  const sx = g.w.stride * cin;
  const out = ops.alloc(inputShape, true);
  const src = ops.f32(cols);
  const dst = ops.f32(out);
  forEachTapRow(g, t, (rowStart, tap, inputRowStart, lo, hi) => {
    let d = (inputRowStart + lo * g.w.stride) * cin;
    let s = (rowStart + lo) * width + tap * cin;
    for (let ow = lo; ow <= hi; ow++, d += sx, s += width) {
      for (let c = 0; c < cin; c++) dst[d + c] = (dst[d + c] as number) + (src[s + c] as number);
    }
  });
  return out;
}

/** col2im from the transposed layout `[taps·Cin, N·Ho·Wo]`. */
export function col2imT(
  ops: WasmOps,
  colsT: tf.TensorInfo,
  g: ConvGeometry,
  t: Taps,
  inputShape: number[],
): tf.TensorInfo {
  const cin = g.inChannels;
  const rows = g.batch * g.h.out * g.w.out;
  const sx = g.w.stride * cin;
  const out = ops.alloc(inputShape, true);
  const src = ops.f32(colsT);
  const dst = ops.f32(out);
  forEachTapRow(g, t, (rowStart, tap, inputRowStart, lo, hi) => {
    const d0 = (inputRowStart + lo * g.w.stride) * cin;
    for (let c = 0; c < cin; c++) {
      let d = d0 + c;
      const s0 = (tap * cin + c) * rows + rowStart;
      for (let ow = lo; ow <= hi; ow++, d += sx)
        dst[d] = (dst[d] as number) + (src[s0 + ow] as number);
    }
  });
  return out;
}
