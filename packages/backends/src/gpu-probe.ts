/**
 * What `setBackend('auto')` asks of a browser's GPUs before it starts a tfjs backend on one: is
 * there a WebGPU adapter, a WebGL context, and are they hardware or a GPU emulated on the CPU
 * (SwiftShader, llvmpipe, …), on which the wasm backend is faster. The probes start no tfjs
 * backend and log nothing, so that a GPU that is missing or passed over leaves no stack trace in
 * the console.
 */

/**
 * Renderer, adapter and driver names of GPUs emulated on the CPU: SwiftShader (Chrome's, WebGL and
 * WebGPU), Mesa's llvmpipe, lavapipe and softpipe, Microsoft's Basic Render Driver (WARP).
 */
export const SOFTWARE_GPU = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render driver/i;

/** What a probe found. */
export interface GpuProbe {
  /** Whether the API gave an adapter (WebGPU) or a context (WebGL). */
  available: boolean;
  /** Whether it is a GPU emulated on the CPU. */
  software: boolean;
  /** The adapter or renderer, in words (empty when unavailable). */
  description: string;
  /** Why it is unavailable. */
  reason?: string;
}

/** The parts of WebGPU's `GPUAdapterInfo` a probe reads. */
interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** The parts of WebGPU's `GPU` (`navigator.gpu`) a probe uses. */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<{
    info?: AdapterInfo;
    isFallbackAdapter?: boolean;
    requestAdapterInfo?: () => Promise<AdapterInfo>;
  } | null>;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Asks `gpu` (default `navigator.gpu`) for an adapter, as tfjs's webgpu backend does, and reads
 * its info (`adapter.info`, or `requestAdapterInfo()` of older browsers): a fallback adapter or
 * one whose vendor, architecture, device or description names a software GPU is `software`.
 */
export async function probeWebGPU(
  gpu: GpuLike | undefined = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu,
): Promise<GpuProbe> {
  if (!gpu)
    return { available: false, software: false, description: '', reason: 'no navigator.gpu' };
  let adapter: Awaited<ReturnType<GpuLike['requestAdapter']>>;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { available: false, software: false, description: '', reason: errorText(error) };
  }
  if (!adapter) {
    return { available: false, software: false, description: '', reason: 'no WebGPU adapter' };
  }
  let info: AdapterInfo | undefined = adapter.info;
  if (!info && typeof adapter.requestAdapterInfo === 'function') {
    try {
      info = await adapter.requestAdapterInfo();
    } catch {
      info = undefined;
    }
  }
  const description = [info?.vendor, info?.architecture, info?.device, info?.description]
    .filter((part) => typeof part === 'string' && part !== '')
    .join(' ');
  const software =
    adapter.isFallbackAdapter === true ||
    info?.isFallbackAdapter === true ||
    SOFTWARE_GPU.test(description);
  return { available: true, software, description };
}

/** The parts of a WebGL context a probe uses. */
export interface WebGLLike {
  RENDERER: number;
  VENDOR: number;
  getExtension(name: string): unknown;
  getParameter(name: number): unknown;
}

/** Something `getContext` can be asked of: a canvas, an `OffscreenCanvas`. */
export interface CanvasLike {
  getContext(kind: string, options?: object): unknown;
}

function newCanvas(): CanvasLike | null {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(1, 1) as CanvasLike;
  const doc = (globalThis as { document?: { createElement(tag: string): unknown } }).document;
  return doc ? (doc.createElement('canvas') as CanvasLike) : null;
}

/**
 * Opens a WebGL context on a canvas of its own (`canvas`, default a new 1×1 one), as tfjs's webgl
 * backend would, and reads its renderer (`WEBGL_debug_renderer_info`'s unmasked renderer where
 * the browser gives it): one that names a software GPU is `software`. It releases the context.
 */
export function probeWebGL(canvas: CanvasLike | null = newCanvas()): GpuProbe {
  let gl: WebGLLike | null = null;
  try {
    const options = { failIfMajorPerformanceCaveat: false };
    gl = (canvas?.getContext('webgl2', options) ??
      canvas?.getContext('webgl', options) ??
      null) as WebGLLike | null;
  } catch (error) {
    return { available: false, software: false, description: '', reason: errorText(error) };
  }
  if (!gl)
    return { available: false, software: false, description: '', reason: 'no WebGL context' };
  try {
    const debug = gl.getExtension('WEBGL_debug_renderer_info') as {
      UNMASKED_RENDERER_WEBGL: number;
      UNMASKED_VENDOR_WEBGL: number;
    } | null;
    const renderer = String(
      gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '',
    );
    const vendor = String(gl.getParameter(debug ? debug.UNMASKED_VENDOR_WEBGL : gl.VENDOR) ?? '');
    const description = renderer || vendor;
    return {
      available: true,
      software: SOFTWARE_GPU.test(renderer) || SOFTWARE_GPU.test(vendor),
      description,
    };
  } finally {
    (gl.getExtension('WEBGL_lose_context') as { loseContext(): void } | null)?.loseContext();
  }
}

/**
 * Runs `start` with `console.warn` and `console.error` held back: tfjs logs a failed backend
 * initialisation (with its stack trace) there. What was held back is logged after all when
 * `start` succeeds, and dropped when it fails (`setBackend('auto')` then says what it chose).
 */
export async function withQuietConsole(start: () => Promise<boolean>): Promise<boolean> {
  const { warn, error } = console;
  const held: [typeof console.warn, unknown[]][] = [];
  console.warn = (...args: unknown[]) => held.push([warn, args]);
  console.error = (...args: unknown[]) => held.push([error, args]);
  let ok = false;
  try {
    ok = await start();
  } finally {
    console.warn = warn;
    console.error = error;
  }
  if (ok) for (const [log, args] of held) log.apply(console, args);
  return ok;
}
