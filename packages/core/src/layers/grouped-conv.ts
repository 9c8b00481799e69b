import * as tf from '@tensorflow/tfjs';
import { checkDivides, checkInteger } from '../errors.js';
import { heNormalFanOut } from './initializers.js';
import { nhwcChannels, singleShape, windowOutput } from './shapes.js';
import { HWIO_TO_OIHW, kernelAndBias } from './torch-weights.js';
import type { MapsTorchWeights, TorchWeightSpec } from './types.js';
import { type CountsMacs, type Initializer, type IntPair, pair } from './types.js';

/** Arguments of {@link GroupedConv2D}. */
export interface GroupedConv2DArgs {
  /** Layer name; SE Zoo uses the PyTorch module path (`layer1.0.conv2`). */
  name?: string;
  /** Whether the kernel and bias are trainable (default true). */
  trainable?: boolean;
  /** Output channels; must be divisible by `groups`. */
  filters: number;
  /** Kernel height and width (PyTorch's `kernel_size`). */
  kernelSize: IntPair;
  /** Stride (default 1). */
  strides?: IntPair;
  /** Dilation (default 1; PyTorch's `dilation`). */
  dilationRate?: IntPair;
  /** Number of channel groups; must divide the input channels and `filters`. */
  groups: number;
  /** `'valid'` (default; pad explicitly for PyTorch parity) or tfjs's `'same'`. */
  padding?: 'valid' | 'same';
  /** Whether to add a bias (default false). */
  useBias?: boolean;
  /** Kernel initializer (default He-normal over fan-out, {@link heNormalFanOut}). */
  kernelInitializer?: Initializer;
}

/**
 * A 2-D convolution whose input and output channels are split into `groups` independent groups,
 * as PyTorch's `Conv2d(groups=g)` (tfjs has none). The kernel is `[kh, kw, C_in / g, C_out]`:
 * PyTorch's `[C_out, C_in / g, kh, kw]` transposed, output channel o belonging to group
 * ⌊o / (C_out / g)⌋. `groups` equal to the channels runs as a depthwise convolution.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { GroupedConv2D } from '@se/core';
 *
 * const x = tf.input({ shape: [56, 56, 128] });
 * const y = new GroupedConv2D({ filters: 128, kernelSize: 3, groups: 32, padding: 'same' })
 *   .apply(x) as tf.SymbolicTensor; // 3·3·4·128 = 4608 weights
 * ```
 */
export class GroupedConv2D extends tf.layers.Layer implements CountsMacs, MapsTorchWeights {
  /** @ignore */
  static className = 'GroupedConv2D';
  /** Output channels C_out. */
  readonly filters: number;
  /** Kernel `[height, width]`. */
  readonly kernelSize: [number, number];
  /** Strides `[vertical, horizontal]`. */
  readonly strides: [number, number];
  /** Dilation `[vertical, horizontal]`. */
  readonly dilationRate: [number, number];
  /** Number of channel groups g. */
  readonly groups: number;
  /** tfjs padding mode: `'valid'` or `'same'`. */
  readonly padding: 'valid' | 'same';
  /** Whether the layer has a bias. */
  readonly useBias: boolean;
  private readonly kernelInitializer: Initializer;
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;
  private inChannels = 0;

