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

/**
 * The two-copies check (run.mjs): these families are installed with a nested copy of @se/core
 * each, beside the top-level one, as npm lays out a dependency whose version differs. `readme` is
 * the model the README snippet builds through the top-level @se/core after importing the family
 * (a small one: the alone check already builds seresnet50, and any name tests the registry);
 * `roundTrip` the family export (called with `{ classes: 10, inputShape, ...options }, ...args`)
 * whose model, with the SE Zoo `layers` listed, is saved
 * with `model.save('file://…')` and loaded with `tf.loadLayersModel` after importing only the
 * family, both with the family installed alone and with the copies. The first family is installed
 * with npm (pack-check's single-package project for it); the others are unpacked into that
 * project beside it.
 */
export const TWO_COPIES = {
  '@se/resnet': {
    readme: { model: 'seresnet20', size: 32 },
    roundTrip: { export: 'cifarSeResNet20', size: 32, layers: ['BatchNorm', 'SqueezeExcite'] },
  },
  '@se/shufflenet': {
    readme: { model: 'se_shufflenet_v1_g3', size: 64 },
    roundTrip: {
      export: 'buildShuffleNetV1',
      options: { groups: 3, width: 0.5 },
      args: [true],
      size: 32,
      layers: ['BatchNorm', 'SqueezeExcite', 'GroupedConv2D', 'ChannelShuffle'],
    },
  },
};
