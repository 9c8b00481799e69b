import type * as tf from '@tensorflow/tfjs';
import type { ArchitectureLimits, ModelOptions } from './models.js';

/** What the registry knows about a model besides how to build it. */
export interface ModelInfo {
  /** Registered name, timm's where timm has the model (`seresnet50`). */
  name: ModelName;
  /** Family, e.g. `resnet`. */
  family: string;
  /** Package that registers it, e.g. `@se/resnet`. */
  package: string;
  /** Whether the model has SE blocks when built without an `se` option. */
  se: boolean;
  /** The name of the same architecture with SE toggled, if registered (`resnet50` ↔ `seresnet50`). */
  twin?: ModelName;
  /** The reference input size. */
  defaultInputShape: [number, number, number];
  /** Smallest height/width it accepts. */
  minInputSize: number;
  /** One line on what it is and which implementation it is exact to. */
  description: string;
  /** Figures of the paper this model should reproduce (Table 2 "FLOPs" are MACs). */
  paper?: {
    /** Multiply–accumulates in billions at the default input size, as the paper reports them. */
    gmacs?: number;
    /** Where in the paper the figures are, e.g. `Table 2`. */
    table?: string;
  };
}

/** Builds a model from Keras-Applications-style options. */
export type ModelFactory<O extends ModelOptions = ModelOptions> = (options?: O) => tf.LayersModel;

/**
 * The names of the registered models, as types: each family package adds its names to this
 * interface by module augmentation, so that {@link createModel} and {@link getModelInfo} take
 * only the names of the families a program imports (and an editor completes them). The values
 * are unused (`true`).
 *
 * A package that registers its own models with {@link registerFamily} or {@link registerModel}
 * adds their names the same way:
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { createModel, registerModel } from '@se/core';
 *
 * declare module '@se/core' {
 *   interface ModelNames {
 *     my_net: true;
 *   }
 * }
 *
 * const myNet = () => tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [4] })] });
 * registerModel('my_net', myNet, {
 *   family: 'mine',
 *   package: 'my-app',
 *   se: false,
 *   defaultInputShape: [4, 4, 1],
 *   minInputSize: 4,
 *   description: 'A one-unit network',
 * });
 * createModel('my_net');
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: families add their names by module augmentation
export interface ModelNames {}

/**
 * A registered model name: a key of {@link ModelNames}. While no family has added names (a
 * program that imports only `@se/core`), any string.
 */
export type ModelName = [keyof ModelNames] extends [never] ? string : keyof ModelNames & string;

interface Entry {
  factory: ModelFactory;
  info: ModelInfo;
}

/**
 * What `globalThis[Symbol.for('se-zoo.registry')]` holds: the one registry every copy of
 * `@se/core` in a program shares (npm installs two copies when two packages need different
 * versions). Version 1 is `{ version: 1, models }`; a later version may add fields but keeps
 * `models` a `Map` of `{ factory, info }` entries, or takes another key.
 */
interface RegistrySlot {
  readonly version: number;
  readonly models: Map<string, Entry>;
}

const REGISTRY_KEY = Symbol.for('se-zoo.registry');

function sharedRegistry(): Map<string, Entry> {
  const holder = globalThis as { [REGISTRY_KEY]?: RegistrySlot };
  const slot = holder[REGISTRY_KEY];
  if (slot === undefined) {
    const created: RegistrySlot = { version: 1, models: new Map() };
    Object.defineProperty(globalThis, REGISTRY_KEY, { value: created, configurable: true });
    return created.models;
  }
  if (typeof slot.version !== 'number' || slot.version < 1 || !(slot.models instanceof Map)) {
    throw new Error(
      `globalThis[Symbol.for('se-zoo.registry')] is not an SE Zoo model registry (version ` +
        `${String(slot.version)}); another copy of @se/core is incompatible with this one`,
    );
  }
  return slot.models;
}

