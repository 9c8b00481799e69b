import * as tf from '@tensorflow/tfjs';
import { checkDivides, checkInteger } from '../errors.js';
import { nhwcChannels, singleShape } from './shapes.js';

/** Arguments of {@link ChannelShuffle}. */
export interface ChannelShuffleArgs {
  /** Layer name. */
  name?: string;
  /** Number of groups g; must divide the channels. */
  groups: number;
}

/**
 * ShuffleNet's channel shuffle: view the C channels as a g × (C/g) grid and transpose it, so
 * channel `i·(C/g) + k` moves to position `k·g + i` (the same permutation as PyTorch's
 * `x.view(n, g, c/g, h, w).transpose(1, 2)`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { ChannelShuffle } from '@se/core';
 *
 * const y = new ChannelShuffle({ groups: 3 }).apply(tf.input({ shape: [28, 28, 240] }));
 * ```
 */
export class ChannelShuffle extends tf.layers.Layer {
  /** @ignore */
  static className = 'ChannelShuffle';
  /** Number of groups g the channels are shuffled across. */
  readonly groups: number;

  constructor(args: ChannelShuffleArgs) {
    super({ name: args.name });
    this.groups = checkInteger(`layer '${this.name}' groups`, args.groups, 1);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = nhwcChannels(`layer '${this.name}'`, singleShape(inputShape));
    checkDivides(`layer '${this.name}' groups`, this.groups, channels, 'input channels');
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() =>
      channelShuffle((Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D, this.groups),
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groups: this.groups };
  }
}
tf.serialization.registerClass(ChannelShuffle, 'SEZoo');

/**
 * The channel shuffle permutation on an NHWC tensor (see {@link ChannelShuffle}); `groups` must
 * divide the channels.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { channelShuffle } from '@se/core';
 *
 * const x = tf.range(0, 6).reshape([1, 1, 1, 6]) as tf.Tensor4D;
 * channelShuffle(x, 2).print(); // [[[[0, 3, 1, 4, 2, 5]]]]
 * ```
 */
export function channelShuffle(x: tf.Tensor4D, groups: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const grid = tf.reshape(x, [n, h, w, groups, c / groups]);
  return tf.reshape(tf.transpose(grid, [0, 1, 2, 4, 3]), [n, h, w, c]);
}
