import { countMacs, countParams, createModel } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import '../src/cnn.js';

describe('the small CNN of the Keras seed', () => {
  it("has the Keras example's 1,250,858 parameters, and SE adds 2·(162) + 2·(580)", () => {
    // conv 896 + 9,248 + 18,496 + 36,928; dense 2,304·512 + 512 = 1,180,160; classifier 5,130.
    expect(countParams(createModel('cnn'))).toBe(1_250_858);
    // SE on 32 channels: 2·32·2 + 2 + 32 = 162; on 64 channels: 2·64·4 + 4 + 64 = 580.
    expect(countParams(createModel('se_cnn'))).toBe(1_250_858 + 2 * 162 + 2 * 580);
  });
  it('counts its MACs by hand at 32×32', () => {
    // conv1 32²·32·27, conv2 30²·32·288, conv3 15²·64·288, conv4 13²·64·576, dense 2304·512, fc 512·10.
    const expected =
      1024 * 32 * 27 + 900 * 32 * 288 + 225 * 64 * 288 + 169 * 64 * 576 + 2304 * 512 + 5120;
    expect(countMacs(createModel('cnn'))).toBe(expected);
  });
  it('takes Fashion-MNIST-sized input and trains a step', async () => {
    const model = createModel('se_cnn', { inputShape: [28, 28, 1], classes: 10 });
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const loss = await model.trainOnBatch(
      tf.randomNormal([2, 28, 28, 1]),
      tf.oneHot(tf.tensor1d([1, 2], 'int32'), 10),
    );
    expect(Number.isFinite(loss as number)).toBe(true);
  });
  it('needs a fixed input size', () => {
    expect(() => createModel('cnn', { inputShape: [null, null, 3] })).toThrow(
      'Invalid inputShape: [null, null, 3]. Expected a fixed height and width: the dense layer needs them.',
    );
  });
});
