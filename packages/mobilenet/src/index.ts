/**
 * @se/mobilenet: MobileNet v1 and SE-MobileNet for TensorFlow.js — timm's `mobilenetv1_100`
 * (exact `state_dict` keys and shapes) at the widths 0.25/0.5/0.75/1 of the MobileNet paper, and
 * their SE twins of the SE paper's Table 3. Importing the package registers every model with
 * @se/core's registry and adds their names to its `ModelName` type.
 *
 * @packageDocumentation
 */

export * from './mobilenet.js';
