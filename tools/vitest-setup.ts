// Every unit test runs on tfjs's reference `cpu` backend, so results do not depend on which
// accelerated backends happen to be installed.
import * as tf from '@tensorflow/tfjs';

// Production mode also silences tfjs's "install tfjs-node" banner.
tf.enableProdMode();
await tf.setBackend('cpu');
