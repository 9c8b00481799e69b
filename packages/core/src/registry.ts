import type * as tf from '@tensorflow/tfjs';
import type { ModelOptions } from './models.js';

/** What the registry knows about a model besides how to build it. */
export interface ModelInfo {
  /** Registered name, timm's where timm has the model (`seresnet50`). */
  name: string;
  /** Family, e.g. `resnet`. */
  family: string;
  /** Package that registers it, e.g. `@se/resnet`. */
  package: string;
  /** Whether the model has SE blocks when built without an `se` option. */
  se: boolean;
  /** The name of the same architecture with SE toggled, if registered (`resnet50` ↔ `seresnet50`). */
  twin?: string;
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

interface Entry {
  factory: ModelFactory;
  info: ModelInfo;
}

const registry = new Map<string, Entry>();

/**
 * Registers a model by name (timm's `register_model`). Family packages call it on import.
 * Registering the same name twice with a different factory is an error.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { type ModelOptions, registerModel, SqueezeExcite } from '@se/core';
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
  if (existing && existing.factory !== factory) {
    throw new Error(`A model named '${name}' is already registered (by ${existing.info.package})`);
  }
  registry.set(name, { factory: factory as ModelFactory, info: { ...info, name } });
}

/** A plain network and its SE twin, registered together by {@link registerTwins}. */
export interface TwinModels<O extends ModelOptions = ModelOptions> {
  /** Registered name of the plain network (`inception_v3`). */
  plain: string;
  /** Registered name of the network with SE (`se_inception_v3`). */
  se: string;
  /**
   * Builds either network: `seByDefault` says whether it has SE when `options.se` is undefined,
   * `defaultName` is its registered name (the model's name unless `options.name` is given).
   */
  build: (options: O, seByDefault: boolean, defaultName: string) => tf.LayersModel;
  /** What the two share: family, package, input sizes. */
  info: Omit<ModelInfo, 'name' | 'se' | 'twin' | 'description' | 'paper'>;
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
 * Registers a plain network and its SE twin, each naming the other as `twin`, and returns their
 * factories — every family's models come in such pairs.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { type ModelOptions, registerTwins, resolveSEConfig, squeezeExcite } from '@se/core';
 *
 * function buildTiny(options: ModelOptions, seByDefault: boolean, defaultName: string) {
 *   const input = tf.input({ shape: [32, 32, 3] });
 *   let x = tf.layers.conv2d({ filters: 16, kernelSize: 3 }).apply(input) as tf.SymbolicTensor;
 *   const se = resolveSEConfig(options.se, {}, 1, seByDefault);
 *   if (se) x = squeezeExcite(x, se.block, 'se');
 *   const y = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
 *   const output = tf.layers.dense({ units: 10 }).apply(y) as tf.SymbolicTensor;
 *   return tf.model({ inputs: input, outputs: output, name: options.name ?? defaultName });
 * }
 * const { plain: tiny, se: seTiny } = registerTwins({
 *   plain: 'tiny',
 *   se: 'se_tiny',
 *   build: buildTiny,
 *   info: { family: 'tiny', package: 'my-app', defaultInputShape: [32, 32, 3], minInputSize: 32 },
 *   description: { plain: 'A tiny CNN', se: 'A tiny CNN with SE' },
 * });
 * ```
 */
export function registerTwins<O extends ModelOptions>(
  twins: TwinModels<O>,
): {
  /** Factory of the plain network. */
  plain: ModelFactory<O>;
  /** Factory of the network with SE. */
  se: ModelFactory<O>;
} {
  const factories = {
    plain: (options?: O) => twins.build(options ?? ({} as O), false, twins.plain),
    se: (options?: O) => twins.build(options ?? ({} as O), true, twins.se),
  };
  for (const variant of ['plain', 'se'] as const) {
    const withSE = variant === 'se';
    const paper = twins.paper?.[variant];
    registerModel(twins[variant], factories[variant], {
      ...twins.info,
      se: withSE,
      twin: withSE ? twins.plain : twins.se,
      description: twins.description[variant],
      ...(paper ? { paper } : {}),
    });
  }
  return factories;
}

/**
 * Builds a registered model (timm's `create_model`). An unknown name is an error that lists the
 * closest registered names.
 *
 * @example
 * ```ts
 * import '@se/resnet'; // registers resnet18…152, seresnet18…152, legacy_seresnet18…152
 * import { createModel } from '@se/core';
 *
 * const model = createModel('seresnet50', { classes: 10, inputShape: [64, 64, 3] });
 * ```
 */
export function createModel(name: string, options: ModelOptions = {}): tf.LayersModel {
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
export function getModelInfo(name: string): ModelInfo {
  return lookup(name).info;
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
 * @example
 * ```ts
 * import { closeMatches } from '@se/core';
 *
 * closeMatches('seresnet5', ['resnet50', 'seresnet50', 'vgg16']); // ['seresnet50', 'resnet50']
 * ```
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
 * @example
 * ```ts
 * import { editDistance } from '@se/core';
 *
 * editDistance('resnet', 'resnext'); // 1
 * ```
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