  constructor(args: GroupedConv2DArgs) {
    super({ name: args.name, trainable: args.trainable });
    const who = `layer '${this.name}'`;
    this.filters = checkInteger(`${who} filters`, args.filters, 1);
    this.groups = checkInteger(`${who} groups`, args.groups, 1);
    this.kernelSize = pair(args.kernelSize);
    this.strides = pair(args.strides ?? 1);
    this.dilationRate = pair(args.dilationRate ?? 1);
    this.padding = args.padding ?? 'valid';
    this.useBias = args.useBias ?? false;
    this.kernelInitializer = args.kernelInitializer ?? heNormalFanOut();
    checkDivides(`${who} groups`, this.groups, this.filters, 'output filters');
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = nhwcChannels(`layer '${this.name}'`, singleShape(inputShape));
    checkDivides(`layer '${this.name}' groups`, this.groups, channels, 'input channels');
    this.inChannels = channels;
    const [kh, kw] = this.kernelSize;
    this.kernel = this.addWeight(
      'kernel',
      [kh, kw, channels / this.groups, this.filters],
      'float32',
      this.kernelInitializer,
    );
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, height, width] = singleShape(inputShape);
    const size = (n: number | null | undefined, axis: 0 | 1): number | null => {
      if (n == null) return null;
      const k = this.kernelSize[axis];
      const s = this.strides[axis];
      const d = this.dilationRate[axis];
      return this.padding === 'same' ? Math.ceil(n / s) : windowOutput(n, k, s, 0, 0, d);
    };
    return [batch ?? null, size(height, 0), size(width, 1), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      if (!this.kernel) throw new Error(`GroupedConv2D '${this.name}' is used before it is built`);
      const kernel = this.kernel.read() as tf.Tensor4D;
      let y = groupedConv2d(x, kernel, this.groups, this.strides, this.padding, this.dilationRate);
      if (this.bias) y = tf.add(y, this.bias.read());
      return y;
    });
  }

  /** Multiply–accumulates for one image: H_out · W_out · C_out · kh · kw · C_in / g. */
  macs(_inputShapes: tf.Shape[], outputShape: tf.Shape): number {
    const [, h, w] = outputShape;
    const [kh, kw] = this.kernelSize;
    return (h ?? 0) * (w ?? 0) * this.filters * kh * kw * (this.inChannels / this.groups);
  }

  /** PyTorch's `weight` `[C_out, C_in / g, kh, kw]` and, with `useBias`, `bias`. */
  torchWeights(): TorchWeightSpec[] {
    return kernelAndBias(this, HWIO_TO_OIHW);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      dilationRate: this.dilationRate,
      groups: this.groups,
      padding: this.padding,
      useBias: this.useBias,
    };
  }
}
tf.serialization.registerClass(GroupedConv2D, 'SEZoo');

/**
 * The ways {@link groupedConv2d} can compute a grouped convolution, the defaults of
 * {@link groupedConvMethods}; both give the same result and the same gradients:
 * - `'groupMajor'`: one convolution per group, with the groups first moved to the leading axis
 *   by one transpose, so that every slice and the final stack copy contiguous blocks;
 * - `'kernel'`: one custom tfjs kernel, {@link GROUPED_CONV_KERNEL}, with its own gradient
 *   kernels, where the current backend registers them (@se/backends does on webgpu); elsewhere
 *   `'groupMajor'` (see {@link groupedConv2d}).
 *
 * Other ways (split/concat, a block-diagonal dense kernel, depthwise + sum, im2col + batched
 * matrix product) were measured and lost on every backend; they live on as variants of the
 * grouped-convolution benchmark (benchmarks/grouped-conv/README.md).
 */
export type GroupedConvMethod = 'groupMajor' | 'kernel';

/** Every {@link GroupedConvMethod}. */
export const GROUPED_CONV_METHODS: readonly GroupedConvMethod[] = ['groupMajor', 'kernel'];

/**
 * Name of the tfjs kernel behind method `'kernel'`: a grouped convolution of inputs
 * `{ x, filter }` (NHWC `x`, filter `[kh, kw, C_in / g, C_out]`) with {@link GroupedConvKernelAttrs}.
 * @se/core registers only its gradient, which runs {@link GROUPED_CONV_BACKPROP_INPUT_KERNEL} and
 * {@link GROUPED_CONV_BACKPROP_FILTER_KERNEL}; a backend that registers this kernel must register
 * those two as well.
 */
export const GROUPED_CONV_KERNEL = 'SEZooGroupedConv2D';

/**
 * Name of the input-gradient kernel of {@link GROUPED_CONV_KERNEL}: inputs `{ dy, filter }`,
 * attributes {@link GroupedConvKernelAttrs} plus `inputShape`; returns dL/dx.
 */
export const GROUPED_CONV_BACKPROP_INPUT_KERNEL = 'SEZooGroupedConv2DBackpropInput';

