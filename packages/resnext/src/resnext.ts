/**
 * ResNeXt, SE-ResNeXt and SENet-154 as one readable family (after Cadene's / timm's `senet.py`
 * and timm's `resnet.py`), built with @se/core's residual builder:
 * - `resnext*_32x4d` / `seresnext*_32x4d`: timm's layout — a bottleneck's 3×3 convolution has 32
 *   groups of 4 channels at stage 1 (⌊planes · 4 / 64⌋ · 32), strides, and SE widths are
 *   rounded to multiples of 8; γ of each branch's last BN starts at zero;
 * - `legacy_seresnext*_32x4d`: the original Caffe release (Cadene's `SEResNeXtBottleneck`) —
 *   the same widths, stride also on the grouped 3×3 (unlike the legacy SE-ResNets), SE ⌊C/16⌋,
 *   `layer0` stem with a ceil-mode pool, dropout 0.2 before `last_linear`;
 * - `legacy_senet154` (Cadene's `senet154`): `SEBottleneck` units 1×1 → 2p, grouped 3×3 (64
 *   groups) 2p → 4p, 1×1 4p → 4p with p the stage's planes; three 3×3 stem convolutions (64, 64,
 *   128 channels); 3×3 projection shortcuts in stages 2–4.
 * Layer names are the PyTorch module paths, so weights map onto timm's `state_dict` by name.
 */

import {
  buildResidualNetwork,
  ConfigError,
  checkChoice,
  type FamilyModel,
  type ModelFactory,
  type ModelOptions,
  RESIDUAL_LIMITS,
  type ResidualArchitecture,
  type ResidualLayout,
  registerFamily,
} from '@se/core';
import type * as tf from '@tensorflow/tfjs';

/** Depths of ResNeXt 32×4d: units per stage. */
export const RESNEXT_DEPTHS = {
  /** ResNeXt-26 (timm's legacy SE-ResNeXt-26 only). */
  26: [2, 2, 2, 2],
  /** ResNeXt-50. */
  50: [3, 4, 6, 3],
  /** ResNeXt-101. */
  101: [3, 4, 23, 3],
} as const satisfies Record<number, readonly number[]>;

/** Depths of the ResNeXt 32×4d networks. */
export type ResNeXtDepth = keyof typeof RESNEXT_DEPTHS;

/**
 * The architecture of a ResNeXt 32×4d of `depth` in `layout`, plain or with SE by default.
 *
 * @example
 * ```ts
 * import { resnextArchitecture } from '@se/resnext';
 *
 * resnextArchitecture(50, 'caffe', true).strideOn; // '3x3', as Cadene's SEResNeXtBottleneck
 * ```
 */
export function resnextArchitecture(
  depth: ResNeXtDepth,
  layout: ResidualLayout,
  se: boolean,
): ResidualArchitecture {
  return {
    block: 'bottleneck',
    layers: [...RESNEXT_DEPTHS[depth]] as ResidualArchitecture['layers'],
    layout,
    se,
    groups: 32,
    baseWidth: 4,
    // The Caffe SE-ResNeXt (unlike the Caffe SE-ResNet) strides on the grouped 3×3.
    strideOn: '3x3',
  };
}

/** SENet-154: the ILSVRC 2017 winner's architecture (Cadene `senet154`, timm `legacy_senet154`). */
export const SENET154_ARCHITECTURE: Readonly<ResidualArchitecture> = {
  block: 'bottleneck',
  layers: [3, 8, 36, 3],
  layout: 'caffe',
  se: true,
  // Width of the grouped 3×3: ⌊p · 4 / 64⌋ · 64 = 4p; the first 1×1 is half of it, 2p.
  groups: 64,
  baseWidth: 4,
  reduceFirst: 2,
  strideOn: '3x3',
  stem: '3x3',
  stemWidth: 128,
  shortcutKernel: 3,
};

/** Options of {@link resNeXt}: any depth and layout of ResNeXt 32×4d. */
export interface ResNeXtOptions extends ModelOptions {
  /** 26, 50 or 101. */
  depth: ResNeXtDepth;
  /** `'timm'` (default) or `'caffe'` (the original SENet release, timm's `legacy_*`). */
  layout?: ResidualLayout;
}

/**
 * Any ResNeXt 32×4d by depth and layout; plain unless `se` is given.
 *
 * @example
 * ```ts
 * import { resNeXt } from '@se/resnext';
 *
 * // The paper's SE-ResNeXt-50 with SE in the last two stages only (Table 13's ablation).
 * const model = resNeXt({ depth: 50, layout: 'caffe', se: { stages: [3, 4] } });
 * ```
 */
