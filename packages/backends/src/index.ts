/**
 * @se/backends: picks the fastest tfjs backend available (`setBackend('auto')`) and makes
 * tfjs's WebAssembly backend train convolutional networks fast on the CPU, in Node and in the
 * browser, without tfjs-node: the convolution gradients it lacks, faster versions of the kernels a
 * training step spends its time in, and (in Node) XNNPACK on every core; plus SGD with momentum
 * in PyTorch's form ({@link SgdMomentum}), one fused kernel per weight on webgpu.
 *
 * @packageDocumentation
 */
export {
  type BackendInfo,
  type BackendName,
  describeBackend,
  type PassedOverBackend,
  type SetBackendOptions,
  setBackend,
} from './backend.js';
export { BackendError } from './backend-errors.js';
export { REPLACED_GRADIENTS, registerGradients, unregisterGradients } from './gradients.js';
export {
  type DecayRule,
  decaysRankAboveOne,
  type LayerWeight,
  PerWeightOptimizer,
  type PerWeightOptimizerOptions,
  SgdMomentum,
  type SgdMomentumOptimizerOptions,
  sgdMomentum,
  type WeightInfo,
} from './momentum.js';
export {
  SGD_MOMENTUM_KERNEL,
  type SgdMomentumOptions,
  type SgdMomentumResult,
  sgdMomentumUpdate,
} from './sgd.js';
export { type ConvMethod, type ConvMethods, convMethods } from './wasm/conv.js';
export {
  registerWasmKernels,
  unregisterWasmKernels,
  WASM_KERNELS,
  type WasmKernelInfo,
} from './wasm/register.js';
export {
  installNodeWebGPU,
  type NodeWebGPUModule,
  type NodeWebGPUOptions,
  webgpuAdapterAvailable,
  webgpuHardwareAvailable,
} from './webgpu/dawn.js';
export {
  registerWebGPUKernels,
  unregisterWebGPUKernels,
  WEBGPU_KERNELS,
  type WebGPUKernelInfo,
  type WebGPUKernelOptions,
  webgpuKernelsRegistered,
} from './webgpu/register.js';
