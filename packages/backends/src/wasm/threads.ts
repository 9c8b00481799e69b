// Multi-threaded XNNPACK for the wasm backend in Node.
//
// tfjs 4.22 turns wasm threads off in Node (its WASM_HAS_MULTITHREAD_SUPPORT flag is false there)
// because its loader hands Emscripten's pthread workers `blob:` URLs, which Node's worker_threads
// reject. The threaded-SIMD build itself supports Node: its worker script loads the main script
// from a file path. So this loader gives it the worker script as a file (written once to the
// temp directory), the main script's path, and then builds the stock `BackendWasm` around the
// module. One more fix: the C++ side caps the pool at half of `emscripten_num_logical_cores()`
// (it assumes two hyper-threads per core), which leaves a 2-core machine with one thread; the
// loader reports the cores the caller asked for instead.
import * as tf from '@tensorflow/tfjs';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { type NodeApi, nodeApi } from '../node.js';

const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';
const THREADED = 'tfjs-backend-wasm-threaded-simd';

type WasmModule = ConstructorParameters<typeof BackendWasm>[0];

interface EmscriptenConfig {
  locateFile(path: string, prefix: string): string;
  mainScriptUrlOrBlob: string;
  instantiateWasm(
    imports: { env: Record<string, unknown> } & Record<string, unknown>,
    receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ): Record<string, never>;
}

/** A short, stable hash of a string, to version the worker file. */
function hash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16);
}

/** Writes the pthread worker script to the temp directory (atomically), once per content. */
function workerFile({ fs, os, path, require }: NodeApi): string {
  const { wasmWorkerContents } = require(`${WASM_PACKAGE}/wasm-out/${THREADED}.worker.js`) as {
    wasmWorkerContents: string;
  };
  // The exported string has real newlines inside string literals (tfjs escapes them the same
  // way before making its blob).
  const source = wasmWorkerContents.replace(/\n/g, '\\n');
  const file = path.join(os.tmpdir(), `se-zoo-${THREADED}-${hash(source)}.worker.cjs`);
  if (!fs.existsSync(file)) {
    const temp = `${file}.${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(temp, source);
    fs.renameSync(temp, file);
  }
  return file;
}

/** The part of Emscripten's pthread pool that holds the Node workers. */
interface PThreadPool {
  unusedWorkers: { unref?(): void }[];
  runningWorkers: { unref?(): void }[];
  allocateUnusedWorker(): void;
}

/**
 * Unreferences the pool's worker threads (now and when it adds more), so that a script that used
 * the backend exits when its own work is done; otherwise the idle XNNPACK threads keep Node alive.
 */
function letNodeExit(module: { PThread?: PThreadPool }): void {
  const pool = module.PThread;
  if (!pool) return;
  const unrefAll = () => {
    for (const worker of [...pool.unusedWorkers, ...pool.runningWorkers]) worker.unref?.();
  };
  const allocate = pool.allocateUnusedWorker.bind(pool);
  pool.allocateUnusedWorker = () => {
    allocate();
    unrefAll();
  };
  unrefAll();
}

/** The directory of the wasm package's `.wasm` binaries. */
export async function wasmBinaryDir(): Promise<string> {
  const { path, require } = await nodeApi();
  return `${path.dirname(require.resolve(WASM_PACKAGE))}/`;
}

/**
 * Re-registers tfjs's `wasm` backend in Node with the threaded-SIMD build and `threads` XNNPACK
 * threads. Must run before the wasm backend is first initialised; returns false (and changes
 * nothing) when it already was.
 */
export async function installThreadedWasm(threads: number): Promise<boolean> {
  const engine = tf.engine() as unknown as { registry: Record<string, unknown> };
  if (engine.registry.wasm) return false;
  const node = await nodeApi();
  const { fs, path, require } = node;
  const script = require.resolve(`${WASM_PACKAGE}/wasm-out/${THREADED}.js`);
  const factory = require(script) as (config: EmscriptenConfig) => Promise<WasmModule>;
  const binary = path.join(path.dirname(require.resolve(WASM_PACKAGE)), `${THREADED}.wasm`);
  const worker = workerFile(node);
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const module = await new Promise<WasmModule>((resolve, reject) => {
        factory({
          locateFile: (file, prefix) =>
            file.endsWith('.worker.js') ? worker : file.endsWith('.wasm') ? binary : prefix + file,
          mainScriptUrlOrBlob: script,
          instantiateWasm(imports, receive) {
            const env = { ...imports.env, emscripten_num_logical_cores: () => 2 * threads };
            WebAssembly.instantiate(fs.readFileSync(binary) as unknown as ArrayBuffer, {
              ...imports,
              env,
            })
              .then(({ instance, module }) => receive(instance, module))
              .catch(reject);
            return {};
          },
        }).then(resolve, reject);
      });
      const m = module as WasmModule & {
        cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
      };
      // What tfjs's own loader attaches to the module.
      (m as unknown as { tfjs: Record<string, unknown> }).tfjs = {
        init: m.cwrap('init', null, []),
        initWithThreadsCount: m.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: m.cwrap('get_threads_count', 'number', []),
        registerTensor: m.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: m.cwrap('dispose_data', null, ['number']),
        dispose: m.cwrap('dispose', null, []),
      };
      setThreadsCount(threads);
      const backend = new BackendWasm(m);
      letNodeExit(m as unknown as { PThread?: PThreadPool });
      return backend;
    },
    2,
  );
  return true;
}