export function resNeXt(options: ResNeXtOptions): tf.LayersModel {
  const { depth, layout = 'timm', ...rest } = options;
  if (!Object.hasOwn(RESNEXT_DEPTHS, depth)) {
    throw new ConfigError('depth', depth, `one of ${Object.keys(RESNEXT_DEPTHS).join(', ')}`);
  }
  checkChoice('layout', layout, ['timm', 'caffe'] as const);
  return buildResidualNetwork(
    resnextArchitecture(depth, layout, false),
    rest,
    `resnext${depth}_32x4d`,
  );
}

/**
 * Paper GMACs at 224² of the SE networks (Table 2; SENet-154 from the paper's text). Both layouts
 * of SE-ResNeXt stride on the 3×3 and round no SE width (C/16 is a multiple of 8), so they cost
 * the same.
 */
const PAPER_GMACS: Record<string, number> = {
  seresnext50_32x4d: 4.25,
  seresnext101_32x4d: 8.0,
  legacy_seresnext50_32x4d: 4.25,
  legacy_seresnext101_32x4d: 8.0,
  legacy_senet154: 20.7,
};

/** A table row: the network of `architecture`, with the paper's GMACs of `name` if any. */
function row(
  name: string,
  architecture: ResidualArchitecture,
  description: string,
  twin?: string,
): FamilyModel {
  const gmacs = PAPER_GMACS[name];
  return {
    build: (options, modelName) => buildResidualNetwork(architecture, options, modelName),
    se: architecture.se,
    ...(twin ? { twin } : {}),
    description,
    ...(gmacs
      ? { paper: { gmacs, ...(name.includes('senet154') ? {} : { table: 'Table 2' }) } }
      : {}),
  };
}

/** timm's ResNeXt of `depth` and its SE twin. */
function timmModels<D extends 50 | 101>(
  depth: D,
): Record<`resnext${D}_32x4d` | `seresnext${D}_32x4d`, FamilyModel> {
  const plain = `resnext${depth}_32x4d` as const;
  const se = `seresnext${depth}_32x4d` as const;
  return {
    [plain]: row(
      plain,
      resnextArchitecture(depth, 'timm', false),
      `ResNeXt-${depth} 32×4d, exact to timm ${plain}`,
      se,
    ),
    [se]: row(
      se,
      resnextArchitecture(depth, 'timm', true),
      `SE-ResNeXt-${depth} 32×4d, exact to timm ${se}`,
      plain,
    ),
  } as Record<`resnext${D}_32x4d` | `seresnext${D}_32x4d`, FamilyModel>;
}

/** The Caffe release's SE-ResNeXt of `depth` (no plain twin registered). */
function legacyModel<D extends ResNeXtDepth>(
  depth: D,
): Record<`legacy_seresnext${D}_32x4d`, FamilyModel> {
  const name = `legacy_seresnext${depth}_32x4d` as const;
  return {
    [name]: row(
      name,
      resnextArchitecture(depth, 'caffe', true),
      `SE-ResNeXt-${depth} 32×4d in the original Caffe release's layout (timm legacy_seresnext${depth}_32x4d, Cadene senet.py)`,
    ),
  } as Record<`legacy_seresnext${D}_32x4d`, FamilyModel>;
}

const senetDescription = 'SENet-154, exact to timm legacy_senet154 (Cadene senet.py senet154)';
const senet154 = row('legacy_senet154', SENET154_ARCHITECTURE, senetDescription);

/** The registry table of the family. */
const RESNEXT_MODELS: Record<ResNeXtModelName, FamilyModel> = {
  ...timmModels(50),
  ...timmModels(101),
  ...legacyModel(26),
  ...legacyModel(50),
  ...legacyModel(101),
  legacy_senet154: senet154,
  // Cadene's name for the same network; one factory builds both (named `legacy_senet154`).
  senet154: {
    ...senet154,
    build: (options, _name) => senet154.build(options, 'legacy_senet154'),
    description: `${senetDescription}; the same factory as legacy_senet154`,
    paper: { gmacs: 20.7 },
  },
};

/** The registered name of a model of this package. */
export type ResNeXtModelName =
  | `${'' | 'se'}resnext${50 | 101}_32x4d`
  | `legacy_seresnext${ResNeXtDepth}_32x4d`
  | 'legacy_senet154'
  | 'senet154';

