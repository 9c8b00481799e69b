/**
 * @se/inception: BN-Inception, Inception-v3 and Inception-ResNet-v2, plain and with SE, for
 * TensorFlow.js. BN-Inception is exact to the SENet Caffe release (`SE-BN-Inception.prototxt`,
 * with Cadene's `bninception.py` layer names); Inception-v3 and Inception-ResNet-v2 are exact to
 * timm (`inception_v3`, `inception_resnet_v2`). Importing the package registers
 * `bninception`, `se_bninception`, `inception_v3`, `se_inception_v3`, `inception_resnet_v2` and
 * `se_inception_resnet_v2` with @se/core's registry.
 *
 * @packageDocumentation
 */

import { BN_INCEPTION_MODEL_NAMES, type BnInceptionModelName } from './bn-inception.js';
import {
  INCEPTION_RESNET_V2_MODEL_NAMES,
  type InceptionResNetV2ModelName,
} from './inception-resnet-v2.js';
import { INCEPTION_V3_MODEL_NAMES, type InceptionV3ModelName } from './inception-v3.js';

/** The registered name of a model of this package. */
export type InceptionModelName =
  | BnInceptionModelName
  | InceptionV3ModelName
  | InceptionResNetV2ModelName;

/** Every {@link InceptionModelName}, as registered. */
export const INCEPTION_MODEL_NAMES: readonly InceptionModelName[] = [
  ...BN_INCEPTION_MODEL_NAMES,
  ...INCEPTION_V3_MODEL_NAMES,
  ...INCEPTION_RESNET_V2_MODEL_NAMES,
];

export {
  BN_INCEPTION_LIMITS,
  BN_INCEPTION_MODULES,
  type BnInceptionModelName,
  type BnInceptionModule,
  bnInception,
  bnInceptionFeatureSizes,
  bnInceptionModule,
  buildBnInception,
  seBnInception,
} from './bn-inception.js';
export { resolveInceptionSE } from './common.js';
export {
  buildInceptionResNetV2,
  INCEPTION_RESNET_V2_LIMITS,
  type InceptionResNetV2ModelName,
  inceptionResNetBlock,
  inceptionResNetV2,
  RESIDUAL_SCALES,
  type ResidualBlockSpec,
  seInceptionResNetV2,
} from './inception-resnet-v2.js';
export {
  buildInceptionV3,
  INCEPTION_V3_LIMITS,
  type InceptionV3ModelName,
  inceptionV3,
  seInceptionV3,
} from './inception-v3.js';
