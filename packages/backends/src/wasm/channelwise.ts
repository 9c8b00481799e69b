// Per-channel kernels over channels-last maps. `FusedBatchNorm` becomes y = x·scale + shift in one
// XNNPACK pass (a 1×1 depthwise convolution, which XNNPACK runs as its channelwise multiply-add
// micro-kernel) where the stock kernel computes a square root per element (10–20× slower).
// Broadcasting Mul/Add/Sub of a map and a per-channel operand with few channels tile the operand
// and run the stock same-shape kernel, which beats the stock broadcast (it indexes every element
// through the broadcast) by 2–3× for up to 32 channels.
import type * as tf from '@tensorflow/tfjs';
import { asWasm, sizeOf, stockKernel, WasmOps } from './context.js';
import { tile } from './misc.js';
import { nativeChannelBinary } from './native/channelwise.js';
import { type NativeKernels, nativeKernels } from './native/module.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs: tf.NamedAttrMap };

/**
 * Maps below this many elements keep the stock `FusedBatchNorm`: the 1×1 convolution creates
 * (and, when its per-call weights are freed, drops) an XNNPACK operator per call, a few
 * microseconds that only larger maps win back.
 */
const BATCH_NORM_MIN_SIZE = 4096;

/**
 * Where tiling pays for broadcasting Mul/Add/Sub (measured on x86 with 1 and 2 threads): the
 * stock broadcast is as fast for wide channels (it runs along the innermost axis), and the tile
 * costs more than it saves on small maps.
 */
const BINARY = {
  /** Fewest elements of the map. */
  minSize: 16384,
  /** Most channels (at 64 tiling wins on one thread and loses on two). */
  maxChannels: 32,
};

/**
 * Whether every element of a float32 map (rank 4) is finite, by XNNPACK's average pooling over
 * each whole map (about half the multiply-add's time): its clamp turns a NaN sum into −∞, so the
 * averages are finite exactly when the map is (a finite map whose sum overflows reads as not).
 */
function mapFinite(ops: WasmOps, x4: tf.TensorInfo): boolean {
  const [, h = 1, w = 1] = x4.shape;
  const pooled = ops.run(
    'AvgPool',
    { x: x4 },
    { filterSize: [h, w], strides: [h, w], pad: 'valid' },
  );
  const finite = ops.f32(pooled).every(Number.isFinite);
  ops.free(pooled);
  return finite;
}

/**
 * Whether `t` holds one value per channel of a channels-last tensor with `C` channels (or one
 * value for all): shape `[C]`, `[1, …, 1, C]` or of size 1.
 */
function perChannel(t: tf.TensorInfo, C: number): boolean {
  const size = sizeOf(t.shape);
  if (t.dtype !== 'float32') return false;
  if (size === 1) return true;
  return size === C && t.shape[t.shape.length - 1] === C;
}

/**
 * `FusedBatchNorm` (what `tf.batchNorm` runs) as one per-channel multiply-add:
 * scale = γ / √(var + ε) and shift = β − mean·scale are computed on the `[C]` vectors in doubles,
 * then y = x·scale + shift in one XNNPACK pass over the map (a 1×1 depthwise convolution). The
 * result differs from the stock (x − mean)·scale + β by float rounding, relative to the larger
 * of |x·scale| and |y|. XNNPACK's output clamp would turn NaN into −∞, so maps or statistics that
 * are not all finite go to the stock kernel, as do statistics that are not per-channel vectors,
 * other dtypes and small maps.
 */
export function fusedBatchNorm(args: Args): tf.TensorInfo {
  const ops = new WasmOps(args.backend);
  const { x, mean, variance, offset, scale } = args.inputs as {
    x: tf.TensorInfo;
    mean: tf.TensorInfo;
    variance: tf.TensorInfo;
    offset?: tf.TensorInfo;
    scale?: tf.TensorInfo;
  };
  const stock = () => ops.run('FusedBatchNorm', args.inputs, args.attrs);
  const C = x.shape[x.shape.length - 1] ?? 0;
  const params = [mean, variance, offset, scale].filter((t): t is tf.TensorInfo => t != null);
  if (
    x.dtype !== 'float32' ||
    x.shape.length === 0 ||
    sizeOf(x.shape) < BATCH_NORM_MIN_SIZE ||
    !params.every((t) => perChannel(t, C))
  ) {
    return stock();
  }
  const eps = Number(args.attrs.varianceEpsilon ?? 0.001);
  return ops.scope(() => {
    const a = ops.alloc([C]);
    const b = ops.alloc([C]);
    // Views after the allocations (which may grow the heap).
    const [m, v, o, g] = [mean, variance, offset, scale].map((t) => (t ? ops.f32(t) : null));
    const av = ops.f32(a);
    const bv = ops.f32(b);
    const at = (t: Float32Array | null | undefined, c: number, absent: number): number =>
      t ? ((t.length === 1 ? t[0] : t[c]) as number) : absent;
    for (let c = 0; c < C; c++) {
      const s = at(g, c, 1) / Math.sqrt(at(v, c, 0) + eps);
      av[c] = s;
      bv[c] = at(o, c, 0) - at(m, c, 0) * s;
    }
    const x4 = x.shape.length === 4 ? x : ops.reshape(x, [1, 1, sizeOf(x.shape) / C, C]);
    if (!av.every(Number.isFinite) || !bv.every(Number.isFinite) || !mapFinite(ops, x4)) {
      return stock();
    }
    const y = ops.run(
      'FusedDepthwiseConv2D',
      { x: x4, filter: ops.reshape(a, [1, 1, C, 1]), bias: b },
      {
        strides: [1, 1],
        pad: 'valid',
        dilations: [1, 1],
        dataFormat: 'NHWC',
        activation: 'linear',
      },
    );
    return x4 === x ? y : ops.reshape(y, [...x.shape]);
  });
}