const registry = sharedRegistry();

/**
 * Registers a model by name (timm's `register_model`). Family packages register theirs on
 * import, through {@link registerFamily}. Add the name to {@link ModelNames} so that
 * {@link createModel} takes it.
 *
 * The registry is shared by every copy of `@se/core` in the program. Registering a name again
 * from the same package (`info.package`) replaces the entry: that is a second copy of the
 * package, or its module evaluated again (hot reload, a test runner's module reset), and the
 * code just loaded is the one its importer wants; the factories the first copy exported keep
 * working. A name taken by another package is an error.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { createModel, type ModelOptions, registerModel, SqueezeExcite } from '@se/core';
 *
 * declare module '@se/core' {
 *   interface ModelNames {
 *     tiny_se_cnn: true;
 *   }
 * }
 *
 * function tinySeCnn(options: ModelOptions = {}): tf.LayersModel {
 *   const input = tf.input({ shape: [32, 32, 3] });
 *   const x = tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }).apply(input);
 *   const y = new SqueezeExcite({ reduction: 4 }).apply(x);
 *   const z = tf.layers.globalAveragePooling2d({}).apply(y);
 *   const output = tf.layers.dense({ units: options.classes ?? 10 }).apply(z);
 *   return tf.model({ inputs: input, outputs: output as tf.SymbolicTensor });
 * }
 * registerModel('tiny_se_cnn', tinySeCnn, {
 *   family: 'cnn',
 *   package: 'my-app',
 *   se: true,
 *   defaultInputShape: [32, 32, 3],
 *   minInputSize: 8,
 *   description: 'A tiny SE CNN',
 * });
 * const model = createModel('tiny_se_cnn', { classes: 5 });
 * ```
 */
export function registerModel<O extends ModelOptions>(
  name: string,
  factory: ModelFactory<O>,
  info: Omit<ModelInfo, 'name'>,
): void {
  if (!/^[a-z0-9_]+$/.test(name)) {
    throw new Error(
      `Model names are lowercase letters, digits and '_'; got ${JSON.stringify(name)}`,
    );
  }
  const existing = registry.get(name);
  if (existing && existing.factory !== factory && existing.info.package !== info.package) {
    throw new Error(`A model named '${name}' is already registered (by ${existing.info.package})`);
  }
  registry.set(name, { factory: factory as ModelFactory, info: { ...info, name } });
}

/** One row of a family's table: how to build the model and what the registry tells about it. */
export interface FamilyModel<O extends ModelOptions = ModelOptions> {
  /**
   * Builds the model from the user's options (`{}` when none are given); `name` is its
   * registered name, the model's name unless `options.name` is given.
   */
  build: (options: O, name: string) => tf.LayersModel;
  /** Whether the model has SE blocks when built without an `se` option. */
  se: boolean;
  /** The registered name of the same architecture with SE toggled, if any. */
  twin?: string;
  /** One line on what it is and which implementation it is exact to. */
  description: string;
  /** Figures of the paper this model should reproduce. */
  paper?: ModelInfo['paper'];
  /** The reference input size, when it is not the family's. */
  defaultInputShape?: [number, number, number];
  /** Smallest height/width it accepts, when it is not the family's. */
  minInputSize?: number;
}

/** A family of models as configuration: what {@link registerFamily} registers. */
export interface FamilyTable<N extends string, O extends ModelOptions = ModelOptions> {
  /** Family of every model, e.g. `resnet`. */
  family: string;
  /** Package that registers them, e.g. `@se/resnet`. */
  package: string;
  /** Reference input size and smallest input of the models that do not give their own. */
  limits: ArchitectureLimits;
  /** The models by registered name. */
  models: Readonly<Record<N, FamilyModel<O>>>;
}

