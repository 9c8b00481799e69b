// Per-channel elementwise kernels and channel sums on SE Zoo's WebAssembly code, split over the
// threads: a map times (plus, minus) a `[C]` or `[N, 1, 1, C]` operand in one pass, without
// tiling the operand; sums over the middle of `[outer, reduced, inner]` in doubles.
import type * as tf from '@tensorflow/tfjs';
import { sizeOf, type WasmOps } from '../context.js';
import type { NativeKernels } from './module.js';
import { parallelPool, runParts, share } from './threads.js';

/** The operations of {@link nativeChannelBinary}. */
export type ChannelOp = 'mul' | 'add' | 'sub' | 'rsub';
const OPS: Record<ChannelOp, number> = { mul: 0, add: 1, sub: 2, rsub: 3 };

/**
 * `map op operand` for an NHWC `map` and an `operand` of `C` (per channel) or `N·C` (per sample
 * and channel) elements; `C` a multiple of 4.
 */
export function nativeChannelBinary(
  ops: WasmOps,
  k: NativeKernels,
  map: tf.TensorInfo,
  operand: tf.TensorInfo,
  op: ChannelOp,
): tf.TensorInfo {
  const c = map.shape[map.shape.length - 1] ?? 1;
  const size = sizeOf(map.shape);
  const pixels = size / c;
  const perSample = sizeOf(operand.shape) !== c;
  const samples = perSample ? sizeOf(operand.shape) / c : 1;
  const out = ops.alloc([...map.shape]);
  const pool = parallelPool(k, 8 * size);
  const parts = pool?.count ?? 1;
  const args = (part: number) => {
    const [begin, end] = share(pixels, parts, part, 1);
    return [
      ops.offset(map),
      ops.offset(operand),
      ops.offset(out),
      OPS[op],
      c,
      pixels / samples,
      perSample ? 1 : 0,
      begin,
      end,
    ];
  };
  runParts(k, pool, 'channel_binary', args);
  return out;
}

/**
 * The sums of `x` read as `[outer, reduced, inner]` over its middle axis, times `scale`, as
 * float32 `[outer·inner]` (accumulated in doubles); `inner` a multiple of 4.
 */
export function nativeSum(
  ops: WasmOps,
  k: NativeKernels,
  x: tf.TensorInfo,
  [outer, reduced, inner]: [number, number, number],
  scale: number,
  shape: number[],
): tf.TensorInfo {
  const pool = parallelPool(k, 4 * outer * reduced * inner);
  const parts = pool?.count ?? 1;
  // Threads take whole slices when there are enough, else rows, each into its own sums.
  const bySlices = outer >= parts * 2;
  const accs = Array.from({ length: bySlices ? 1 : parts }, () =>
    ops.alloc([2 * outer * inner], true),
  );
  const args = (part: number) => {
    const [o0, o1] = bySlices ? share(outer, parts, part, 1) : [0, outer];
    const [r0, r1] = bySlices ? [0, reduced] : share(reduced, parts, part, 1);
    return [
      ops.offset(x),
      ops.offset((accs[part] ?? accs[0]) as tf.TensorInfo),
      reduced,
      inner,
      o0,
      o1,
      r0,
      r1,
    ];
  };
  runParts(k, pool, 'sum_rows', args);
  const out = ops.alloc(shape);
  const dst = ops.f32(out);
  const buffer = dst.buffer;
  const sums = accs.map((acc) => new Float64Array(buffer, ops.offset(acc), outer * inner));
  for (let i = 0; i < dst.length; i++) {
    let total = 0;
    for (const s of sums) total += s[i] as number;
    dst[i] = total * scale;
  }
  return out;
}
