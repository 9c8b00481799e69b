// The parts of tfjs-backend-webgpu that SE Zoo's WebGPU kernels use, declared structurally (as
// the wasm kernels do for their backend) so that nothing here imports the webgpu package: it must
// only load once `navigator.gpu` exists, which in Node is after Dawn is set up.
import type * as tf from '@tensorflow/tfjs';

/** A tensor's identity in a backend (tfjs's `DataId`). */
type DataId = object;

/** One value of a program's uniform block, in declaration order. */
export interface Uniform {
  type: 'int32' | 'uint32' | 'float32';
  data: number[];
}

/**
 * A compute shader as tfjs-backend-webgpu runs it (its `WebGPUProgram`): tfjs prepends the
 * bindings (`result`, then one `array<f32>` per variable name), a `uniforms` block (every input's
 * and the output's shape and strides, then `uniforms`), `localId`/`localIndex`/`workgroupId`
 * globals, and calls `main()` (`main(index)` for a flat dispatch layout).
 */
export interface WebGPUProgramLike {
  outputShape: number[];
  /** Must name every constant baked into the code: tfjs caches pipelines by it. */
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms?: string;
  workgroupSize: [number, number, number];
  size?: boolean;
  getUserCode(): string;
}

/** The webgpu backend, as far as SE Zoo's kernels use it. */
export interface WebGPUBackendLike {
  device: { limits: { maxComputeWorkgroupsPerDimension: number } };
  runWebGPUProgram(
    program: WebGPUProgramLike,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniforms?: Uniform[],
    output?: tf.TensorInfo,
  ): tf.TensorInfo;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
}

/** Narrows the `backend` a kernel function receives to the webgpu backend's shape. */
export function asWebGPU(backend: unknown): WebGPUBackendLike {
  const b = backend as Partial<WebGPUBackendLike> | null;
  if (!b?.device || typeof b.runWebGPUProgram !== 'function') {
    throw new Error('SE Zoo WebGPU kernels need the tfjs webgpu backend');
  }
  return b as WebGPUBackendLike;
}