/**
 * Registers every model of a family's table (timm's `register_model` for a whole module) and
 * returns their factories by name. The family's name type is `keyof` its table: a family
 * package adds it to {@link ModelNames}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import {
 *   createModel,
 *   type ModelOptions,
 *   registerFamily,
 *   resolveFamilySE,
 *   seAt,
 *   twinModels,
 * } from '@se/core';
 *
 * function buildTiny(options: ModelOptions, seByDefault: boolean, name: string) {
 *   const input = tf.input({ shape: [32, 32, 3] });
 *   let x = tf.layers.conv2d({ filters: 16, kernelSize: 3 }).apply(input) as tf.SymbolicTensor;
 *   const se = resolveFamilySE(options.se, seByDefault, { stages: 1 });
 *   x = seAt(x, se, 'standard', 'se');
 *   const y = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
 *   const output = tf.layers.dense({ units: 10 }).apply(y) as tf.SymbolicTensor;
 *   return tf.model({ inputs: input, outputs: output, name: options.name ?? name });
 * }
 * const TINY_MODELS = twinModels({
 *   plain: 'tiny',
 *   se: 'se_tiny',
 *   build: buildTiny,
 *   description: { plain: 'A tiny CNN', se: 'A tiny CNN with SE' },
 * });
 *
 * declare module '@se/core' {
 *   interface ModelNames extends Record<keyof typeof TINY_MODELS, true> {}
 * }
 *
 * const tiny = registerFamily({
 *   family: 'tiny',
 *   package: 'my-app',
 *   limits: { defaultInputShape: [32, 32, 3], minInputSize: 32 },
 *   models: TINY_MODELS,
 * });
 * tiny.se_tiny({ classes: 10 }); // the factory, or:
 * createModel('se_tiny');
 * ```
 */
export function registerFamily<N extends string, O extends ModelOptions = ModelOptions>(
  table: FamilyTable<N, O>,
): { readonly [K in N]: ModelFactory<O> } {
  const factories = {} as { [K in N]: ModelFactory<O> };
  for (const name of Object.keys(table.models) as N[]) {
    const model: FamilyModel<O> = table.models[name];
    const factory: ModelFactory<O> = (options) => model.build(options ?? ({} as O), name);
    registerModel(name, factory, {
      family: table.family,
      package: table.package,
      se: model.se,
      ...(model.twin === undefined ? {} : { twin: model.twin }),
      defaultInputShape: model.defaultInputShape ?? table.limits.defaultInputShape,
      minInputSize: model.minInputSize ?? table.limits.minInputSize,
      description: model.description,
      ...(model.paper ? { paper: model.paper } : {}),
    });
    factories[name] = factory;
  }
  return factories;
}

/** A plain network and its SE twin, for {@link twinModels}. */
export interface TwinModels<P extends string, S extends string, O extends ModelOptions> {
  /** Registered name of the plain network (`inception_v3`). */
  plain: P;
  /** Registered name of the network with SE (`se_inception_v3`). */
  se: S;
  /**
   * Builds either network: `seByDefault` says whether it has SE when `options.se` is undefined,
   * `name` is its registered name (the model's name unless `options.name` is given).
   */
  build: (options: O, seByDefault: boolean, name: string) => tf.LayersModel;
  /** One line on what each network is and which implementation it is exact to. */
  description: {
    /** Of the plain network. */
    plain: string;
    /** Of the network with SE. */
    se: string;
  };
  /** The paper's figures for each, where it gives them. */
  paper?: {
    /** Of the plain network. */
    plain?: ModelInfo['paper'];
    /** Of the network with SE. */
    se?: ModelInfo['paper'];
  };
}

/**
 * The two rows of a family table for a plain network and its SE twin, each naming the other as
 * `twin` — most families' models come in such pairs. Spread them into
 * {@link FamilyTable.models}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { twinModels } from '@se/core';
 *
 * const rows = twinModels({
 *   plain: 'mlp',
 *   se: 'se_mlp',
 *   build: (options, seByDefault, name) =>
 *     tf.sequential({
 *       name: options.name ?? name,
 *       layers: [tf.layers.dense({ units: seByDefault ? 4 : 2, inputShape: [8] })],
 *     }),
 *   description: { plain: 'An MLP', se: 'An MLP (its SE twin)' },
 * });
 * rows.se_mlp.twin; // 'mlp'
 * ```
 */
