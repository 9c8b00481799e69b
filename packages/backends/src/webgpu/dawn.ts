// WebGPU in Node through Dawn (the optional `webgpu` package, which ships `dawn.node`).
import { importOptional, isNode } from '../node.js';

interface DawnModule {
  create(flags: string[]): unknown;
  globals: Record<string, unknown>;
}

interface GpuLike {
  requestAdapter(options?: unknown): Promise<unknown>;
}

function currentGpu(): GpuLike | undefined {
  return (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
}

let installing: Promise<boolean> | null = null;

/**
 * Makes WebGPU available in Node through Dawn: loads the optional `webgpu` package (install it
 * with `npm install webgpu`), defines its globals (`GPUBufferUsage`, …) and `navigator.gpu`.
 * Resolves to true when `navigator.gpu` exists afterwards (at once where it already did, as in
 * browsers), false when the package is missing. Whether a GPU is there is another matter: see
 * {@link webgpuAdapterAvailable}. Call it before `@tensorflow/tfjs-backend-webgpu` is imported
 * (that module registers its backend only if `navigator.gpu` exists when it loads);
 * `setBackend('webgpu')` calls it.
 *
 * @example
 * ```ts
 * import { installNodeWebGPU, setBackend } from '@se/backends';
 *
 * if (await installNodeWebGPU()) await setBackend('webgpu');
 * ```
 */
export function installNodeWebGPU(): Promise<boolean> {
  if (currentGpu()) return Promise.resolve(true);
  if (!isNode()) return Promise.resolve(false);
  installing ??= (async () => {
    let dawn: DawnModule;
    try {
      dawn = (await importOptional('webgpu')) as DawnModule;
    } catch {
      return false;
    }
    const g = globalThis as Record<string, unknown>;
    for (const [name, value] of Object.entries(dawn.globals)) {
      if (g[name] === undefined) g[name] = value;
    }
    const gpu = dawn.create([]);
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

interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean; architecture?: string };
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
    const adapter = (await gpu.requestAdapter()) as AdapterLike | null;
    if (!adapter) return false;
    const fallback = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
    return !fallback && adapter.info?.architecture !== 'software';
  } catch {
    return false;
  }
}
