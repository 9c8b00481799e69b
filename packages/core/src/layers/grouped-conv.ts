import * as tf from '@tensorflow/tfjs';
import { checkDivides, checkInteger } from '../errors.js';
import { heNormalFanOut } from './initializers.js';
import { nhwcChannels, singleShape, windowOutput } from './shapes.js';
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
export class GroupedConv2D extends tf.layers.Layer implements CountsMacs {
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
 * Grouped convolution of an NHWC input with an `[kh, kw, C_in / g, C_out]` kernel. One group is a
 * plain convolution; one input channel per group is a depthwise convolution (with channel
 * multiplier C_out / C_in); otherwise each group is convolved on its own and the results
 * concatenated. Gradients follow from the composed ops.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { groupedConv2d } from '@se/core';
 *
 * const x = tf.randomNormal([1, 8, 8, 4]) as tf.Tensor4D;
 * const kernel = tf.randomNormal([3, 3, 2, 6]) as tf.Tensor4D; // 2 groups: C_in / g = 2
 * const y = groupedConv2d(x, kernel, 2, [1, 1], 'same', [1, 1]); // [1, 8, 8, 6]
 * ```
 */
export function groupedConv2d(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  groups: number,
  strides: [number, number],
  padding: 'valid' | 'same',
  dilations: [number, number],
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
  const xs = tf.split(x, groups, 3);
  const ks = tf.split(kernel, groups, 3);
  const ys = xs.map((xi, g) =>
    tf.conv2d(xi as tf.Tensor4D, ks[g] as tf.Tensor4D, strides, padding, 'NHWC', dilations),
  );
  return tf.concat(ys, 3);
}