export function twinModels<const P extends string, const S extends string, O extends ModelOptions>(
  twins: TwinModels<P, S, O>,
): Record<P | S, FamilyModel<O>> {
  const row = (withSE: boolean): FamilyModel<O> => {
    const paper = twins.paper?.[withSE ? 'se' : 'plain'];
    return {
      build: (options, name) => twins.build(options, withSE, name),
      se: withSE,
      twin: withSE ? twins.plain : twins.se,
      description: twins.description[withSE ? 'se' : 'plain'],
      ...(paper ? { paper } : {}),
    };
  };
  return { [twins.plain]: row(false), [twins.se]: row(true) } as Record<P | S, FamilyModel<O>>;
}

/**
 * Builds a registered model (timm's `create_model`). `name` is typed {@link ModelName}, the
 * names of the families imported; at run time an unknown name is an error that lists the
 * closest registered names.
 *
 * Every family's factories take the same {@link ModelOptions} (Keras Applications' `includeTop`,
 * `inputShape`, `pooling`, `classes`, `classifierActivation`, `name`, plus `se`), so a program
 * can switch models by name; the family packages also export each factory by itself
 * (`seResNet50` of `@se/resnet`), and `loadModel` builds a model with timm's pretrained weights.
 *
 * @example
 * A model by name, with its counts:
 * ```ts
 * import '@se/resnet'; // registers resnet18…152, seresnet18…152, legacy_seresnet18…152
 * import { countMacs, countParams, createModel } from '@se/core';
 *
 * const model = createModel('seresnet50', { classes: 10, inputShape: [64, 64, 3] });
 * countParams(createModel('seresnet50')); // 28,088,024, as timm
 * countMacs(model); // multiply–accumulates of one 64×64 image
 * ```
 *
 * @example
 * Options: a backbone without its classifier, logits instead of probabilities, and the SE block's
 * ablations (the paper's §6):
 * ```ts
 * import '@se/resnet';
 * import { createModel } from '@se/core';
 *
 * const backbone = createModel('resnet50', { includeTop: false, pooling: 'avg' }); // 2048 features
 * const logits = createModel('seresnet50', { classifierActivation: 'linear' });
 * const plain = createModel('seresnet50', { se: false }); // the ResNet-50 baseline
 * const ablation = createModel('resnet50', {
 *   se: { reduction: 8, squeeze: 'max', gate: 'hard_sigmoid', position: 'pre', stages: [3, 4] },
 * });
 * ```
 *
 * @example
 * Every registered model of a pattern, with what the registry knows of it:
 * ```ts
 * import '@se/resnet';
 * import '@se/mobilenet';
 * import { countParams, createModel, listModels } from '@se/core';
 *
 * for (const info of listModels('se*')) {
 *   const model = createModel(info.name, { classes: 10 });
 *   console.log(info.name, info.family, info.defaultInputShape, countParams(model));
 * }
 * ```
 *
 * @example
 * Names are typed: an editor completes the names of the families a program imports, and a string
 * from elsewhere is checked first:
 * ```ts
 * import '@se/resnet';
 * import { createModel, isModelName, type ModelName } from '@se/core';
 *
 * const name: ModelName = 'seresnet101';
 * createModel(name);
 * // @ts-expect-error: not a registered name ('seresnet51' is not a ModelName)
 * createModel('seresnet51');
 *
 * const fromUser: string = process.argv[2] ?? 'resnet18';
 * if (isModelName(fromUser)) createModel(fromUser);
 * else console.error(`unknown model ${fromUser}`);
 * ```
 */
