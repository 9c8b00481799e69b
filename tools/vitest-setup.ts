// Every unit test runs on tfjs's reference `cpu` backend, so results do not depend on which
// accelerated backends happen to be installed.
import * as tf from '@tensorflow/tfjs';

tf.env().set('IS_TEST', true);
await tf.setBackend('cpu');
