// WebGPU in Node through Dawn (the optional `webgpu` package, which ships `dawn.node`).
import { filterNativeStderr } from '../native-stderr.js';
import {
  errorMessage,
  importOptional,
  isMissingPackage,
  isNode,
  nodeApi,
  nodeProcess,
} from '../node.js';

/**
 * The parts of the `webgpu` package (Dawn) that {@link installNodeWebGPU} uses: pass the module
 * itself (`import * as dawn from 'webgpu'`) where it must be bundled in, not imported at run time.
 */
export interface NodeWebGPUModule {
  /** Makes a `GPU` (what `navigator.gpu` is) with Dawn's flags. */
  create(flags: string[]): unknown;
  /** The WebGPU globals (`GPUBufferUsage`, …) to define. */
  globals: object;
}

/** Options of {@link installNodeWebGPU}. */
export interface NodeWebGPUOptions {
  /**
   * Dawn's flags, as `create(flags)` takes them, e.g.
   * `['disable-dawn-features=timestamp_quantization']` for exact timestamp queries (default none).
   */
  flags?: readonly string[];
  /**
   * The `webgpu` package's module, for a bundle that includes it (default: imported at run time
   * from node_modules).
   */
  dawn?: NodeWebGPUModule;
}

interface GpuLike {
  requestAdapter(options?: unknown): Promise<unknown>;
}

interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean; architecture?: string };
}

/**
 * Dawn's notices that it capped two limits the driver reports (lavapipe's and NVIDIA's Vulkan
 * drivers say 1000000 or more) at its own maximum of 16. Harmless, and printed by native code to
 * stderr each time an instance first lists its adapters, whatever the program does with WebGPU.
 */
const DAWN_LIMIT_NOTICE =
  /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