/** Every {@link ResNeXtModelName}, as registered. */
export const RESNEXT_MODEL_NAMES = Object.keys(RESNEXT_MODELS) as readonly ResNeXtModelName[];

declare module '@se/core' {
  interface ModelNames extends Record<ResNeXtModelName, true> {}
}

const X = registerFamily({
  family: 'resnext',
  package: '@se/resnext',
  limits: RESIDUAL_LIMITS,
  models: RESNEXT_MODELS,
});

/**
 * ResNeXt-50 32×4d (timm `resnext50_32x4d`, 25,028,904 parameters).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { resnext50_32x4d } from '@se/resnext';
 *
 * const model = resnext50_32x4d({ classes: 10, inputShape: [64, 64, 3] });
 * ```
 * @function
 */
export const resnext50_32x4d: ModelFactory = X.resnext50_32x4d;
/**
 * ResNeXt-101 32×4d (timm `resnext101_32x4d`, 44,177,704 parameters).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { resnext101_32x4d } from '@se/resnext';
 *
 * const backbone = resnext101_32x4d({ includeTop: false, pooling: 'avg' }); // 2048 features
 * ```
 * @function
 */
export const resnext101_32x4d: ModelFactory = X.resnext101_32x4d;
/**
 * SE-ResNeXt-50 32×4d (timm `seresnext50_32x4d`, 27,559,896 parameters).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { seResNeXt50_32x4d } from '@se/resnext';
 *
 * const logits = seResNeXt50_32x4d({ classifierActivation: 'linear' }); // as timm: no softmax
 * ```
 * @function
 */
export const seResNeXt50_32x4d: ModelFactory = X.seresnext50_32x4d;
/**
 * SE-ResNeXt-101 32×4d (timm `seresnext101_32x4d`, 48,955,416 parameters).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { seResNeXt101_32x4d } from '@se/resnext';
 *
 * const model = seResNeXt101_32x4d({ se: { position: 'identity' } }); // SE-Identity (Fig. 5)
 * ```
 * @function
 */
export const seResNeXt101_32x4d: ModelFactory = X.seresnext101_32x4d;
/**
 * SE-ResNeXt-26 32×4d in the Caffe release's layout (timm `legacy_seresnext26_32x4d`,
 * 16,790,280 parameters).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { legacySeResNeXt26_32x4d } from '@se/resnext';
 *
 * const model = legacySeResNeXt26_32x4d({ classes: 10, inputShape: [64, 64, 3] });
 * ```
 * @function
 */
export const legacySeResNeXt26_32x4d: ModelFactory = X.legacy_seresnext26_32x4d;
/**
 * SE-ResNeXt-50 32×4d in the Caffe release's layout (timm `legacy_seresnext50_32x4d`; paper:
 * 4.25 GMACs).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { countMacs } from '@se/core';
 * import { legacySeResNeXt50_32x4d } from '@se/resnext';
 *
 * countMacs(legacySeResNeXt50_32x4d()) / 1e9; // 4.23 (the paper's Table 2 says 4.25)
 * ```
 * @function
 */
export const legacySeResNeXt50_32x4d: ModelFactory = X.legacy_seresnext50_32x4d;
/**
 * SE-ResNeXt-101 32×4d in the Caffe release's layout (timm `legacy_seresnext101_32x4d`; paper:
 * 8.00 GMACs).
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { legacySeResNeXt101_32x4d } from '@se/resnext';
 *
 * const plain = legacySeResNeXt101_32x4d({ se: false }); // the ResNeXt-101 baseline
 * ```
 * @function
 */
export const legacySeResNeXt101_32x4d: ModelFactory = X.legacy_seresnext101_32x4d;

/**
 * SENet-154 (timm `legacy_senet154`, Cadene `senet154`; 115,088,984 parameters, paper 20.7
 * GMACs). Also registered as `senet154`.
 *
 * @param options - Keras Applications' options (`includeTop`, `inputShape`, `pooling`, `classes`,
 *   `classifierActivation`, `name`), `se` (`true`, `false` or the SE block's options);
 *   all optional.
 * @example
 * ```ts
 * import { seNet154 } from '@se/resnext';
 *
 * const model = seNet154({ classes: 10, inputShape: [64, 64, 3] });
 * ```
 * @function
 */
export const seNet154: ModelFactory = X.legacy_senet154;