/**
 * The `Tile` reps that make `operand` (padded with leading 1s) the shape of `map`, or null when it
 * does not broadcast to it or varies along the channels less than the map (the cases measured).
 */
function channelReps(map: readonly number[], operand: readonly number[]): number[] | null {
  const rank = map.length;
  if (operand.length > rank || operand[operand.length - 1] !== map[rank - 1]) return null;
  const shape = [...Array<number>(rank - operand.length).fill(1), ...operand];
  const reps = map.map((m, i) => (shape[i] === m ? 1 : shape[i] === 1 ? m : 0));
  return reps.includes(0) ? null : reps;
}

/**
 * SE Zoo's WebAssembly kernels when they run here and `operand` is per channel (`[C]`) or per
 * sample and channel (`[N, 1, …, 1, C]`) of a float32 `map` of at least 4,096 elements whose
 * channels come in fours; else null.
 */
function nativeChannelOperand(
  backend: unknown,
  map: tf.TensorInfo,
  operand: tf.TensorInfo,
): NativeKernels | null {
  const rank = map.shape.length;
  const C = map.shape[rank - 1] ?? 0;
  if (
    map.dtype !== 'float32' ||
    operand.dtype !== 'float32' ||
    rank < 2 ||
    C % 4 !== 0 ||
    sizeOf(map.shape) < 4096 ||
    sizeOf(operand.shape) >= sizeOf(map.shape)
  ) {
    return null;
  }
  const reps = channelReps(map.shape, operand.shape);
  // Per channel: every leading axis repeated; per sample: all but the first.
  if (reps?.[rank - 1] !== 1) return null;
  const perChannel = sizeOf(operand.shape) === C;
  const perSample =
    !perChannel && reps[0] === 1 && reps.slice(1, -1).every((r, i) => r === map.shape[i + 1]);
  return perChannel || perSample ? nativeKernels(asWasm(backend)) : null;
}

/**
 * A broadcasting `Multiply`, `Add` or `Sub` of a channels-last float32 map and a per-channel
 * (`[C]`) or per-sample-and-channel (`[N, 1, 1, C]`) operand, either side: the operand is tiled to
 * the map's shape and the stock same-shape kernel runs, with the stock kernel's exact values;
 * where SE Zoo's WebAssembly kernels run, one pass of theirs instead (the same values).
 * Other cases (same shapes, other broadcasts, wide channels, small maps, other dtypes) run the
 * stock kernel directly.
 */
export function makeChannelBinary(kernelName: 'Multiply' | 'Add' | 'Sub') {
  return (args: Args): tf.TensorInfo => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const aIsMap = sizeOf(a.shape) >= sizeOf(b.shape);
    const [map, operand] = aIsMap ? [a, b] : [b, a];
    const C = map.shape[map.shape.length - 1] ?? 0;
    const native = nativeChannelOperand(args.backend, map, operand);
    if (native) {
      const ops = new WasmOps(args.backend);
      const op =
        kernelName === 'Multiply' ? 'mul' : kernelName === 'Add' ? 'add' : aIsMap ? 'sub' : 'rsub';
      return ops.scope(() => nativeChannelBinary(ops, native, map, operand, op));
    }
    const reps =
      map.dtype === 'float32' &&
      operand.dtype === 'float32' &&
      sizeOf(map.shape) >= BINARY.minSize &&
      sizeOf(operand.shape) < sizeOf(map.shape) &&
      C <= BINARY.maxChannels
        ? channelReps(map.shape, operand.shape)
        : null;
    if (!reps)
      return stockKernel(kernelName)(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    const ops = new WasmOps(args.backend);
    return ops.scope(() => {
      const row = ops.reshape(
        operand,
        map.shape.map((d, i) => d / (reps[i] as number)),
      );
      const tiled = ops.track(tile({ inputs: { x: row }, backend: ops.backend, attrs: { reps } }));
      return ops.run(kernelName, aIsMap ? { a, b: tiled } : { a: tiled, b }, args.attrs);
    });
  };
}
