// Gradient functions that replace tfjs-core's for two reasons: the batch-norm gradient is slow on
// the wasm backend (it tiles per-channel vectors over whole feature maps), and tfjs refuses the
// gradient of dilated `tf.conv2d`. Registration is global, so each replacement hands every case
// it does not improve to the original gradient.
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_SUMS } from './wasm/batch-norm.js';
import { pair } from './wasm/context.js';

let original: {
  batchNorm: tf.GradConfig;
  conv2d: tf.GradConfig;
  depthwise: tf.GradConfig;
  sum: tf.GradConfig;
  mean: tf.GradConfig;
} | null = null;

/** Gradients SE Zoo replaces, by kernel name. */
export const REPLACED_GRADIENTS = [
  'FusedBatchNorm',
  'Conv2D',
  'DepthwiseConv2dNative',
  'Sum',
  'Mean',
] as const;

/**
 * The gradient of `Sum` or `Mean`: tfjs multiplies the gradient by a tensor of ones of the
 * input's size (and divides, for the mean): three passes over it. On wasm, a tile of the
 * (scaled) gradient is one block copy.
 */
function reduceGrad(kind: 'sum' | 'mean') {
  return (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [x] = saved as [tf.Tensor];
    const stock = original?.[kind].gradFunc;
    if (!stock) throw new Error(`SE Zoo: the stock ${kind} gradient is missing`);
    if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32' || dy.dtype !== 'float32') {
      return stock(dy, saved, attrs);
    }
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const reps = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
    const size = axes.reduce((n, a) => n * (x.shape[a] ?? 1), 1);
    return {
      x: () => {
        const g = tf.reshape(dy, expanded);
        return tf.tile(kind === 'mean' ? tf.div(g, size) : g, reps);
      },
    };
  };
}

function batchNormGrad(dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const [x, mean, variance, scale] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D?];
  const stock = original?.batchNorm.gradFunc;
  const channels = x.shape[3];
  if (
    tf.getBackend() !== 'wasm' ||
    x.rank !== 4 ||
    mean.rank !== 1 ||
    variance.rank !== 1 ||
    mean.shape[0] !== channels ||
    (scale != null && (scale.rank !== 1 || scale.shape[0] !== channels)) ||
    dy.dtype !== 'float32' ||
    !stock
  ) {
    if (!stock) throw new Error('SE Zoo: the stock batch-norm gradient is missing');
    return stock(dy, saved, attrs);
  }
  const epsilon = (attrs.varianceEpsilon as number | undefined) ?? 0.001;
  // The sums are shared by every input's gradient, so they are computed here rather than in the
  // lazy per-input functions (each of which runs in its own tidy).
  const sums = tf.engine().runKernel(BATCH_NORM_SUMS, { dy, x, mean }, {}) as tf.Tensor2D;
  const sumDy = tf.reshape(tf.slice(sums, [0, 0], [1, channels]), [channels]);
  const sumDyXm = tf.reshape(tf.slice(sums, [1, 0], [1, channels]), [channels]);
  const rstd = tf.rsqrt(tf.add(variance, epsilon));
  const gain = scale == null ? rstd : tf.mul(scale, rstd);
  return {
    x: () => tf.mul(dy, gain),
    mean: () => tf.neg(tf.mul(gain, sumDy)),
    variance: () => tf.mul(tf.mul(gain, tf.mul(tf.square(rstd), -0.5)), sumDyXm),
    scale: () => tf.mul(rstd, sumDyXm),
    offset: () => tf.clone(sumDy),
  };
}

/** A filter with `d − 1` zeros between its taps: the undilated twin of a dilated filter. */
function dilateFilter(filter: tf.Tensor4D, [dh, dw]: [number, number]): tf.Tensor4D {
  const [kh, kw, cin, cout] = filter.shape;
  const spread = tf.pad(tf.reshape(filter, [kh, 1, kw, 1, cin, cout]), [
    [0, 0],
    [0, dh - 1],
    [0, 0],
    [0, dw - 1],
    [0, 0],
    [0, 0],
  ]);
  const full = tf.reshape(spread, [kh * dh, kw * dw, cin, cout]);
  return tf.slice(
    full,
    [0, 0, 0, 0],
    [(kh - 1) * dh + 1, (kw - 1) * dw + 1, cin, cout],
  ) as tf.Tensor4D;
}

/** The attributes a convolution's backprop kernels share with the forward op. */
function backpropAttrs(attrs: tf.NamedAttrMap, base: tf.NamedAttrMap): tf.NamedAttrMap {
  const common: tf.NamedAttrMap = { ...base };
  for (const key of ['strides', 'pad', 'dimRoundingMode'] as const) {
    const value = attrs[key];
    if (value != null) common[key] = value;
  }
  return common;
}

/** The input- and filter-gradient kernels of one kind of convolution. */
interface BackpropKernels {
  input: string;
  filter: string;
}

