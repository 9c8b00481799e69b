// SE Zoo's own WebAssembly kernels (kernels.c), instantiated on the memory of tfjs's wasm backend
// so that they read and write its tensors in place. One instance per backend module; the build
// (SIMD or relaxed SIMD, unshared or shared memory) is the one the runtime and the memory take.
import { asWasm, type WasmBackendLike } from '../context.js';
import { NATIVE_BINARIES } from './binaries.js';
import { KernelThreads } from './threads.js';
import type { NativeExports, NativeKernels } from './types.js';

export type { NativeExports, NativeKernels } from './types.js';

type Variant = keyof typeof NATIVE_BINARIES;

const compiled = new Map<Variant, WebAssembly.Module>();
/** Builds the runtime refused to compile synchronously (browsers' main threads, over 4 KB). */
const syncCompileFailed = new Set<Variant>();
const instances = new WeakMap<object, NativeKernels | null>();
let relaxedSupport: boolean | undefined;

function bytesOf(variant: Variant): Uint8Array<ArrayBuffer> {
  const text = atob(NATIVE_BINARIES[variant]);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Whether this runtime runs relaxed SIMD (Node ≥ 22, Chrome ≥ 114). */
function relaxedSimd(): boolean {
  relaxedSupport ??= WebAssembly.validate(bytesOf('relaxed'));
  return relaxedSupport;
}

function variantFor(shared: boolean): Variant {
  const base = relaxedSimd() ? 'relaxed' : 'simd';
  return shared ? `${base}Shared` : base;
}

/** Whether `memory` is shared (tfjs's threaded build), and the build that imports it here. */
function buildFor(memory: WebAssembly.Memory): { shared: boolean; variant: Variant } {
  const shared =
    typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  return { shared, variant: variantFor(shared) };
}

/** The memory of tfjs's wasm module: its threaded build imports it, the other exports it. */
function memoryOf(wasm: WasmBackendLike['wasm']): WebAssembly.Memory | null {
  if (wasm.wasmMemory instanceof WebAssembly.Memory) return wasm.wasmMemory;
  const exports = (wasm as { asm?: Record<string, unknown> }).asm ?? {};
  for (const value of Object.values(exports)) {
    if (value instanceof WebAssembly.Memory) return value;
  }
  return null;
}

/**
 * SE Zoo's kernels on `backend`'s memory, or null where they cannot run (no SIMD, a memory that
 * tfjs does not expose, a browser main thread before {@link startNativeKernels} compiled them).
 */
export function nativeKernels(backend: WasmBackendLike): NativeKernels | null {
  const key = backend.wasm as object;
  const known = instances.get(key);
  if (known !== undefined) return known;
  const memory = memoryOf(backend.wasm);
  if (!memory) {
    instances.set(key, null);
    return null;
  }
  const { shared, variant } = buildFor(memory);
  let module = compiled.get(variant);
  if (!module) {
    if (syncCompileFailed.has(variant)) return null;
    try {
      module = new WebAssembly.Module(bytesOf(variant));
    } catch {
      // A browser's main thread before startNativeKernels: XNNPACK until it has compiled them.
      syncCompileFailed.add(variant);
      return null;
    }
    compiled.set(variant, module);
  }
  let result: NativeKernels | null = null;
  try {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    result = {
      exports: instance.exports as unknown as NativeExports,
      module,
      memory,
      relaxed: variant.startsWith('relaxed'),
      shared,
      threads: null,
    };
  } catch {
    // A memory whose limits the build does not accept.
  }
  instances.set(key, result);
  return result;
}

/**
 * Prepares SE Zoo's kernels on the active wasm backend: compiles the build its memory takes, and
 * in Node with tfjs's threaded build starts `threads − 1` worker threads on that memory (waiting
 * until they are ready). Returns the kernels, or null where they cannot run.
 */
export async function startNativeKernels(
  backend: unknown,
  threads: number,
): Promise<NativeKernels | null> {
  const wasm = asWasm(backend);
  const memory = memoryOf(wasm.wasm);
  if (!memory) return null;
  // Asynchronously: browsers refuse to compile modules over 4 KB synchronously on the main thread.
  const { variant } = buildFor(memory);
  if (!compiled.has(variant)) {
    try {
      compiled.set(variant, await WebAssembly.compile(bytesOf(variant)));
    } catch {
      return null;
    }
  }
  const kernels = nativeKernels(wasm);
  if (!kernels || kernels.threads || threads < 2) return kernels;
  const pool = await KernelThreads.start(kernels, threads);
  if (!pool) return kernels;
  for (let waited = 0; !pool.ready && waited < 10_000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  kernels.threads = pool;
  return kernels;
}
