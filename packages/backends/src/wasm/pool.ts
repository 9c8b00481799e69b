// Pooling gradients in plain JavaScript on the wasm heap: one pass over the windows with the
// channels innermost. The stock wasm kernels take ~50 ms (max) and ~25 ms (average) for a
// 64×32×32×32 input where these take a few milliseconds.
import * as tf from '@tensorflow/tfjs';
import { pair, WasmOps } from './context.js';

function poolInfo(xShape: number[], attrs: tf.NamedAttrMap) {
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    pair(attrs.filterSize, 'filterSize'),
    pair(attrs.strides, 'strides'),
    1,
    attrs.pad as 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
    (attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined) ?? undefined,
  );
}

/** What both pooling gradients start from: their inputs, the window geometry and a zeroed dx. */
function startPoolGrad(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs: tf.NamedAttrMap;
}) {
  const ops = new WasmOps(args.backend);
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const info = poolInfo(input.shape, args.attrs);
  const window = {
    n: info.batchSize,
    H: info.inHeight,
    W: info.inWidth,
    C: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    fh: info.filterHeight,
    fw: info.filterWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
  return { ops, dy, input, dx: ops.alloc(input.shape, true), window };
}

/**
 * `MaxPoolGrad`: each output gradient goes to the first maximum of its window in row-major
 * order (tfjs's rule, which matters after a ReLU, where windows of zeros tie), and windows
 * that overlap accumulate.
 */
export function maxPoolGrad(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { ops, dy, input, dx, window } = startPoolGrad(args);
  const { n, H, W, C, outHeight, outWidth, sh, sw, fh, fw, top, left } = window;
  const x = ops.f32(input);
  const g = ops.f32(dy);
  const out = ops.f32(dx);
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = Math.max(0, oh * sh - top);
      const h1 = Math.min(H, oh * sh - top + fh);
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = Math.max(0, ow * sw - left);
        const w1 = Math.min(W, ow * sw - left + fw);
        const d = ((b * outHeight + oh) * outWidth + ow) * C;
        // Per channel, the window's maximum in locals (registers), scanning row-major.
        for (let c = 0; c < C; c++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let h = h0; h < h1; h++) {
            let p = ((b * H + h) * W + w0) * C + c;
            for (let w = w0; w < w1; w++, p += C) {
              const v = x[p] as number;
              if (v > best) {
                best = v;
                at = p;
              }
            }
          }
          if (at >= 0) out[at] = (out[at] as number) + (g[d + c] as number);
        }
      }
    }
  }
  return dx;
}

/**
 * `AvgPoolGrad`: each output gradient spread over its window's input positions, divided by the
 * full window size as tfjs's CPU kernel does (also for windows that overlap the padding).
 */
export function avgPoolGrad(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { ops, dy, dx, window } = startPoolGrad(args);
  const { n, H, W, C, outHeight, outWidth, sh, sw, fh, fw, top, left } = window;
  const scale = 1 / (fh * fw);
  const g = ops.f32(dy);
  const out = ops.f32(dx);
  const share = new Float32Array(C);
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * sh - top;
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * sw - left;
        const d = ((b * outHeight + oh) * outWidth + ow) * C;
        for (let c = 0; c < C; c++) share[c] = (g[d + c] as number) * scale;
        for (let h = Math.max(0, h0); h < Math.min(H, h0 + fh); h++) {
          for (let w = Math.max(0, w0); w < Math.min(W, w0 + fw); w++) {
            const base = ((b * H + h) * W + w) * C;
            for (let c = 0; c < C; c++)
              out[base + c] = (out[base + c] as number) + (share[c] as number);
          }
        }
      }
    }
  }
  return dx;
}
