import * as tf from '@tensorflow/tfjs';
import { KernelSet } from '../kernel-set.js';
import { SGD_MOMENTUM_KERNEL } from '../sgd.js';
import { conv2dBackpropFilter, conv2dBackpropInput, stockWebGPUKernels } from './conv.js';
import { depthwiseBackpropFilter } from './depthwise.js';
import { gemmTuning } from './gemm.js';
import {
  GROUPED_CONV_BACKPROP_FILTER_KERNEL,
  GROUPED_CONV_BACKPROP_INPUT_KERNEL,
  GROUPED_CONV_KERNEL,
  groupedConv2d,
  groupedConv2dBackpropFilter,
  groupedConv2dBackpropInput,
} from './grouped.js';
import { sgdMomentum } from './sgd.js';

/** What SE Zoo does to one webgpu kernel. */
export interface WebGPUKernelInfo {
  /** The tfjs kernel name. */
  kernelName: string;
  /**
   * `'replaced'`: SE Zoo's kernel runs instead of the stock one (which it still calls for what it
   * does not handle); `'added'`: a kernel tfjs does not have (@se/core's grouped convolution,
   * {@link sgdMomentumUpdate}).
   */
  change: 'replaced' | 'added';
  /** How it is computed. */
  method: string;
}

interface Entry extends WebGPUKernelInfo {
  kernelFunc: tf.KernelFunc;
}

const ENTRIES: Entry[] = [
  {
    kernelName: 'Conv2DBackpropFilter',
    change: 'replaced',
    method:
      'tiled implicit GEMM (M = kh·kw·Cin, N = Cout, K = batch·Ho·Wo) over dy and im2col(x) read in place, split-K when the tiles are few; stock tfjs loops over K in every thread',
    kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
  },
  {
    kernelName: 'Conv2DBackpropInput',
    change: 'replaced',
    method:
      'tiled implicit GEMM (M = batch·H·W, N = Cin, K = kh·kw·Cout) of dy with the transposed filter; strided convs split into stride phases, each a dense GEMM over its own taps; stock tfjs uses a naive kernel by default',
    kernelFunc: conv2dBackpropInput as unknown as tf.KernelFunc,
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    change: 'replaced',
    method:
      'one thread per channel accumulates every tap over a chunk of the output pixels (split-K over the batch), then the chunks are summed; stock tfjs gives each filter element one thread that loops over the whole batch',
    kernelFunc: depthwiseBackpropFilter as unknown as tf.KernelFunc,
  },
  {
    kernelName: GROUPED_CONV_KERNEL,
    change: 'added',
    method:
      "@se/core's groupedConv2d method 'kernel': a direct kernel, each thread computing 4 output channels of one group at 4 pixels of a row, looping over kh·kw·Cin/g (ResNeXt's per-group products are too small for GEMM tiles)",
    kernelFunc: groupedConv2d as unknown as tf.KernelFunc,
  },
  {
    kernelName: GROUPED_CONV_BACKPROP_INPUT_KERNEL,
    change: 'added',
    method:
      'its input gradient, direct: each thread computes 4 input channels of one group at 4 pixels of one stride phase of a row (pixels that meet the same taps), looping over the taps that reach them and the group’s output channels',
    kernelFunc: groupedConv2dBackpropInput as unknown as tf.KernelFunc,
  },
  {
    kernelName: GROUPED_CONV_BACKPROP_FILTER_KERNEL,
    change: 'added',
    method:
      'its filter gradient: each thread accumulates 4 output channels × up to 9 taps of one input channel over a chunk of the output pixels (split over the batch), then the chunks are summed',
    kernelFunc: groupedConv2dBackpropFilter as unknown as tf.KernelFunc,
  },
  {
    kernelName: SGD_MOMENTUM_KERNEL,
    change: 'added',
    method:
      "sgdMomentumUpdate's whole update of one weight in two elementwise dispatches (the new velocity, then the weight from it), the scalars as uniforms; the composite form is six dispatches and a scalar upload per multiplication",
    kernelFunc: sgdMomentum as unknown as tf.KernelFunc,
  },
];

/** The kernels {@link registerWebGPUKernels} installs on the webgpu backend, and how each works. */
export const WEBGPU_KERNELS: readonly WebGPUKernelInfo[] = ENTRIES.map(
  ({ kernelName, change, method }) => ({ kernelName, change, method }),
);

/** Tuning of SE Zoo's WebGPU GEMM kernels (for benchmarks; the defaults suit most GPUs). */
export interface WebGPUKernelOptions {
  /** Workgroup tile of the product: `'auto'` (default), `'64x64'` or `'128x128'`. */
  tile?: 'auto' | '64x64' | '128x128';
  /** Split the K dimension until the grid has about this many workgroups (default 512). */
  targetWorkgroups?: number;
}

const kernels = new KernelSet('webgpu', ENTRIES, stockWebGPUKernels);

/**
 * Registers SE Zoo's training kernels on tfjs's webgpu backend (idempotent): tiled implicit-GEMM
 * convolution gradients in place of the stock ones (see {@link WEBGPU_KERNELS}), which compute
 * every output element with its own loop over the window, the grouped convolution with its two gradients that @se/core's
 * `groupedConv2d` runs as method `'kernel'`, and the fused optimizer update of
 * {@link sgdMomentumUpdate}. The webgpu backend's module (`@tensorflow/tfjs-backend-webgpu`) must be
 * imported first; {@link setBackend} does both.
 *
 * @example
 * ```ts
 * import { registerWebGPUKernels, setBackend } from '@se/backends';
 *
 * await setBackend('webgpu', { kernels: false }); // stock tfjs-webgpu
 * registerWebGPUKernels({ tile: '128x128' }); // SE Zoo's kernels, always on 128×128 tiles
 * ```
 */
export function registerWebGPUKernels(options: WebGPUKernelOptions = {}): void {
  if (options.tile) gemmTuning.tile = options.tile;
  if (options.targetWorkgroups) gemmTuning.targetWorkgroups = options.targetWorkgroups;
  if (kernels.installed) return;
  for (const { kernelName, change } of ENTRIES) {
    if (change === 'replaced' && !tf.getKernel(kernelName, 'webgpu')) {
      throw new Error(
        `SE Zoo: the webgpu backend has no '${kernelName}' kernel yet: import '@tensorflow/tfjs-backend-webgpu' before registerWebGPUKernels()`,
      );
    }
  }
  kernels.install();
}

/**
 * Removes SE Zoo's webgpu kernels (the added ones too, so that @se/core's method `'kernel'` and
 * {@link sgdMomentumUpdate} fall back to composite ops) and restores the stock ones they replaced.
 *
 * @example
 * ```ts
 * import { unregisterWebGPUKernels } from '@se/backends';
 *
 * unregisterWebGPUKernels(); // stock tfjs-webgpu from here on
 * ```
 */
export function unregisterWebGPUKernels(): void {
  kernels.uninstall();
}

/**
 * Whether SE Zoo's webgpu kernels are registered.
 *
 * @example
 * ```ts
 * import { webgpuKernelsRegistered } from '@se/backends';
 *
 * console.log(webgpuKernelsRegistered() ? 'SE Zoo WebGPU kernels' : 'stock tfjs-webgpu');
 * ```
 */
export function webgpuKernelsRegistered(): boolean {
  return kernels.installed;
}
