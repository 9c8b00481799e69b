// The models the single-package install check builds from each published package, one line a
// model: `size` is the input's height and width (raised to the model's `minInputSize` when that is
// larger; default 64). A package that does not register a listed model fails the check.
export const MODELS = {
  '@se/resnet': [
    { model: 'seresnet50', size: 64 },
    { model: 'resnet20', size: 32 },
  ],
  '@se/vgg': [
    { model: 'se_cnn', size: 32 },
    { model: 'se_vgg16_bn', size: 32 },
  ],
  '@se/resnext': [{ model: 'seresnext50_32x4d', size: 64 }],
  '@se/inception': [{ model: 'se_bninception', size: 64 }],
  '@se/mobilenet': [{ model: 'se_mobilenetv1_100', size: 64 }],
  '@se/shufflenet': [{ model: 'se_shufflenet_v1_g3', size: 64 }],
};

/** The version of tfjs every fresh project installs from the registry (the packages' peer). */
export const TFJS = '@tensorflow/tfjs@4.22.0';
