// Small kernels whose stock wasm versions copy or index element by element.
import * as tf from '@tensorflow/tfjs';
import { asWasm, sizeOf, WasmOps } from './context.js';
import { convMethods, seenBefore } from './conv.js';
import { nativeMatMul } from './native/conv-kernels.js';
import { nativeKernels } from './native/module.js';
import { nativeSgdMomentum } from './native/sgd.js';

/**
 * `Identity` (what `tf.clone` and same-dtype casts run) shares the data and counts a reference,
 * as the CPU and WebGL backends do, where the stock wasm kernel copies it. No wasm kernel writes
 * into its inputs, so sharing is safe.
 */
export function identity(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { x } = args.inputs as { x: tf.TensorInfo };
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/**
 * `Tile` by block copies: each axis's block is written once and then doubled with
 * `copyWithin`, so the work is a few `memcpy`s instead of one index computation per element, as
 * the stock kernel does when tfjs's batch-norm gradient tiles a per-channel vector over a map.
 */
export function tile(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs: tf.NamedAttrMap;
}): tf.TensorInfo {
  const ops = new WasmOps(args.backend);
  const { x } = args.inputs as { x: tf.TensorInfo };
  const reps = args.attrs.reps as number[];
  const shape = x.shape.length === 0 ? [1] : x.shape;
  const outShape = shape.map((d, i) => d * (reps[i] ?? 1));
  if (x.dtype === 'string' || x.dtype === 'bool' || x.dtype === 'complex64') {
    return ops.run('Tile', args.inputs, args.attrs);
  }
  const out = ops.backend.makeOutput(x.shape.length === 0 ? [] : outShape, x.dtype);
  if (sizeOf(outShape) === 0) return out;
  const src = ops.u32({ ...x, shape });
  const dst = ops.u32({ ...out, shape: outShape });
  const rank = shape.length;
  const inInner = shape.map((_, i) => sizeOf(shape.slice(i + 1)));
  const outInner = outShape.map((_, i) => sizeOf(outShape.slice(i + 1)));
  const fill = (axis: number, inOff: number, outOff: number): void => {
    const d = shape[axis] ?? 1;
    if (axis === rank - 1) {
      dst.set(src.subarray(inOff, inOff + d), outOff);
    } else {
      for (let k = 0; k < d; k++) {
        fill(axis + 1, inOff + k * (inInner[axis] ?? 1), outOff + k * (outInner[axis] ?? 1));
      }
    }
    const block = d * (outInner[axis] ?? 1);
    const total = block * (reps[axis] ?? 1);
    for (let filled = block; filled < total; ) {
      const n = Math.min(filled, total - filled);
      dst.copyWithin(outOff + filled, outOff, outOff + n);
      filled += n;
    }
  };
  fill(0, 0, 0);
  return out;
}

/** `[..., m, n] → [..., n, m]` of a float32 tensor, one blocked 2-D transpose per batch. */
function transposeLast2(ops: WasmOps, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const m = x.shape[rank - 2] ?? 1;
  const n = x.shape[rank - 1] ?? 1;
  const out = ops.alloc([...x.shape.slice(0, -2), n, m]);
  const src = ops.f32(x);
  const dst = ops.f32(out);
  const B = 32;
  for (let base = 0; base < src.length; base += m * n) {
    for (let r0 = 0; r0 < m; r0 += B) {
      const r1 = Math.min(m, r0 + B);
      for (let c0 = 0; c0 < n; c0 += B) {
        const c1 = Math.min(n, c0 + B);
        for (let c = c0; c < c1; c++) {
          let d = base + c * m + r0;
          let p = base + r0 * n + c;
          for (let r = r0; r < r1; r++, p += n) dst[d++] = src[p] as number;
        }
      }
    }
  }
  return out;
}

/**
 * `BatchMatMul` / `_FusedMatMul` with `transposeA` or `transposeB`: the stock kernel runs
 * XNNPACK only without transposes and otherwise falls back to a loop at ~3 GFLOP/s, so this
 * transposes the operand first (every gradient of a dense layer has one transposed operand).
 */
