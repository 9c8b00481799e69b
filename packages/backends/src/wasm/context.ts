import type * as tf from '@tensorflow/tfjs';
import { originalKernel } from '../kernel-set.js';

/** A tensor's identity in a backend (tfjs's `DataId`). */
type DataId = object;

/**
 * The parts of tfjs-backend-wasm's `BackendWasm` that SE Zoo's kernels use. Declared structurally
 * so the kernels do not depend on the wasm package's internal types.
 */
export interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array; wasmMemory?: WebAssembly.Memory };
  dataIdMap: { get(dataId: DataId): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
  incRef(dataId: DataId): void;
}

/** Narrows the `backend` a kernel function receives to the wasm backend's shape. */
export function asWasm(backend: unknown): WasmBackendLike {
  const b = backend as Partial<WasmBackendLike> | null;
  if (!b?.wasm || !b.dataIdMap || typeof b.makeOutput !== 'function') {
    throw new Error('SE Zoo wasm kernels need the tfjs wasm backend');
  }
  return b as WasmBackendLike;
}

/**
 * Stock kernels that SE Zoo replaced, so that a replacement can still call the original (for
 * the cases it does not speed up) and `unregisterWasmKernels` can restore it.
 */
export const stockKernels = new Map<string, tf.KernelConfig>();

/** The wasm kernel SE Zoo's kernels build on: the stock one when SE Zoo replaced it. */
function baseKernel(kernelName: string): tf.KernelConfig {
  return originalKernel(stockKernels, kernelName, 'wasm');
}

/** The function of the wasm kernel SE Zoo's kernels build on (see {@link WasmOps.run}). */
export function stockKernel(kernelName: string): tf.KernelFunc {
  return baseKernel(kernelName).kernelFunc;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Composes wasm kernels at the level of `TensorInfo`s, below the engine: no `Tensor` objects, no
 * tape, no scopes. Every `TensorInfo` a method returns owns one reference to its data, which
 * {@link WasmOps.free} releases; {@link WasmOps.scope} frees everything it tracked but the result.
 * Working below the engine is what keeps a kernel from touching the caller's reference counts
 * (wrapping an input in a `Tensor` and disposing it would free the caller's data).
 */
export class WasmOps {
  readonly backend: WasmBackendLike;
  private tracked: tf.TensorInfo[] = [];

  constructor(backend: unknown) {
    this.backend = asWasm(backend);
  }

  /** Runs a stock wasm kernel. */
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}) {
    const out = baseKernel(kernelName).kernelFunc({ inputs, attrs, backend: this.backend });
    if (Array.isArray(out)) throw new Error(`kernel '${kernelName}' returned several outputs`);
    return this.track(out);
  }

  /** A new float32 tensor; its memory is uninitialised unless `zero`. */
  alloc(shape: number[], zero = false): tf.TensorInfo {
    const out = this.track(this.backend.makeOutput(shape, 'float32'));
    if (zero) this.f32(out).fill(0);
    return out;
  }

  /** The same data under another shape, without copying. */
  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    if (sizeOf(shape) !== sizeOf(x.shape)) {
      throw new Error(`cannot reshape [${x.shape}] to [${shape}]`);
    }
    this.backend.incRef(x.dataId);
    return this.track({ dataId: x.dataId, shape, dtype: x.dtype });
  }

  /**
   * A view of a float32 tensor's data on the wasm heap. Take views after the allocations they
   * follow: allocating can grow the heap, which detaches non-shared views.
   */
  f32(x: tf.TensorInfo): Float32Array {
    return new Float32Array(this.buffer(), this.offset(x), sizeOf(x.shape));
  }

  /** Like {@link WasmOps.f32}, for moving any 4-byte data bit for bit. */
  u32(x: tf.TensorInfo): Uint32Array {
    return new Uint32Array(this.buffer(), this.offset(x), sizeOf(x.shape));
  }

  /** Like {@link WasmOps.f32}, for int32 data (index tables of SE Zoo's native kernels). */
  i32(x: tf.TensorInfo): Int32Array {
    return new Int32Array(this.buffer(), this.offset(x), sizeOf(x.shape));
  }

  /** The byte offset of a tensor's data in the backend's memory. */
  offset(x: tf.TensorInfo): number {
    const data = this.backend.dataIdMap.get(x.dataId);
    if (!data) throw new Error('tensor is not on the wasm backend');
    return data.memoryOffset;
  }

  private buffer(): ArrayBufferLike {
    // The threaded build's heap is a growable SharedArrayBuffer; its `HEAPU8` can lag behind.
    const { wasm } = this.backend;
    return wasm.wasmMemory?.buffer ?? wasm.HEAPU8.buffer;
  }

  /** Records `x` to be freed by {@link WasmOps.scope}. */
  track(x: tf.TensorInfo): tf.TensorInfo {
    this.tracked.push(x);
    return x;
  }

  /** Releases one reference to each tensor now. */
  free(...xs: tf.TensorInfo[]): void {
    for (const x of xs) {
      const i = this.tracked.lastIndexOf(x);
      if (i >= 0) this.tracked.splice(i, 1);
      this.backend.disposeData(x.dataId);
    }
  }

  /**
   * Runs `body` and frees every tensor it created through this object except the one it
   * returns, also when it throws.
   */
  scope(body: () => tf.TensorInfo): tf.TensorInfo {
    const start = this.tracked.length;
    let result: tf.TensorInfo | undefined;
    try {
      result = body();
      return result;
    } finally {
      const created = this.tracked.splice(start);
      for (const x of created) if (x !== result) this.backend.disposeData(x.dataId);
      if (result && start > 0) this.tracked.push(result);
    }
  }
}

/** A `[height, width]` pair from tfjs's `number | [number, number]` attributes. */
export function pair(value: unknown, name: string): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2) return [Number(value[0]), Number(value[1])];
  if (value == null) return [1, 1];
  throw new Error(`bad ${name}: ${String(value)}`);
}