/**
 * Name of the filter-gradient kernel of {@link GROUPED_CONV_KERNEL}: inputs `{ x, dy }`,
 * attributes {@link GroupedConvKernelAttrs} plus `filterShape`; returns dL/dfilter.
 */
export const GROUPED_CONV_BACKPROP_FILTER_KERNEL = 'SEZooGroupedConv2DBackpropFilter';

/** Attributes of {@link GROUPED_CONV_KERNEL} and its two gradient kernels. */
export interface GroupedConvKernelAttrs {
  /** Number of channel groups g. */
  groups: number;
  /** Strides `[vertical, horizontal]`. */
  strides: [number, number];
  /**
   * `'valid'`, tfjs's `'same'`, or explicit NHWC padding
   * `[[0, 0], [top, bottom], [left, right], [0, 0]]` (as tfjs's `conv2d` takes it).
   */
  pad: 'valid' | 'same' | [[0, 0], [number, number], [number, number], [0, 0]];
  /** Dilations `[vertical, horizontal]`. */
  dilations: [number, number];
}

/** Whether the current backend registers the grouped-convolution kernel and its gradients. */
function groupedKernelRegistered(): boolean {
  const backend = tf.getBackend();
  return [
    GROUPED_CONV_KERNEL,
    GROUPED_CONV_BACKPROP_INPUT_KERNEL,
    GROUPED_CONV_BACKPROP_FILTER_KERNEL,
  ].every((name) => tf.getKernel(name, backend) != null);
}

// The gradient of the custom kernel: two more custom kernels, so that @se/core stays free of any
// backend (only backends register kernels). Second derivatives are not supported.
tf.registerGradient({
  kernelName: GROUPED_CONV_KERNEL,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const grad = Array.isArray(dy) ? (dy[0] as tf.Tensor) : dy;
    return {
      x: () =>
        tf
          .engine()
          .runKernel(
            GROUPED_CONV_BACKPROP_INPUT_KERNEL,
            { dy: grad, filter },
            { ...attrs, inputShape: x.shape },
          ) as tf.Tensor,
      filter: () =>
        tf
          .engine()
          .runKernel(
            GROUPED_CONV_BACKPROP_FILTER_KERNEL,
            { x, dy: grad },
            { ...attrs, filterShape: filter.shape },
          ) as tf.Tensor,
    };
  },
});

/**
 * The method {@link groupedConv2d} uses on each tfjs backend, looked up by `tf.getBackend()` at
 * call time; `default` covers the backends not listed. The entries are the fastest in
 * `pnpm bench:grouped-conv` (forward + backward, summed over SE-ResNeXt-50's grouped 3×3 layers;
 * the figures are in benchmarks/grouped-conv/README.md): `'groupMajor'` on `cpu` and on `wasm`
 * with @se/backends' kernels, and `'kernel'` on `webgpu`, @se/backends' own WGSL kernels. WebGL
 * is not measured yet. Assign to an entry to override it.
 */
export const groupedConvMethods: Record<string, GroupedConvMethod> = {
  /** tfjs's JavaScript backend. */
  cpu: 'groupMajor',
  /** tfjs's WebAssembly backend (with @se/backends' training kernels). */
  wasm: 'groupMajor',
  /**
   * tfjs's WebGPU backend: @se/backends' grouped-convolution kernels, which `setBackend('webgpu')`
   * registers; without them `'groupMajor'`.
   */
  webgpu: 'kernel',
  /** Every other backend (WebGL, tfjs-node): not measured yet. */
  default: 'groupMajor',
};