export function createModel(name: ModelName, options: ModelOptions = {}): tf.LayersModel {
  return lookup(name).factory(options);
}

/**
 * The registry entry of `name`; an unknown name is an error that lists close matches.
 *
 * @example
 * ```ts
 * import '@se/resnet';
 * import { getModelInfo } from '@se/core';
 *
 * getModelInfo('seresnet50').twin; // 'resnet50'
 * ```
 */
export function getModelInfo(name: ModelName): ModelInfo {
  return lookup(name).info;
}

/**
 * Whether `name` is a registered model: narrows a string (from a command line, a form, a file)
 * to {@link ModelName}.
 *
 * @example
 * ```ts
 * import '@se/resnet';
 * import { createModel, isModelName } from '@se/core';
 *
 * const name: string = process.argv[2] ?? 'seresnet50';
 * if (isModelName(name)) createModel(name);
 * ```
 */
export function isModelName(name: string): name is ModelName {
  return registry.has(name);
}

/**
 * Returns `name` as a {@link ModelName} if it is registered; otherwise throws the error
 * {@link createModel} would, which lists the closest registered names.
 *
 * @example
 * ```ts
 * import '@se/resnet';
 * import { createModel, modelName } from '@se/core';
 *
 * const model = createModel(modelName(process.argv[2] ?? 'seresnet50'));
 * ```
 */
export function modelName(name: string): ModelName {
  lookup(name);
  return name as ModelName;
}

function lookup(name: string): Entry {
  const entry = registry.get(name);
  if (entry) return entry;
  const known = [...registry.keys()];
  if (known.length === 0) {
    throw new Error(
      `Unknown model '${name}': no models are registered. Import a family package first, ` +
        `e.g. \`import '@se/resnet'\`.`,
    );
  }
  const close = closeMatches(name, known);
  const hint = close.length > 0 ? ` Did you mean ${close.map((n) => `'${n}'`).join(', ')}?` : '';
  throw new Error(`Unknown model '${name}'.${hint} listModels() lists all ${known.length}.`);
}

/**
 * Registered models, sorted by name. `filter` is a substring or glob (`seresnet*`), a regular
 * expression, or a predicate on {@link ModelInfo}.
 *
 * @example
 * ```ts
 * import { listModels } from '@se/core';
 *
 * listModels('seresnet*').map((m) => m.name); // ['seresnet18', 'seresnet34', …, 'seresnet152']
 * ```
 */
export function listModels(filter?: string | RegExp | ((info: ModelInfo) => boolean)): ModelInfo[] {
  const test =
    filter === undefined
      ? () => true
      : typeof filter === 'function'
        ? filter
        : (info: ModelInfo) => toRegExp(filter).test(info.name);
  return [...registry.values()]
    .map((e) => e.info)
    .filter(test)
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

function toRegExp(filter: string | RegExp): RegExp {
  if (filter instanceof RegExp) return filter;
  if (!filter.includes('*')) return new RegExp(escapeRegExp(filter));
  return new RegExp(`^${filter.split('*').map(escapeRegExp).join('.*')}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Up to five known names closest to `name` (edit distance, substrings first), as the registry's
 * "Did you mean" hint uses them.
 *
 * @internal
 */
export function closeMatches(name: string, known: readonly string[]): string[] {
  const query = name.toLowerCase();
  const limit = Math.max(2, Math.floor(query.length / 3));
  return known
    .map((candidate) => {
      const contains = candidate.includes(query) || query.includes(candidate);
      return { candidate, score: editDistance(query, candidate) - (contains ? 100 : 0) };
    })
    .filter((m) => m.score <= limit)
    .sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate))
    .slice(0, 5)
    .map((m) => m.candidate);
}

/**
 * Levenshtein distance: the fewest single-character insertions, deletions and substitutions
 * that turn `a` into `b`.
 *
 * @internal
 */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
