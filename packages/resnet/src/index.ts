/**
 * @se/resnet: ResNet and SE-ResNet 18/34/50/101/152 for TensorFlow.js, exact to timm
 * (`resnet*`, `seresnet*`) and to the original Caffe release (`legacy_seresnet*`). Importing
 * the package registers every model with @se/core's registry and adds their names to its
 * `ModelName` type.
 *
 * @packageDocumentation
 */
export * from './cifar.js';
export * from './resnet.js';
