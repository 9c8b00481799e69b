import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  type BackendError,
  nothingStarted,
  startFailed,
  tensorflowBroken,
  tensorflowMissing,
  tensorflowOtherTfjs,
  tensorflowOutsideNode,
  unknownBackend,
  webglOutsideBrowser,
  webgpuImportedTooEarly,
  webgpuWithoutAdapter,
  webgpuWithoutDawn,
  webgpuWithoutNavigatorGpu,
} from './backend-errors.js';
import { probeWebGL, probeWebGPU, withQuietConsole } from './gpu-probe.js';
import { registerGradients } from './gradients.js';
import {
  coreCount,
  describeCpu,
  errorMessage,
  importOptional,
  isMissingPackage,
  isNode,
} from './node.js';
import { startNativeKernels } from './wasm/native/module.js';
import { registerWasmKernels } from './wasm/register.js';
import { installThreadedWasm, wasmBinaryDir } from './wasm/threads.js';
import {
  installNodeWebGPU,
  nodeWebGPUProblem,
  setUpHardwareWebGPU,
  webgpuAdapterAvailable,
} from './webgpu/dawn.js';
import { registerWebGPUKernels } from './webgpu/register.js';

/** A backend {@link setBackend} can choose; `'auto'` picks the fastest one available. */
export type BackendName = 'auto' | 'wasm' | 'webgpu' | 'webgl' | 'cpu' | 'tensorflow';

/** What {@link setBackend} chose. */
export interface BackendInfo {
  /** The tfjs backend now active. */
  name: Exclude<BackendName, 'auto'>;
  /** The device it runs on, in words (CPU model and cores, GPU adapter, …). */
  device: string;
  /** Floating-point type of the computation; SE Zoo trains in float32 everywhere. */
  dtype: 'float32';
  /** Threads the backend computes with (1 unless it is multi-threaded). */
  threads: number;
  /** Whether it uses WebAssembly SIMD (wasm only). */
  simd: boolean;
  /**
   * `'auto'` only: the faster backends it did not take, and why (e.g. WebGL on a software GPU
   * such as SwiftShader, on which wasm is faster). Absent where it took the first it tried.
   */
  passedOver?: PassedOverBackend[];
}

/** A backend `setBackend('auto')` did not take, and why. */
export interface PassedOverBackend {
  /** The backend, e.g. `'webgl'`. */
  name: Exclude<BackendName, 'auto'>;
  /** Why, e.g. `software GPU (google swiftshader)`. */
  reason: string;
}

/** Options of {@link setBackend}. */
export interface SetBackendOptions {
  /**
   * XNNPACK threads of the wasm backend. Default: every core (Node; SE Zoo's own loader makes
   * this work there) or tfjs's default (browsers, which need cross-origin isolation for threads).
   */
  threads?: number;
  /**
   * Where the wasm backend's `.wasm` files are served, for browser bundles (tfjs's
   * `setWasmPaths`). Node finds them in the installed package.
   */
  wasmPaths?: string | Record<string, string>;
  /**
   * Install SE Zoo's kernels and gradients (default true): the wasm kernels, and, when the
   * webgpu backend is loaded, the WebGPU convolution-gradient kernels ({@link WEBGPU_KERNELS}).
   */
  kernels?: boolean;
  /** Print nothing (default: one line saying what was chosen). */
  quiet?: boolean;
  /** Where that line goes (default `console.log`). */
  log?: (line: string) => void;
}

const TFJS_NODE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/**
 * Loads tfjs-node(-gpu) if installed: the package that registered the `tensorflow` backend, or
 * the error saying why none did.
 */
async function loadTfjsNode(): Promise<{ name: string } | { error: BackendError }> {
  if (!isNode()) return { error: tensorflowOutsideNode() };
  let error: BackendError | null = null;
  for (const name of TFJS_NODE) {
    try {
      await importOptional(name);
    } catch (cause) {
      if (!isMissingPackage(cause, name)) error ??= tensorflowBroken(name, errorMessage(cause));
      continue;
    }
    if (tf.findBackendFactory('tensorflow')) return { name };
    error ??= tensorflowOtherTfjs(name);
  }
  return { error: error ?? tensorflowMissing() };
}

