import * as tf from '@tensorflow/tfjs';

/** The few `node:fs/promises` functions the handler needs. */
interface NodeFs {
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  readFile(path: string): Promise<Uint8Array>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  stat(path: string): Promise<{ isDirectory(): boolean }>;
}

/** Whether this runs in Node (without referencing Node's types from browser-safe code). */
function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

// A computed specifier keeps bundlers from pulling Node's fs into browser builds; the handler is
// only ever called in Node.
const FS_MODULE = 'node:fs/promises';
async function nodeFs(): Promise<NodeFs> {
  if (!isNode()) {
    throw new Error(
      'fileSystem() saves and loads models in Node only; in a browser use tfjs handlers',
    );
  }
  return (await import(/* @vite-ignore */ FS_MODULE)) as NodeFs;
}

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

function join(dir: string, file: string): string {
  return dir.endsWith('/') ? `${dir}${file}` : `${dir}/${file}`;
}

function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '.' : path.slice(0, slash) || '/';
}

/** Writes via a temporary file and a rename, so a crash never leaves a half-written file. */
async function writeAtomically(fs: NodeFs, path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.tmp-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  await fs.writeFile(temporary, data);
  await fs.rename(temporary, path);
}

/**
 * A tfjs IO handler that saves a model to a directory (`model.json` + `weights.bin`, the
 * standard tfjs layout) and loads it back, in Node without `@tensorflow/tfjs-node`. Files are
 * written atomically. SE Zoo also registers it for `file://` URLs in Node, so
 * `model.save('file://dir')` and `tf.loadLayersModel('file://dir/model.json')` work.
 *
 * @param path A directory to save into, or a `model.json` (or its directory) to load.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import '@se/resnet';
 * import { createModel, fileSystem } from '@se/core';
 *
 * await createModel('seresnet18').save(fileSystem('./seresnet18'));
 * const model = await tf.loadLayersModel(fileSystem('./seresnet18/model.json'));
 * ```
 */
export function fileSystem(path: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const fs = await nodeFs();
      const dir = path.endsWith(`/${MODEL_JSON}`) ? dirname(path) : path;
      await fs.mkdir(dir, { recursive: true });
      const weights = artifacts.weightData
        ? new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData))
        : new Uint8Array(0);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata
          ? { userDefinedMetadata: artifacts.userDefinedMetadata }
          : {}),
      };
      // Weights first: a model.json on disk always points at complete weights.
      await writeAtomically(fs, join(dir, WEIGHTS_BIN), weights);
      await writeAtomically(fs, join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const fs = await nodeFs();
      const file = (await fs.stat(path)).isDirectory() ? join(path, MODEL_JSON) : path;
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(await fs.readFile(file, 'utf8')) as tf.io.ModelJSON;
      } catch (error) {
        throw new Error(
          `fileSystem: ${file} is not a tfjs model.json (${(error as Error).message})`,
        );
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const weightsPath of group.paths) {
            const bytes = await fs.readFile(join(dirname(file), weightsPath));
            buffers.push(bytes.slice().buffer as ArrayBuffer);
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

// On globalThis, not in this module: two copies of @se/core (npm nests one when versions differ)
// would each register a router, and tfjs refuses a URL that more than one router claims.
const ROUTER_FLAG = Symbol.for('se-zoo.file-system-router');

/**
 * Routes `file://` URLs to {@link fileSystem} in Node (idempotent; a no-op in browsers).
 * Importing `@se/core` already calls it.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { registerFileSystemRouter } from '@se/core';
 *
 * registerFileSystemRouter();
 * const model = await tf.loadLayersModel('file://./seresnet18/model.json');
 * ```
 */
export function registerFileSystemRouter(): void {
  const flags = globalThis as { [ROUTER_FLAG]?: boolean };
  if (flags[ROUTER_FLAG] || !isNode()) return;
  flags[ROUTER_FLAG] = true;
  // tfjs routers answer null for URLs they do not handle, though IORouter's type omits it.
  const route = (url: string | string[]): tf.io.IOHandler => {
    const target = Array.isArray(url) ? url[0] : url;
    return typeof target === 'string' && target.startsWith('file://')
      ? fileSystem(target.slice('file://'.length))
      : (null as unknown as tf.io.IOHandler);
  };
  tf.io.registerSaveRouter(route);
  tf.io.registerLoadRouter(route);
}
