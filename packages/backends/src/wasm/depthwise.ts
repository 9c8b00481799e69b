// Depthwise convolution gradients, which the wasm backend does not have at all.
import type * as tf from '@tensorflow/tfjs';
import { WasmOps } from './context.js';
import { type AxisGeometry, convGeometry, cropAxis, liveTaps } from './geometry.js';
import { cropNHWC, zeroStuff } from './layout.js';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs: tf.NamedAttrMap };

/**
 * `DepthwiseConv2dNativeBackpropInput`: the stock (XNNPACK) depthwise convolution of the
 * zero-stuffed gradient with the flipped filter, each of the `multiplier` filters per channel
 * as its own channel, then the sum over each channel's multiplier group.
 */
export function depthwiseBackpropInput(args: KernelArgs): tf.TensorInfo {
  const ops = new WasmOps(args.backend);
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const inputShape = args.attrs.inputShape as number[];
  const [, kw = 1, channels = 1, multiplier = 1] = filter.shape;
  const g = convGeometry(inputShape, filter.shape, args.attrs, true);
  return ops.scope(() => {
    const th = liveTaps(g.h);
    const tw = liveTaps(g.w);
    if (!th || !tw) return ops.alloc(inputShape, true);
    const h = cropAxis(g.h, th);
    const w = cropAxis(g.w, tw);
    // Flipped live taps, as a [kh', kw', C·m, 1] filter: one output channel per input channel.
    const flipped = ops.alloc([h.kernel, w.kernel, channels * multiplier, 1]);
    const src = ops.f32(filter);
    const dst = ops.f32(flipped);
    const tap = channels * multiplier;
    for (let i = 0; i < h.kernel; i++) {
      for (let j = 0; j < w.kernel; j++) {
        const s = ((th[1] - i) * kw + (tw[1] - j)) * tap;
        dst.set(src.subarray(s, s + tap), (i * w.kernel + j) * tap);
      }
    }
    const z = g.h.stride > 1 || g.w.stride > 1 ? zeroStuff(ops, dy, g.h.stride, g.w.stride) : dy;
    const windowOf = (a: AxisGeometry, size: number) => {
      const start = a.padBefore - (a.kernel - 1) * a.dilation;
      const end = start + a.size + (a.kernel - 1) * a.dilation;
      const from = Math.max(0, start);
      return {
        from,
        length: Math.min(size, end) - from,
        before: Math.max(0, -start),
        after: Math.max(0, end - size),
      };
    };
    const wh = windowOf(h, z.shape[1] ?? 1);
    const ww = windowOf(w, z.shape[2] ?? 1);
    const input = cropNHWC(ops, z, wh.from, wh.length, ww.from, ww.length);
    const spread = ops.run(
      'DepthwiseConv2dNative',
      { x: input, filter: flipped },
      {
        strides: [1, 1],
        dilations: [h.dilation, w.dilation],
        pad: [
          [0, 0],
          [wh.before, wh.after],
          [ww.before, ww.after],
          [0, 0],
        ],
      },
    ); // [N, H, W, C·m]
    if (multiplier === 1) return spread;
    const grouped = ops.reshape(spread, [...inputShape, multiplier]);
    const summed = ops.run('Sum', { x: grouped }, { axis: [4], keepDims: false });
    return summed;
  });
}

/**
 * `DepthwiseConv2dNativeBackpropFilter` in one JavaScript pass over the output gradient:
 * dW[i, j, c, q] = Σ x[n, o·s + i·d − p, …, c] · dy[n, o, …, c·m + q], accumulated in doubles.
 * Per channel there is no matrix product to hand to XNNPACK, and the composed alternative (per
 * tap a slice, a product and a reduction) measured slower.
 */
export function depthwiseBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const ops = new WasmOps(args.backend);
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const filterShape = args.attrs.filterShape as number[];
  const [kh = 1, kw = 1, C = 1, m = 1] = filterShape;
  const g = convGeometry(x.shape, filterShape, args.attrs, true);
  const { batch: N } = g;
  const H = g.h.size;
  const W = g.w.size;
  const Ho = g.h.out;
  const Wo = g.w.out;
  const out = ops.alloc(filterShape);
  const xs = ops.f32(x);
  const gs = ops.f32(dy);
  const acc = new Float64Array(kh * kw * C * m);
  const cm = C * m;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < Ho; oh++) {
      for (let ow = 0; ow < Wo; ow++) {
        const d = ((n * Ho + oh) * Wo + ow) * cm;
        for (let i = 0; i < kh; i++) {
          const h = oh * g.h.stride + i * g.h.dilation - g.h.padBefore;
          if (h < 0 || h >= H) continue;
          for (let j = 0; j < kw; j++) {
            const w = ow * g.w.stride + j * g.w.dilation - g.w.padBefore;
            if (w < 0 || w >= W) continue;
            const s = ((n * H + h) * W + w) * C;
            const a = (i * kw + j) * cm;
            if (m === 1) {
              for (let c = 0; c < C; c++) {
                acc[a + c] = (acc[a + c] as number) + (xs[s + c] as number) * (gs[d + c] as number);
              }
            } else {
              for (let c = 0; c < C; c++) {
                const v = xs[s + c] as number;
                for (let q = 0; q < m; q++) {
                  const k = c * m + q;
                  acc[a + k] = (acc[a + k] as number) + v * (gs[d + k] as number);
                }
              }
            }
          }
        }
      }
    }
  }
  ops.f32(out).set(acc);
  return out;
}
