/**
 * @se/resnext: ResNeXt 32×4d, SE-ResNeXt 32×4d and SENet-154 for TensorFlow.js, exact to timm
 * (`resnext*_32x4d`, `seresnext*_32x4d`) and to the original Caffe release (`legacy_seresnext*`,
 * `legacy_senet154`). Importing the package registers every model with @se/core's registry and
 * adds their names to its `ModelName` type.
 *
 * @packageDocumentation
 */
export * from './resnext.js';