function hasWebGpu(): boolean {
  return (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu != null;
}

function isBrowser(): boolean {
  return tf.env().getBool('IS_BROWSER');
}

/**
 * Readies the webgpu backend for `setBackend('webgpu')`: Dawn in Node, the backend module, an
 * adapter, SE Zoo's kernels. Throws a {@link BackendError} saying what is missing.
 */
async function prepareWebGPU(withKernels: boolean): Promise<void> {
  if (isNode()) {
    if (!(await installNodeWebGPU())) {
      const problem = nodeWebGPUProblem();
      throw webgpuWithoutDawn(
        problem?.reason ?? 'it could not be set up',
        problem?.missing ?? false,
      );
    }
  } else if (!hasWebGpu()) {
    throw webgpuWithoutNavigatorGpu(isBrowser());
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!tf.findBackendFactory('webgpu')) throw webgpuImportedTooEarly();
  if (!(await webgpuAdapterAvailable())) throw webgpuWithoutAdapter(isNode());
  if (withKernels) registerWebGPUKernels();
}

let wasmConfigured = false;

/** Sets up where the wasm binaries are and how many threads, before the first initialisation. */
async function configureWasm(options: SetBackendOptions): Promise<void> {
  const engine = tf.engine() as unknown as { registry: Record<string, unknown> };
  if (wasmConfigured || engine.registry.wasm) return;
  wasmConfigured = true;
  if (isNode()) {
    const threads = options.threads ?? (await coreCount());
    if (threads > 1 && typeof SharedArrayBuffer !== 'undefined') {
      if (await installThreadedWasm(threads)) return;
    }
    // Single-threaded: point tfjs at the installed binaries, which also works when the
    // application is bundled and tfjs's own relative lookup would miss them.
    setWasmPaths(options.wasmPaths ?? (await wasmBinaryDir()));
    return;
  }
  if (options.wasmPaths) setWasmPaths(options.wasmPaths);
  if (options.threads) setThreadsCount(options.threads);
}

async function activate(name: Exclude<BackendName, 'auto'>): Promise<boolean> {
  try {
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  }
}

function gpuDescription(name: 'webgl' | 'webgpu'): string {
  const backend = tf.backend() as unknown as {
    adapterInfo?: { vendor?: string; architecture?: string; description?: string };
    gpgpu?: { gl?: WebGLRenderingContext };
  };
  if (name === 'webgpu') {
    const info = backend.adapterInfo;
    const text = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ');
    return text ? `WebGPU: ${text}` : 'WebGPU adapter';
  }
  const gl = backend.gpgpu?.gl;
  const ext = gl?.getExtension('WEBGL_debug_renderer_info');
  const renderer = gl && ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : null;
  return renderer ? `WebGL: ${String(renderer)}` : 'WebGL GPU';
}

/**
 * `setBackend('auto')` in a browser: WebGPU, else WebGL, each only on a hardware GPU. Each is
 * probed first (gpu-probe.ts: an adapter or a context, and its adapter info or renderer), so that
 * a missing one or one emulated on the CPU (SwiftShader, llvmpipe…, where wasm is faster) is
 * passed over without starting its tfjs backend; a start that fails all the same is quiet (tfjs
 * would log it with a stack trace). Records in `passedOver` what it did not take, and why.
 */
async function pickBrowserGpu(
  withKernels: boolean,
  passedOver: NonNullable<BackendInfo['passedOver']>,
): Promise<'webgpu' | 'webgl' | null> {
  if (hasWebGpu()) {
    const probe = await probeWebGPU();
    if (!probe.available) {
      passedOver.push({ name: 'webgpu', reason: probe.reason ?? 'not available' });
    } else if (probe.software) {
      passedOver.push({ name: 'webgpu', reason: `software GPU (${probe.description})` });
    } else {
      await import('@tensorflow/tfjs-backend-webgpu');
      if (withKernels) registerWebGPUKernels();
      if (await withQuietConsole(() => activate('webgpu'))) return 'webgpu';
      passedOver.push({ name: 'webgpu', reason: 'it failed to start' });
    }
  }
  if (isBrowser() && tf.findBackendFactory('webgl')) {
    const probe = probeWebGL();
    if (!probe.available) {
      passedOver.push({ name: 'webgl', reason: probe.reason ?? 'not available' });
    } else if (probe.software) {
      passedOver.push({ name: 'webgl', reason: `software GPU (${probe.description})` });
    } else {
      if (await withQuietConsole(() => activate('webgl'))) return 'webgl';
      passedOver.push({ name: 'webgl', reason: 'it failed to start' });
    }
  }
  return null;
}

/** Describes the active tfjs backend. */
export async function describeBackend(): Promise<BackendInfo> {
  const name = tf.getBackend() as Exclude<BackendName, 'auto'>;
  switch (name) {
    case 'wasm': {
      const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
      return {
        name,
        device: await describeCpu(),
        dtype: 'float32',
        threads: getThreadsCount(),
        simd,
      };
    }
    case 'webgl':
    case 'webgpu':
      return { name, device: gpuDescription(name), dtype: 'float32', threads: 1, simd: false };
    case 'tensorflow':
      return {
        name,
        device: `libtensorflow on ${await describeCpu()}`,
        dtype: 'float32',
        threads: await coreCount(),
        simd: false,
      };
    default:
      return { name, device: await describeCpu(), dtype: 'float32', threads: 1, simd: false };
  }
}

/**
 * Picks and initialises a tfjs backend, installs SE Zoo's training kernels for it, and returns
 * (and prints) what it chose. `'auto'` takes the fastest available: `tensorflow` (when
 * tfjs-node-gpu or tfjs-node is installed) > `webgpu` (in browsers where `navigator.gpu` exists;
 * in Node through Dawn, the optional `webgpu` package, on a hardware adapter only) > `webgl`
 * (browsers) > `wasm` > `cpu`, taking a GPU only where it is hardware: in a browser it probes
 * WebGPU's adapter info and WebGL's renderer (`WEBGL_debug_renderer_info`) first and passes over
 * a GPU emulated on the CPU (SwiftShader, llvmpipe, …), on which wasm is faster, without starting
 * it, and a failed start of either is quiet (no stack trace in the console); `passedOver` of the
 * result says what it passed over and why. `'webgpu'` in Node sets up Dawn itself
 * ({@link installNodeWebGPU}).
 * `'auto'` looks for a hardware adapter in a child process, so that Dawn is loaded into this one
 * only where it will be used; other names never load it. When the backend asked for cannot be had,
 * it throws a {@link BackendError} whose message says why and what to use instead.
 *
 * In Node, the wasm backend runs multi-threaded (one XNNPACK thread per core), which stock tfjs
 * does not do, and with SE Zoo's kernels it trains convolutional networks — stock tfjs's wasm
 * backend cannot (it has no convolution filter gradient).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { setBackend } from '@se/backends';
 * import { seResNet18 } from '@se/resnet';
 *
 * const info = await setBackend('auto'); // prints e.g. "SE Zoo backend: wasm on … (2 threads, SIMD)"
 * const model = seResNet18({ classes: 10, inputShape: [32, 32, 3] });
 * model.compile({ optimizer: tf.train.momentum(0.1, 0.9), loss: 'categoricalCrossentropy' });
 * ```
 */
export async function setBackend(
  name: BackendName = 'auto',
  options: SetBackendOptions = {},
): Promise<BackendInfo> {
  const withKernels = options.kernels ?? true;
  if (withKernels) {
    registerGradients();
    registerWasmKernels();
  }
  let chosen: Exclude<BackendName, 'auto'> | null = null;
  const passedOver: NonNullable<BackendInfo['passedOver']> = [];
  if (name === 'auto') {
    if ('name' in (await loadTfjsNode()) && (await activate('tensorflow'))) chosen = 'tensorflow';
    if (!chosen && isNode() && (await setUpHardwareWebGPU())) {
      // Node: Dawn (the optional `webgpu` package) on a real GPU only; on a software Vulkan
      // driver it would be far slower than wasm.
      await import('@tensorflow/tfjs-backend-webgpu');
      if (withKernels) registerWebGPUKernels();
      if (await activate('webgpu')) chosen = 'webgpu';
    }
    if (!chosen && !isNode()) chosen = await pickBrowserGpu(withKernels, passedOver);
    if (!chosen) {
      await configureWasm(options);
      if (await activate('wasm')) chosen = 'wasm';
    }
    if (!chosen && (await activate('cpu'))) chosen = 'cpu';
    if (!chosen) throw nothingStarted();
  } else {
    // Each case checks what its backend needs, so that a failure says what was missing; none
    // but 'webgpu' touches Dawn.
    switch (name) {
      case 'tensorflow': {
        const tfjsNode = await loadTfjsNode();
        if ('error' in tfjsNode) throw tfjsNode.error;
        break;
      }
      case 'webgpu':
        await prepareWebGPU(withKernels);
        break;
      case 'wasm':
        await configureWasm(options);
        break;
      case 'webgl':
        // tfjs registers its WebGL backend only in browsers.
        if (!isBrowser()) throw webglOutsideBrowser(isNode());
        break;
      case 'cpu':
        break;
      default:
        throw unknownBackend(name);
    }
    if (!(await activate(name))) throw startFailed(name, isBrowser());
    chosen = name;
  }
  if (chosen === 'wasm' && withKernels) {
    await startNativeKernels(tf.backend(), getThreadsCount());
  }
  const info: BackendInfo = await describeBackend();
  if (passedOver.length > 0) info.passedOver = passedOver;
  if (!options.quiet) {
    const extras = [
      `${info.dtype}`,
      ...(chosen === 'wasm' ? [`${info.threads} thread${info.threads === 1 ? '' : 's'}`] : []),
      ...(info.simd ? ['SIMD'] : []),
    ];
    const skipped = passedOver.map((p) => `${p.name}: ${p.reason}`).join('; ');
    (options.log ?? console.log)(
      `SE Zoo backend: ${info.name} on ${info.device} (${extras.join(', ')})` +
        (skipped ? ` — passed over ${skipped}` : ''),
    );
  }
  return info;
}
