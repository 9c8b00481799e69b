/**
 * SE Zoo core: the Squeeze-and-Excitation block with every ablation of the paper, the layers
 * every family shares, the model registry, and parameter/MAC counting.
 *
 * @packageDocumentation
 */
export {
  FC_FORMS,
  type FcForm,
  GATE_KINDS,
  type GateKind,
  type ResolvedSqueezeExcite,
  resolveSqueezeExcite,
  SQUEEZE_MODES,
  type SqueezeExciteOptions,
  type SqueezeMode,
  seHiddenChannels,
} from './attention/options.js';
export {
  type ResolvedSE,
  resolveSEConfig,
  SE_POSITIONS,
  type SEConfig,
  type SEPosition,
  seForStage,
  squeezeExcite,
} from './attention/placement.js';
export {
  type ResolvedSqueezeExciteArgs,
  SqueezeExcite,
  type SqueezeExciteArgs,
} from './attention/squeeze-excite.js';
export {
  applyGate,
  channelScale,
  type ExcitationWeights,
  fusedSqueezeExcite,
} from './attention/squeeze-excite-op.js';
export {
  type CountOptions,
  countMacs,
  countParams,
  formatCount,
  formatMacs,
  formatSummary,
  type LayerCount,
  type ModelCount,
  summarize,
} from './counting.js';
export { ConfigError, checkChoice, checkInteger } from './errors.js';
export { type FamilySEOptions, resolveFamilySE, seAt } from './family/se-options.js';
export { fileSystem, registerFileSystemRouter } from './io/file-system.js';
export {
  exportPyTorchWeights,
  exportPyTorchWeightsAsync,
  type LoadPyTorchWeightsOptions,
  type LoadPyTorchWeightsResult,
  loadPyTorchWeights,
  permuteAxes,
  type TorchTensorMapping,
  torchStateDictMapping,
} from './io/pytorch.js';
export {
  type RawTensor,
  readSafetensors,
  type SafetensorsData,
  type SafetensorsDataTypes,
  type SafetensorsDtype,
  type SafetensorsFile,
  type SafetensorsTensor,
  toFloat32,
  writeSafetensors,
} from './io/safetensors.js';
export { BatchNorm, type BatchNormArgs } from './layers/batch-norm.js';
export {
  type ActivationName,
  activation,
  batchNorm,
  type ConvBnSpec,
  type ConvSpec,
  conv2d,
  convBn,
} from './layers/builders.js';
export {
  ChannelShuffle,
  type ChannelShuffleArgs,
  channelShuffle,
} from './layers/channel-shuffle.js';
export { concatBranches, convNormAct } from './layers/conv-norm-act.js';
export {
  type BatchNormTrainingResult,
  batchNormTraining,
  type FusedOpsConfig,
  fusedOps,
} from './layers/fused-ops.js';
export {
  GROUPED_CONV_BACKPROP_FILTER_KERNEL,
  GROUPED_CONV_BACKPROP_INPUT_KERNEL,
  GROUPED_CONV_KERNEL,
  GROUPED_CONV_METHODS,
  GroupedConv2D,
  type GroupedConv2DArgs,
  type GroupedConvKernelAttrs,
  type GroupedConvMethod,
  groupedConv2d,
  groupedConvMethods,
} from './layers/grouped-conv.js';
export { heNormalFanOut } from './layers/initializers.js';
export { Pool2D, type Pool2DArgs } from './layers/pool.js';
export { windowOutput } from './layers/shapes.js';
export {
  type CountsMacs,
  countsMacs,
  type IntPair,
  type MapsTorchWeights,
  mapsTorchWeights,
  type TorchWeightSpec,
} from './layers/types.js';
export {
  type ArchitectureLimits,
  checkInputSizes,
  classifierHead,
  type HeadNames,
  type InputShape,
  type ModelOptions,
  type ResolvedModelOptions,
  resolveModelOptions,
} from './models.js';
export {
  createModel,
  type FamilyModel,
  type FamilyTable,
  getModelInfo,
  isModelName,
  listModels,
  type ModelFactory,
  type ModelInfo,
  type ModelName,
  type ModelNames,
  modelName,
  registerFamily,
  registerModel,
  type TwinModels,
  twinModels,
} from './registry.js';
export {
  type BottleneckStride,
  bottleneckWidth,
  buildResidualNetwork,
  RESIDUAL_EXPANSION,
  RESIDUAL_LAYOUTS,
  RESIDUAL_LIMITS,
  type ResidualArchitecture,
  type ResidualBlockKind,
  type ResidualBlockSpec,
  type ResidualLayout,
  type ResidualLayoutSpec,
  type ResidualStem,
  type ResidualStemOptions,
  residualBasicBlock,
  residualBottleneck,
  residualStem,
  resolveResidualSE,
  type StemUnitNames,
} from './residual/network.js';
export { type ResidualUnitSpec, residualUnit } from './residual/unit.js';

import { registerFileSystemRouter } from './io/file-system.js';

// Like tfjs-node, make `model.save('file://…')` work in Node; does nothing in a browser.
registerFileSystemRouter();

export {
  findPretrained,
  NoPretrainedWeightsError,
  PRETRAINED,
  type PretrainedConfig,
  type PretrainedCropMode,
  type PretrainedInterpolation,
  type PretrainedModel,
  pretrainedTags,
} from './pretrained/configs.js';
export {
  browserStore,
  type CacheLike,
  type CacheStorageLike,
  cachedHubFile,
  defaultCacheDir,
  type HubDownload,
  HubError,
  type HubErrorDetails,
  type HubFault,
  type HubFileOptions,
  type HubProgress,
  type HubStore,
  type HubTarget,
  type HubVerify,
  hubCachePath,
  hubFile,
  hubUrl,
  nodeStore,
} from './pretrained/hub.js';
export { IMAGENET_CLASSES, IMAGENET_SYNSETS } from './pretrained/imagenet-classes.js';
export {
  type ClassifyOptions,
  type ClassProbability,
  classify,
  decodePredictions,
  type LoadedModel,
  type LoadModelOptions,
  loadModel,
  pretrainedConfig,
  WEIGHTS_FILE,
} from './pretrained/load.js';
export {
  decodeImage,
  type ImageInput,
  type PreprocessConfig,
  type PreprocessCropMode,
  type PreprocessInterpolation,
  preprocess,
  type RgbImage,
  resizePillow,
} from './pretrained/preprocess.js';
export {
  type Augmentation,
  type ConstantSchedule,
  type CosineSchedule,
  defaultRecipe,
  describeRecipe,
  getRecipe,
  type Hyperparameters,
  type LearningRateSchedule,
  learningRateAt,
  type NamedRecipe,
  type OptimizerConfig,
  RECIPE_NAMES,
  RECIPES,
  type Recipe,
  type RecipeName,
  type RmsPropConfig,
  type SgdConfig,
  type StepSchedule,
} from './training/recipes.js';
