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

/** The family this package registers its models under. */
export const FAMILY = 'inception';

export {
  BN_INCEPTION_LIMITS,
  BN_INCEPTION_MODULES,
  type BnInceptionModule,
  bnInception,
  bnInceptionFeatureSizes,
  bnInceptionModule,
  buildBnInception,
  seBnInception,
} from './bn-inception.js';
export {
  concatBranches,
  convNormAct,
  resolveInceptionSE,
  seAfter,
} from './common.js';
export {
  buildInceptionResNetV2,
  INCEPTION_RESNET_V2_LIMITS,
  inceptionResNetBlock,
  inceptionResNetV2,
  RESIDUAL_SCALES,
  type ResidualBlockSpec,
  seInceptionResNetV2,
} from './inception-resnet-v2.js';
export {
  buildInceptionV3,
  INCEPTION_V3_LIMITS,
  inceptionV3,
  seInceptionV3,
} from './inception-v3.js';
