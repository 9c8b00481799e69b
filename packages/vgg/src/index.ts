/**
 * @se/vgg: VGG-16 (BN) and SE-VGG-16 for TensorFlow.js — timm's `vgg16_bn` (exact `state_dict`
 * keys and shapes) and its SE twin of the paper's Table 2 — and the small CNN of the Keras seed
 * experiments. Importing the package registers every model with @se/core's registry.
 *
 * @packageDocumentation
 */

export * from './cnn.js';
export * from './vgg.js';
