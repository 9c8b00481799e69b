// Preloaded (`node --import ./fast-init.mjs`) where pack-check runs the README snippets: tfjs's
// random weight initializers fill with a constant instead. The snippets build, count and train
// models whose weights are never compared, and drawing the 138 M random weights of VGG-16 or the
// 115 M of SENet-154 in pure JavaScript takes most of a minute each on a 2-core runner.
import * as tf from '@tensorflow/tfjs';

const classes = tf.serialization.SerializationMap.getMap().classNameMap;
for (const name of ['RandomUniform', 'RandomNormal', 'TruncatedNormal', 'VarianceScaling']) {
  const initializer = classes[name]?.[0];
  if (!initializer) throw new Error(`fast-init.mjs: tfjs has no ${name} initializer`);
  initializer.prototype.apply = (shape, dtype) => tf.fill(shape, 0.01, dtype);
}