export function makeMatMul(kernelName: 'BatchMatMul' | '_FusedMatMul') {
  return (args: {
    inputs: tf.NamedTensorInfoMap;
    backend: unknown;
    attrs: tf.NamedAttrMap;
  }): tf.TensorInfo => {
    const ops = new WasmOps(args.backend);
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs;
    const float32 = a.dtype === 'float32' && b.dtype === 'float32';
    // One product without bias or activation: SE Zoo's implicit GEMM, which packs the right
    // operand by a copy where XNNPACK packs it anew for every new weight tensor (every step).
    const plain =
      kernelName === 'BatchMatMul' ||
      (Object.entries(args.inputs).every(
        ([name, t]) => name === 'a' || name === 'b' || t == null,
      ) &&
        (args.attrs.activation == null || args.attrs.activation === 'linear'));
    const single = sizeOf(a.shape.slice(0, -2)) === 1 && sizeOf(b.shape.slice(0, -2)) === 1;
    // A weight seen before (inference) stays on XNNPACK, whose operator keeps it packed.
    const k =
      float32 && plain && single && convMethods.forward !== 'xnnpack' && !seenBefore(b)
        ? nativeKernels(ops.backend)
        : null;
    if (k) {
      return ops.scope(() => {
        const left = transposeA ? transposeLast2(ops, a) : a;
        const right = transposeB ? transposeLast2(ops, b) : b;
        const y = nativeMatMul(ops, k, left, right);
        const rank = Math.max(a.shape.length, b.shape.length);
        return ops.reshape(y, [...Array<number>(rank - 2).fill(1), ...y.shape.slice(-2)]);
      });
    }
    if ((!transposeA && !transposeB) || !float32) {
      return ops.run(kernelName, args.inputs, args.attrs);
    }
    return ops.scope(() =>
      ops.run(
        kernelName,
        {
          ...args.inputs,
          a: transposeA ? transposeLast2(ops, a) : a,
          b: transposeB ? transposeLast2(ops, b) : b,
        },
        { ...args.attrs, transposeA: false, transposeB: false },
      ),
    );
  };
}

/**
 * SE Zoo's fused SGD-with-momentum update (`sgdMomentumUpdate`) of one weight in one pass (SE
 * Zoo's WebAssembly kernel on every thread, else JavaScript): the new velocity `m·v + g + wd·w`
 * and the new weight `w − lr·v'`, where the composite form runs six elementwise kernels (and
 * their bookkeeping) per weight and step.
 */
export function sgdMomentumStep(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs: tf.NamedAttrMap;
}): tf.TensorInfo[] {
  const backend = asWasm(args.backend);
  const ops = new WasmOps(backend);
  const { value, velocity, grad } = args.inputs as Record<string, tf.TensorInfo>;
  const { learningRate, momentum, weightDecay } = args.attrs as Record<string, number>;
  const k = nativeKernels(backend);
  if (k) {
    return nativeSgdMomentum(
      ops,
      k,
      value as tf.TensorInfo,
      velocity as tf.TensorInfo,
      grad as tf.TensorInfo,
      [learningRate as number, momentum as number, weightDecay as number],
    );
  }
  const shape = (value as tf.TensorInfo).shape;
  const newValue = backend.makeOutput([...shape], 'float32');
  const newVelocity = backend.makeOutput([...shape], 'float32');
  const w = ops.f32(value as tf.TensorInfo);
  const v = ops.f32(velocity as tf.TensorInfo);
  const g = ops.f32(grad as tf.TensorInfo);
  const w2 = ops.f32(newValue);
  const v2 = ops.f32(newVelocity);
  // Rounded to float32 after each operation, as the composite form is: the same bits.
  const f = Math.fround;
  const lr = f(learningRate as number);
  const m = f(momentum as number);
  const wd = f(weightDecay as number);
  for (let i = 0; i < w.length; i++) {
    const wi = w[i] as number;
    const gi = wd !== 0 ? f((g[i] as number) + f(wi * wd)) : (g[i] as number);
    const vi = f(f(m * (v[i] as number)) + gi);
    v2[i] = vi;
    w2[i] = f(wi - f(vi * lr));
  }
  return [newValue, newVelocity];
}

/**
 * `Slice` of 4-byte data by block copies: each run of the slice that is contiguous in memory
 * (the innermost axes it keeps whole, and the first it cuts) is one `copyWithin`-like `set`,
 * where the stock kernel copies element by element (the gradient of a padding op slices whole
 * feature maps).
 */
export function slice(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs: tf.NamedAttrMap;
}): tf.TensorInfo {
  const ops = new WasmOps(args.backend);
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype !== 'float32' && x.dtype !== 'int32')
    return ops.run('Slice', args.inputs, args.attrs);
  const [begin, size] = tf.slice_util.parseSliceParams(
    x,
    args.attrs.begin as number[],
    args.attrs.size as number[],
  ) as [number[], number[]];
  const out = ops.backend.makeOutput(size, x.dtype);
  const total = sizeOf(size);
  if (total === 0) return out;
  const shape = x.shape.length === 0 ? [1] : x.shape;
  const rank = shape.length;
  // The run: from the innermost axis out, the axes taken whole, then one more.
  let axis = rank - 1;
  let run = 1;
  while (axis > 0 && size[axis] === shape[axis]) run *= shape[axis--] as number;
  run *= size[axis] as number;
  const strides = shape.map((_, i) => sizeOf(shape.slice(i + 1)));
  const src = ops.u32({ ...x, shape });
  const dst = ops.u32({ ...out, shape: [total] });
  const index = new Array<number>(axis).fill(0);
  for (let o = 0; o < total; o += run) {
    let from = (begin[axis] as number) * (strides[axis] as number);
    for (let i = 0; i < axis; i++)
      from += ((begin[i] as number) + (index[i] as number)) * (strides[i] as number);
    dst.set(src.subarray(from, from + run), o);
    for (let i = axis - 1; i >= 0; i--) {
      index[i] = (index[i] as number) + 1;
      if ((index[i] as number) < (size[i] as number)) break;
      index[i] = 0;
    }
  }
  return out;
}
