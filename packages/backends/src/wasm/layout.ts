// Data movement in plain JavaScript on the wasm heap. The stock wasm kernels for these
// (Reverse, Transpose of filters, strided slices, zero insertion by padding a rank-6 tensor) walk
// every element through generic N-d index arithmetic; these move whole channel rows with
// `copyWithin`/`set` or run one tight loop, which measured several times faster.
import type * as tf from '@tensorflow/tfjs';
import type { WasmOps } from './context.js';

/**
 * Crops an NHWC tensor to rows `[top, top + height)` and columns `[left, left + width)`.
 * Returns `x` itself (not a copy, no new reference) when nothing is cropped.
 */
export function cropNHWC(
  ops: WasmOps,
  x: tf.TensorInfo,
  top: number,
  height: number,
  left: number,
  width: number,
): tf.TensorInfo {
  const [n = 1, h = 1, w = 1, c = 1] = x.shape;
  if (top === 0 && left === 0 && height === h && width === w) return x;
  const out = ops.alloc([n, height, width, c]);
  const src = ops.f32(x);
  const dst = ops.f32(out);
  const run = width * c;
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < height; r++) {
      const s = ((b * h + top + r) * w + left) * c;
      dst.set(src.subarray(s, s + run), o);
      o += run;
    }
  }
  return out;
}

/**
 * Inserts `stride − 1` zeros between the rows and columns of an NHWC tensor: the "fractionally
 * strided" input of a transposed convolution. Output `[n, (h−1)·sh+1, (w−1)·sw+1, c]`.
 */
export function zeroStuff(ops: WasmOps, x: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo {
  const [n = 1, h = 1, w = 1, c = 1] = x.shape;
  const oh = (h - 1) * sh + 1;
  const ow = (w - 1) * sw + 1;
  const out = ops.alloc([n, oh, ow, c], true);
  const src = ops.f32(x);
  const dst = ops.f32(out);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < h; r++) {
      for (let q = 0; q < w; q++) {
        const s = ((b * h + r) * w + q) * c;
        dst.set(src.subarray(s, s + c), ((b * oh + r * sh) * ow + q * sw) * c);
      }
    }
  }
  return out;
}

/**
 * Gathers the taps `rows × cols` of a `[kh, kw, cin, cout]` filter. With `transpose`, each tap
 * is transposed to `[cout, cin]` — with the tap lists reversed, that is the flipped, transposed
 * filter a backward-input convolution needs.
 */
export function gatherTaps(
  ops: WasmOps,
  filter: tf.TensorInfo,
  rows: readonly number[],
  cols: readonly number[],
  transpose: boolean,
): tf.TensorInfo {
  const [, kw = 1, cin = 1, cout = 1] = filter.shape;
  const out = ops.alloc(
    transpose ? [rows.length, cols.length, cout, cin] : [rows.length, cols.length, cin, cout],
  );
  const src = ops.f32(filter);
  const dst = ops.f32(out);
  const tap = cin * cout;
  let o = 0;
  for (const i of rows) {
    for (const j of cols) {
      const s = (i * kw + j) * tap;
      if (transpose) transposeBlock(src, s, cout, dst, o, cin, cin, cout);
      else dst.set(src.subarray(s, s + tap), o);
      o += tap;
    }
  }
  return out;
}

/**
 * `dst[o + c·dstStride + r] = src[s + r·srcStride + c]` for `r < rows`, `c < cols`: a 2-D
 * transpose with row strides, in cache-sized blocks.
 */
export function transposeBlock(
  src: Float32Array,
  s: number,
  srcStride: number,
  dst: Float32Array,
  o: number,
  dstStride: number,
  rows: number,
  cols: number,
): void {
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let c = c0; c < c1; c++) {
        let d = o + c * dstStride + r0;
        let p = s + r0 * srcStride + c;
        for (let r = r0; r < r1; r++) {
          dst[d++] = src[p] as number;
          p += srcStride;
        }
      }
    }
  }
}