/**
 * Grouped convolution of an NHWC input with an `[kh, kw, C_in / g, C_out]` kernel. One group is a
 * plain convolution; one input channel per group is a depthwise convolution (with channel
 * multiplier C_out / C_in); otherwise `method` (by default the current backend's entry of
 * {@link groupedConvMethods}) computes it. Gradients follow from the composed ops, or for
 * `'kernel'` from the custom gradient kernels. `'kernel'` runs {@link GROUPED_CONV_KERNEL} where
 * the current backend registers it and its two gradient kernels; elsewhere `'groupMajor'`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { groupedConv2d } from '@se/core';
 *
 * const x = tf.randomNormal([1, 8, 8, 4]) as tf.Tensor4D;
 * const kernel = tf.randomNormal([3, 3, 2, 6]) as tf.Tensor4D; // 2 groups: C_in / g = 2
 * const y = groupedConv2d(x, kernel, 2, [1, 1], 'same', [1, 1]); // [1, 8, 8, 6]
 * const same = groupedConv2d(x, kernel, 2, [1, 1], 'same', [1, 1], 'groupMajor');
 * ```
 */
export function groupedConv2d(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  groups: number,
  strides: [number, number],
  padding: 'valid' | 'same',
  dilations: [number, number],
  method?: GroupedConvMethod,
): tf.Tensor4D {
  if (groups === 1) return tf.conv2d(x, kernel, strides, padding, 'NHWC', dilations);
  const [kh, kw, groupIn, outChannels] = kernel.shape;
  const inChannels = x.shape[3];
  const depthwiseAllowed =
    (strides[0] === 1 && strides[1] === 1) || dilations.every((d) => d === 1);
  if (groupIn === 1 && groups === inChannels && depthwiseAllowed) {
    // [kh, kw, 1, C·m] and [kh, kw, C, m] order output channel i·m + j identically.
    const depthwise = tf.reshape(kernel, [kh, kw, inChannels, outChannels / inChannels]);
    return tf.depthwiseConv2d(x, depthwise as tf.Tensor4D, strides, padding, 'NHWC', dilations);
  }
  const chosen =
    method ?? groupedConvMethods[tf.getBackend()] ?? groupedConvMethods.default ?? 'groupMajor';
  if (chosen === 'kernel' && groupedKernelRegistered()) {
    const attrs: GroupedConvKernelAttrs = { groups, strides, pad: padding, dilations };
    return tf
      .engine()
      .runKernel(
        GROUPED_CONV_KERNEL,
        { x, filter: kernel },
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor4D;
  }
  return groupMajorConv(x, kernel, groups, strides, padding, dilations);
}

/** Per-group convolutions on group-major copies of the input and kernel. */
function groupMajorConv(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  groups: number,
  strides: [number, number],
  padding: 'valid' | 'same',
  dilations: [number, number],
): tf.Tensor4D {
  const [kh, kw, groupIn, outChannels] = kernel.shape;
  const [n, h, w] = x.shape;
  const groupOut = outChannels / groups;
  // [N, H, W, g, C_in/g] → [g, N·H·W·C_in/g]: group g is one contiguous block.
  const xs = tf.split(
    tf.reshape(tf.transpose(tf.reshape(x, [n * h * w, groups, groupIn]), [1, 0, 2]), [
      groups,
      n * h * w * groupIn,
    ]),
    groups,
    0,
  );
  const ks = tf.split(
    tf.reshape(tf.transpose(tf.reshape(kernel, [kh * kw * groupIn, groups, groupOut]), [1, 0, 2]), [
      groups,
      kh * kw * groupIn * groupOut,
    ]),
    groups,
    0,
  );
  const ys = xs.map((xg, g) =>
    tf.conv2d(
      tf.reshape(xg, [n, h, w, groupIn]) as tf.Tensor4D,
      tf.reshape(ks[g] as tf.Tensor, [kh, kw, groupIn, groupOut]) as tf.Tensor4D,
      strides,
      padding,
      'NHWC',
      dilations,
    ),
  );
  const [, outH, outW] = (ys[0] as tf.Tensor4D).shape;
  const rows = n * outH * outW;
  // [g, N·H'·W'·C_out/g] → [N, H', W', C_out].
  const stacked = tf.concat(
    ys.map((y) => tf.reshape(y, [1, rows * groupOut])),
    0,
  );
  return tf.reshape(tf.transpose(tf.reshape(stacked, [groups, rows, groupOut]), [1, 0, 2]), [
    n,
    outH,
    outW,
    outChannels,
  ]);
}