/** Gradients of a dilated convolution (plain or depthwise), which tfjs refuses. */
function dilatedGradient(
  kernels: BackpropKernels,
  dy: tf.Tensor,
  [x, filter]: [tf.Tensor4D, tf.Tensor4D],
  dilations: [number, number],
  common: tf.NamedAttrMap,
) {
  const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) =>
    tf.engine().runKernel(name, inputs, attrs) as tf.Tensor4D;
  if (tf.getBackend() === 'wasm') {
    // SE Zoo's wasm kernels read a `dilations` attribute that tfjs's own kernels do not have.
    return {
      x: () => run(kernels.input, { dy, filter }, { ...common, dilations, inputShape: x.shape }),
      filter: () =>
        run(kernels.filter, { x, dy }, { ...common, dilations, filterShape: filter.shape }),
    };
  }
  // Elsewhere tfjs's kernels compute the geometry of a dilation but do not apply it: take the
  // gradients of the same convolution with the zero-stuffed filter.
  const [kh, kw, inner, outer] = filter.shape;
  const wideShape = [(kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1, inner, outer];
  return {
    x: () =>
      run(
        kernels.input,
        { dy, filter: dilateFilter(filter, dilations) },
        { ...common, dilations: 1, inputShape: x.shape },
      ),
    filter: () => {
      const wide = run(
        kernels.filter,
        { x, dy },
        { ...common, dilations: 1, filterShape: wideShape },
      );
      return tf.stridedSlice(wide, [0, 0, 0, 0], wide.shape, [dilations[0], dilations[1], 1, 1]);
    },
  };
}

function conv2dGrad(dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const dilations = pair(attrs.dilations, 'dilations');
  const stock = original?.conv2d.gradFunc;
  if (!stock) throw new Error('SE Zoo: the stock conv2d gradient is missing');
  if (dilations[0] === 1 && dilations[1] === 1) return stock(dy, saved, attrs);
  if (attrs.dataFormat === 'NCHW') return stock(dy, saved, attrs);
  return dilatedGradient(
    { input: 'Conv2DBackpropInput', filter: 'Conv2DBackpropFilter' },
    dy,
    saved as [tf.Tensor4D, tf.Tensor4D],
    dilations,
    backpropAttrs(attrs, { dataFormat: 'NHWC' }),
  );
}

function depthwiseGrad(dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const dilations = pair(attrs.dilations, 'dilations');
  const stock = original?.depthwise.gradFunc;
  if (!stock) throw new Error('SE Zoo: the stock depthwise gradient is missing');
  if (dilations[0] === 1 && dilations[1] === 1) return stock(dy, saved, attrs);
  return dilatedGradient(
    { input: 'DepthwiseConv2dNativeBackpropInput', filter: 'DepthwiseConv2dNativeBackpropFilter' },
    dy,
    saved as [tf.Tensor4D, tf.Tensor4D],
    dilations,
    backpropAttrs(attrs, {}),
  );
}

/**
 * Installs SE Zoo's gradient functions (idempotent): a batch-norm gradient that reads the
 * activations once instead of about ten times on the wasm backend (other backends keep
 * tfjs's), and gradients for dilated `tf.conv2d` and `tf.depthwiseConv2d`, which tfjs refuses.
 * The gradient of the fused convolution that Layers' `Conv2D` uses is built into tfjs's op and
 * still refuses dilations.
 */
export function registerGradients(): void {
  if (original) return;
  const batchNorm = tf.getGradient('FusedBatchNorm');
  const conv2d = tf.getGradient('Conv2D');
  const depthwise = tf.getGradient('DepthwiseConv2dNative');
  const sum = tf.getGradient('Sum');
  const mean = tf.getGradient('Mean');
  if (!batchNorm || !conv2d || !depthwise || !sum || !mean) {
    throw new Error('SE Zoo: tfjs lacks one of the gradients it replaces');
  }
  original = { batchNorm, conv2d, depthwise, sum, mean };
  tf.registerGradient({ ...sum, gradFunc: reduceGrad('sum') as tf.GradFunc });
  tf.registerGradient({ ...mean, gradFunc: reduceGrad('mean') as tf.GradFunc });
  tf.registerGradient({ ...batchNorm, gradFunc: batchNormGrad as tf.GradFunc });
  tf.registerGradient({ ...conv2d, gradFunc: conv2dGrad as tf.GradFunc });
  tf.registerGradient({ ...depthwise, gradFunc: depthwiseGrad as tf.GradFunc });
}

/** Restores tfjs's own gradient functions. */
export function unregisterGradients(): void {
  if (!original) return;
  tf.registerGradient(original.batchNorm);
  tf.registerGradient(original.conv2d);
  tf.registerGradient(original.depthwise);
  tf.registerGradient(original.sum);
  tf.registerGradient(original.mean);
  original = null;
}