function currentGpu(): GpuLike | undefined {
  return (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
}

let installing: Promise<boolean> | null = null;
/** Why Dawn could not be set up: whether the package is missing, and the reason in words. */
export interface NodeWebGPUProblem {
  missing: boolean;
  reason: string;
}

let installProblem: NodeWebGPUProblem | null = null;

/**
 * Makes WebGPU available in Node through Dawn: loads the optional `webgpu` package (install it
 * with `npm install webgpu`), defines its globals (`GPUBufferUsage`, …) and `navigator.gpu`.
 * Resolves to true when `navigator.gpu` exists afterwards (at once where it already did, as in
 * browsers), false when the package is missing or fails to load. Whether a GPU is there is another
 * matter: see {@link webgpuAdapterAvailable}. Call it before `@tensorflow/tfjs-backend-webgpu` is
 * imported (that module registers its backend only if `navigator.gpu` exists when it loads);
 * `setBackend('webgpu')` calls it. In Linux, Dawn's harmless "maxDynamic…BuffersPerPipelineLayout
 * artificially reduced" warnings are kept off stderr; its other messages are not.
 *
 * The one set-up of Dawn for every SE Zoo program: the CLI (through `setBackend`), its GPU bundle
 * and the benchmarks. `options.flags` go to Dawn's `create`; `options.dawn` is the `webgpu`
 * module itself, for bundles (scripts/gpu/) that carry it instead of node_modules. Only the first
 * call sets Dawn up: later calls resolve to its outcome, whatever their options.
 *
 * @example
 * ```ts
 * import { installNodeWebGPU, setBackend } from '@se/backends';
 *
 * if (await installNodeWebGPU()) await setBackend('webgpu');
 * ```
 */
export function installNodeWebGPU(options: NodeWebGPUOptions = {}): Promise<boolean> {
  if (currentGpu()) return Promise.resolve(true);
  if (!isNode()) return Promise.resolve(false);
  const flags = [...(options.flags ?? [])];
  installing ??= (async () => {
    let dawn: NodeWebGPUModule;
    try {
      dawn = options.dawn ?? ((await importOptional('webgpu')) as NodeWebGPUModule);
    } catch (error) {
      const missing = isMissingPackage(error, 'webgpu');
      installProblem = {
        missing,
        reason: missing
          ? "the optional 'webgpu' package that ships it is not installed"
          : `the 'webgpu' package that ships it is installed but failed to load (${errorMessage(error)})`,
      };
      return false;
    }
    const node = await nodeApi();
    let gpu: GpuLike;
    try {
      // Dawn lists its adapters, and prints its limit notices, synchronously inside an instance's
      // first requestAdapter() call. Make that call here, with the notices filtered out, so that
      // tfjs's later calls (and the caller's) find the list made and print nothing.
      gpu = filterNativeStderr(node, DAWN_LIMIT_NOTICE, () => {
        const created = dawn.create(flags) as GpuLike;
        created.requestAdapter().catch(() => undefined);
        return created;
      });
    } catch (error) {
      installProblem = {
        missing: false,
        reason: `it failed to start (${errorMessage(error)})`,
      };
      return false;
    }
    const g = globalThis as Record<string, unknown>;
    for (const [name, value] of Object.entries(dawn.globals)) {
      if (g[name] === undefined) g[name] = value;
    }
    const nav = g.navigator as object | undefined;
    // Node 21+ has a `navigator` (without `gpu`); Node 20 has none.
    if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    else
      Object.defineProperty(g, 'navigator', { value: { gpu }, configurable: true, writable: true });
    return currentGpu() != null;
  })();
  return installing;
}

/**
 * Why {@link installNodeWebGPU} resolved false (null when it has not, or did not): the package is
 * missing, fails to load, or Dawn fails to start.
 */
export function nodeWebGPUProblem(): NodeWebGPUProblem | null {
  return installProblem;
}

/**
 * Whether `navigator.gpu` exists and gives an adapter (a GPU, or a software one like lavapipe).
 *
 * @example
 * ```ts
 * import { installNodeWebGPU, webgpuAdapterAvailable } from '@se/backends';
 *
 * const gpu = (await installNodeWebGPU()) && (await webgpuAdapterAvailable());
 * ```
 */
export async function webgpuAdapterAvailable(): Promise<boolean> {
  const gpu = currentGpu();
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}

/** Whether an adapter is a GPU, not a fallback (lavapipe, SwiftShader) running on the CPU. */
function isHardware(adapter: AdapterLike | null | undefined): boolean {
  if (!adapter) return false;
  const fallback = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
  return !fallback && adapter.info?.architecture !== 'software';
}

/**
 * Whether `navigator.gpu` gives a hardware adapter: not a fallback one (Dawn on Mesa's lavapipe,
 * SwiftShader), which runs WebGPU on the CPU far slower than the wasm backend does. This is how
 * `setBackend('auto')` decides whether Dawn in Node is worth choosing.
 *
 * @example
 * ```ts
 * import { installNodeWebGPU, webgpuHardwareAvailable } from '@se/backends';
 *
 * const gpu = (await installNodeWebGPU()) && (await webgpuHardwareAvailable());
 * ```
 */
export async function webgpuHardwareAvailable(): Promise<boolean> {
  const gpu = currentGpu();
  if (!gpu) return false;
  try {
    return isHardware((await gpu.requestAdapter()) as AdapterLike | null);
  } catch {
    return false;
  }
}

interface ChildProcessApi {
  execFile(
    file: string,
    args: string[],
    options: { timeout: number; env: Record<string, string | undefined>; windowsHide: boolean },
    done: (error: Error | null, stdout: string) => void,
  ): unknown;
}

// Run by `node --input-type=module -e` with the `webgpu` package's entry file as its argument:
// prints the first adapter's kind as JSON (`null` for none), then exits (Dawn would keep it alive).
const PROBE = `
const { pathToFileURL } = await import('node:url');
const { create } = await import(pathToFileURL(process.argv[1]).href);
const adapter = await create([]).requestAdapter();
const info = adapter?.info;
process.stdout.write(JSON.stringify(adapter && {
  isFallbackAdapter: adapter.isFallbackAdapter,
  info: info && { isFallbackAdapter: info.isFallbackAdapter, architecture: info.architecture },
}));
process.exit(0);
`;

/** Asks Dawn in a child process whether there is a hardware adapter (false on any failure). */
async function probeInChild(): Promise<boolean> {
  const node = await nodeApi();
  let entry: string;
  try {
    entry = node.require.resolve('webgpu');
  } catch {
    return false;
  }
  const { execFile } = (await importOptional('node:child_process')) as ChildProcessApi;
  const proc = nodeProcess();
  return new Promise((resolve) => {
    execFile(
      proc.execPath,
      ['--input-type=module', '-e', PROBE, entry],
      // ELECTRON_RUN_AS_NODE: where this is Electron, its binary then runs the script as Node.
      { timeout: 30_000, env: { ...proc.env, ELECTRON_RUN_AS_NODE: '1' }, windowsHide: true },
      (error, stdout) => {
        try {
          resolve(!error && isHardware(JSON.parse(stdout) as AdapterLike | null));
        } catch {
          resolve(false);
        }
      },
    );
  });
}

let probing: Promise<boolean> | null = null;

/**
 * For `setBackend('auto')` in Node: sets up Dawn ({@link installNodeWebGPU}) where it finds a
 * hardware adapter, and resolves to whether it did. Unless `navigator.gpu` is already there, the
 * adapter is looked for in a child process, so that where there is none (most machines without a
 * GPU, or with only lavapipe) this process never loads Dawn: none of its native output, threads
 * or driver faults reach it.
 */
export function setUpHardwareWebGPU(): Promise<boolean> {
  if (currentGpu()) return webgpuHardwareAvailable();
  probing ??= (async () => (await probeInChild()) && (await installNodeWebGPU()))();
  return probing.then((installed) => installed && webgpuHardwareAvailable());
}
