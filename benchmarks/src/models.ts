// The models the CPU benchmark trains and the tests step: SE Zoo's registered ResNets, and a small
// SE CNN built from @se/core's layers.
import { convBn, Pool2D, SqueezeExcite } from '@se/core';
import * as tf from '@tensorflow/tfjs';

/** Options of {@link smallSeCnn}. */
export interface SmallSeCnnOptions {
  inputShape?: [number, number, number];
  classes?: number;
  /** Channels of the three conv–BN–ReLU–SE stages (default 32, 64, 128). */
  widths?: number[];
}

/**
 * A small SE CNN: per stage a 3×3 convolution, batch norm, ReLU and an SE block (reduction 8),
 * then 2×2 max pooling between stages, global average pooling and a softmax classifier.
 * 10.3 M multiply–accumulates per 32×32 image, 0.10 M parameters with the defaults.
 */
export function smallSeCnn(options: SmallSeCnnOptions = {}): tf.LayersModel {
  const { inputShape = [32, 32, 3], classes = 10, widths = [32, 64, 128] } = options;
  const input = tf.input({ shape: inputShape, name: 'input' });
  let x = input;
  widths.forEach((filters, i) => {
    const stage = `stage${i + 1}`;
    x = convBn(x, {
      name: `${stage}.conv`,
      bnName: `${stage}.bn`,
      filters,
      kernelSize: 3,
      activation: 'relu',
      activationName: `${stage}.act`,
    });
    x = new SqueezeExcite({ name: `${stage}.se`, reduction: 8 }).apply(x) as tf.SymbolicTensor;
    if (i < widths.length - 1) {
      x = new Pool2D({ name: `${stage}.pool`, mode: 'max', poolSize: 2 }).apply(
        x,
      ) as tf.SymbolicTensor;
    }
  });
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({ units: classes, activation: 'softmax', name: 'fc' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'small_se_cnn' });
}
