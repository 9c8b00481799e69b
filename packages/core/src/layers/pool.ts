import * as tf from '@tensorflow/tfjs';
import { checkChoice, checkInteger } from '../errors.js';
import { singleShape, windowOutput } from './shapes.js';
import { type IntPair, pair } from './types.js';

/** Arguments of {@link Pool2D}. */
export interface Pool2DArgs {
  /** Layer name (the PyTorch module path, e.g. `maxpool`). */
  name?: string;
  /** `'max'` (PyTorch's `MaxPool2d`) or `'avg'` (`AvgPool2d`). */
  mode: 'max' | 'avg';
  /** Window size (PyTorch's `kernel_size`). */
  poolSize: IntPair;
  /** Defaults to `poolSize`, as in PyTorch. */
  strides?: IntPair;
  /** Symmetric padding on each side (PyTorch's `padding`). Default 0. */
  padding?: IntPair;
  /**
   * Round the output size up, as Caffe always and PyTorch with `ceil_mode=True` do. Default
   * false.
   */
  ceilMode?: boolean;
  /**
   * Average pooling: count padded positions in the divisor (PyTorch's `count_include_pad`;
   * default true, as in PyTorch and Caffe).
   */
  countIncludePad?: boolean;
}

/**
 * Max or average pooling with PyTorch's semantics: symmetric padding (max pooling pads with −∞),
 * optional ceil mode, and PyTorch's divisor for average pooling. tfjs's `'same'` pads only the
 * bottom/right at stride 2 and never counts padding, so it cannot reproduce timm's or Caffe's
 * pooling; this layer does.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { Pool2D } from '@se/core';
 *
 * // timm's ResNet stem pool: MaxPool2d(3, stride=2, padding=1)
 * const pool = new Pool2D({ mode: 'max', poolSize: 3, strides: 2, padding: 1, name: 'maxpool' });
 * ```
 */
export class Pool2D extends tf.layers.Layer {
  /** @ignore */
  static className = 'Pool2D';
  /** `'max'` or `'avg'` pooling. */
  readonly mode: 'max' | 'avg';
  /** Window `[height, width]`. */
  readonly poolSize: [number, number];
  /** Strides `[vertical, horizontal]`. */
  readonly strides: [number, number];
  /** Symmetric padding per side `[vertical, horizontal]`. */
  readonly padding: [number, number];
  /** Whether the output size is rounded up (PyTorch's `ceil_mode`). */
  readonly ceilMode: boolean;
  /** Whether average pooling's divisor counts padded positions (PyTorch's `count_include_pad`). */
  readonly countIncludePad: boolean;

  constructor(args: Pool2DArgs) {
    super({ name: args.name });
    const who = `layer '${this.name}'`;
    this.mode = checkChoice(`${who} mode`, args.mode, ['max', 'avg'] as const);
    this.poolSize = pair(args.poolSize);
    this.strides = pair(args.strides ?? args.poolSize);
    this.padding = pair(args.padding ?? 0);
    this.ceilMode = args.ceilMode ?? false;
    this.countIncludePad = args.countIncludePad ?? true;
    for (const axis of [0, 1] as const) {
      checkInteger(`${who} poolSize`, this.poolSize[axis], 1);
      checkInteger(`${who} strides`, this.strides[axis], 1);
      // PyTorch's own rule: padding at most half the window.
      checkInteger(`${who} padding`, this.padding[axis], 0, Math.floor(this.poolSize[axis] / 2));
    }
  }

  private outputSize(size: number | null, axis: 0 | 1): number | null {
    const p = this.padding[axis];
    return windowOutput(size, this.poolSize[axis], this.strides[axis], p, p, 1, this.ceilMode);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, height, width, channels] = singleShape(inputShape);
    return [
      batch ?? null,
      this.outputSize(height ?? null, 0),
      this.outputSize(width ?? null, 1),
      channels ?? null,
    ];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [, height, width] = x.shape;
      const windows = [this.axisWindows(height, 0), this.axisWindows(width, 1)] as const;
      const padded = windows.some((w) => w.before > 0 || w.after > 0)
        ? tf.pad(
            x,
            [
              [0, 0],
              [windows[0].before, windows[0].after],
              [windows[1].before, windows[1].after],
              [0, 0],
            ],
            this.mode === 'max' ? Number.NEGATIVE_INFINITY : 0,
          )
        : x;
      if (this.mode === 'max') return tf.maxPool(padded, this.poolSize, this.strides, 'valid');
      const mean = tf.avgPool(padded, this.poolSize, this.strides, 'valid');
      const [kh, kw] = this.poolSize;
      const full =
        windows[0].counts.every((c) => c === kh) && windows[1].counts.every((c) => c === kw);
      if (full) return mean;
      // avgPool divided every window by kh·kw; rescale to PyTorch's divisor per position.
      const scaleH = tf.tensor(
        windows[0].counts.map((c) => kh / c),
        [1, windows[0].counts.length, 1, 1],
      );
      const scaleW = tf.tensor(
        windows[1].counts.map((c) => kw / c),
        [1, 1, windows[1].counts.length, 1],
      );
      return tf.mul(mean, tf.mul(scaleH, scaleW));
    });
  }

  /** Padding needed along one axis, and how many positions each window's divisor counts. */
  private axisWindows(size: number, axis: 0 | 1) {
    const k = this.poolSize[axis];
    const s = this.strides[axis];
    const p = this.padding[axis];
    const out = this.outputSize(size, axis) ?? 0;
    const after = Math.max(0, (out - 1) * s + k - size - p);
    const counts = Array.from({ length: out }, (_, i) => {
      const start = i * s - p;
      const end = Math.min(start + k, size + p);
      return this.countIncludePad ? end - start : Math.min(end, size) - Math.max(start, 0);
    });
    return { before: p, after, counts };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      mode: this.mode,
      poolSize: this.poolSize,
      strides: this.strides,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    };
  }
}
tf.serialization.registerClass(Pool2D, 'SEZoo');
