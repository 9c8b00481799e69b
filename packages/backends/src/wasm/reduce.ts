// `Sum` and `Mean` over a block of adjacent axes that are not the innermost — batch-norm
// statistics over N·H·W, SE squeezes and global pooling over H·W — in one pass into double
// accumulators: SE Zoo's WebAssembly kernel on every thread where the channels come in fours,
// else JavaScript, eight rows at a time. The stock wasm kernels first transpose the
// reduced axes innermost, which makes them three to six times slower.
import * as tf from '@tensorflow/tfjs';
import { sizeOf, WasmOps } from './context.js';
import { nativeSum } from './native/channelwise.js';
import { nativeKernels } from './native/module.js';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs: tf.NamedAttrMap };

/** `[outer, reduced, inner]` sizes when `axes` are adjacent, else null. */
function blockOf(shape: number[], axes: number[]): [number, number, number] | null {
  if (axes.length === 0) return null;
  const sorted = [...new Set(axes)].sort((a, b) => a - b);
  const first = sorted[0] ?? 0;
  const last = sorted[sorted.length - 1] ?? 0;
  if (last - first + 1 !== sorted.length) return null;
  return [
    sizeOf(shape.slice(0, first)),
    sizeOf(shape.slice(first, last + 1)),
    sizeOf(shape.slice(last + 1)),
  ];
}

function makeReduce(kernelName: 'Sum' | 'Mean') {
  return (args: KernelArgs): tf.TensorInfo => {
    const ops = new WasmOps(args.backend);
    const { x } = args.inputs as { x: tf.TensorInfo };
    const axes = tf.util.parseAxisParam(args.attrs.axis as number | number[], x.shape);
    const block = x.dtype === 'float32' ? blockOf(x.shape, axes) : null;
    // Reductions of the innermost axis are already fast in the stock kernel.
    if (!block || block[2] === 1 || block[1] === 1) {
      return ops.run(kernelName, args.inputs, args.attrs);
    }
    const [outer, reduced, inner] = block;
    const keep = args.attrs.keepDims === true;
    const shape = keep
      ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !axes.includes(i));
    const scale = kernelName === 'Mean' ? 1 / reduced : 1;
    const k = inner % 4 === 0 ? nativeKernels(ops.backend) : null;
    if (k) return ops.scope(() => nativeSum(ops, k, x, [outer, reduced, inner], scale, shape));
    const out = ops.alloc(shape);
    const src = ops.f32(x);
    const dst = ops.f32(out);
    const acc = new Float64Array(inner);
    const B = inner;
    for (let a = 0; a < outer; a++) {
      acc.fill(0);
      let base = a * reduced * B;
      let r = 0;
      for (; r + 8 <= reduced; r += 8, base += 8 * B) {
        for (let j = 0; j < B; j++) {
          const p = base + j;
          acc[j] =
            (acc[j] as number) +
            ((src[p] as number) +
              (src[p + B] as number) +
              ((src[p + 2 * B] as number) + (src[p + 3 * B] as number))) +
            ((src[p + 4 * B] as number) +
              (src[p + 5 * B] as number) +
              ((src[p + 6 * B] as number) + (src[p + 7 * B] as number)));
        }
      }
      for (; r < reduced; r++, base += B) {
        for (let j = 0; j < B; j++) acc[j] = (acc[j] as number) + (src[base + j] as number);
      }
      for (let j = 0; j < B; j++) dst[a * B + j] = (acc[j] as number) * scale;
    }
    return out;
  };
}

/** `Sum` over adjacent, not innermost axes (see the module comment). */
export const sum = makeReduce('Sum');
/** `Mean` over adjacent, not innermost axes (see the module comment). */
export const mean = makeReduce('Mean');
