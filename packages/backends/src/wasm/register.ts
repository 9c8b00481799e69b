import * as tf from '@tensorflow/tfjs';
import { KernelSet } from '../kernel-set.js';
import { SGD_MOMENTUM_KERNEL } from '../sgd.js';
import { BATCH_NORM_SUMS, batchNormGradSums } from './batch-norm.js';
import { fusedBatchNorm, makeChannelBinary } from './channelwise.js';
import { stockKernels } from './context.js';
import { conv2dBackpropFilter, conv2dBackpropInput, makeConv } from './conv.js';
import { depthwiseBackpropFilter, depthwiseBackpropInput } from './depthwise.js';
import { identity, makeMatMul, sgdMomentumStep, slice, tile } from './misc.js';
import { avgPoolGrad, maxPoolGrad } from './pool.js';
import { mean, sum } from './reduce.js';

/** What SE Zoo does to one wasm kernel. */
export interface WasmKernelInfo {
  /** The tfjs kernel name. */
  kernelName: string;
  /** `'added'`: the stock wasm backend lacks it; `'replaced'`: the stock one is slower. */
  change: 'added' | 'replaced';
  /** How it is computed. */
  method: string;
}

interface Entry extends WasmKernelInfo {
  kernelFunc: tf.KernelFunc;
}

const ENTRIES: Entry[] = [
  {
    kernelName: 'Conv2DBackpropFilter',
    change: 'added',
    method:
      'one XNNPACK convolution of the [C,H,W,N] input with the [Ho,Wo,N,C] gradient as filter (dilation = stride), live taps only',
    kernelFunc: conv2dBackpropFilter as tf.KernelFunc,
  },
  {
    kernelName: 'Conv2DBackpropInput',
    change: 'replaced',
    method:
      'one XNNPACK convolution of the zero-stuffed gradient with the flipped, transposed filter, live taps only',
    kernelFunc: conv2dBackpropInput as tf.KernelFunc,
  },
  {
    kernelName: 'Conv2D',
    change: 'replaced',
    method: 'stock XNNPACK convolution without the taps that only read padding',
    kernelFunc: makeConv('Conv2D') as tf.KernelFunc,
  },
  {
    kernelName: 'FusedConv2D',
    change: 'replaced',
    method: 'stock XNNPACK convolution without the taps that only read padding',
    kernelFunc: makeConv('FusedConv2D') as tf.KernelFunc,
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    change: 'added',
    method: 'XNNPACK depthwise convolution of the zero-stuffed gradient with the flipped filter',
    kernelFunc: depthwiseBackpropInput as tf.KernelFunc,
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    change: 'added',
    method: 'one JavaScript pass over the gradient, accumulated in doubles',
    kernelFunc: depthwiseBackpropFilter as tf.KernelFunc,
  },
  {
    kernelName: 'MaxPoolGrad',
    change: 'replaced',
    method: 'one JavaScript pass over the windows, channels innermost',
    kernelFunc: maxPoolGrad as tf.KernelFunc,
  },
  {
    kernelName: 'AvgPoolGrad',
    change: 'replaced',
    method: 'one JavaScript pass over the windows, channels innermost',
    kernelFunc: avgPoolGrad as tf.KernelFunc,
  },
  {
    kernelName: 'BatchMatMul',
    change: 'replaced',
    method: 'transposed operands transposed first, so that XNNPACK runs the product',
    kernelFunc: makeMatMul('BatchMatMul') as tf.KernelFunc,
  },
  {
    kernelName: '_FusedMatMul',
    change: 'replaced',
    method: 'transposed operands transposed first, so that XNNPACK runs the product',
    kernelFunc: makeMatMul('_FusedMatMul') as tf.KernelFunc,
  },
  {
    kernelName: 'Sum',
    change: 'replaced',
    method: 'adjacent, not innermost axes: one JavaScript pass, eight rows at a time',
    kernelFunc: sum as tf.KernelFunc,
  },
  {
    kernelName: 'Mean',
    change: 'replaced',
    method: 'adjacent, not innermost axes: one JavaScript pass, eight rows at a time',
    kernelFunc: mean as tf.KernelFunc,
  },
  {
    kernelName: 'Tile',
    change: 'replaced',
    method: 'block copies doubled with copyWithin',
    kernelFunc: tile as tf.KernelFunc,
  },
  {
    kernelName: 'Slice',
    change: 'replaced',
    method: 'one block copy per contiguous run (the stock kernel copies element by element)',
    kernelFunc: slice as tf.KernelFunc,
  },
  {
    kernelName: 'Identity',
    change: 'replaced',
    method: 'shares the data (a reference count) instead of copying it',
    kernelFunc: identity as tf.KernelFunc,
  },
  {
    kernelName: 'FusedBatchNorm',
    change: 'replaced',
    method:
      'scale and shift from the [C] statistics, then x·scale + shift in one XNNPACK pass (a 1×1 depthwise convolution) instead of a square root per element; non-finite maps keep the stock kernel',
    kernelFunc: fusedBatchNorm as tf.KernelFunc,
  },
  ...(['Multiply', 'Add', 'Sub'] as const).map((kernelName) => ({
    kernelName,
    change: 'replaced' as const,
    method:
      'a map and a per-channel ([C] or [N,1,1,C]) operand with at most 32 channels: the operand tiled, then the stock same-shape kernel',
    kernelFunc: makeChannelBinary(kernelName) as tf.KernelFunc,
  })),
  {
    kernelName: SGD_MOMENTUM_KERNEL,
    change: 'added',
    method:
      "sgdMomentumUpdate's whole update of one weight in one pass of SE Zoo's WebAssembly on every thread, or of JavaScript where it does not run (the composite form is six elementwise kernels)",
    kernelFunc: sgdMomentumStep as unknown as tf.KernelFunc,
  },
  {
    kernelName: BATCH_NORM_SUMS,
    change: 'added',
    method: 'the two per-channel sums of the batch-norm gradient in one JavaScript pass',
    kernelFunc: batchNormGradSums as tf.KernelFunc,
  },
];

/** The kernels {@link registerWasmKernels} installs on the wasm backend, and how each works. */
export const WASM_KERNELS: readonly WasmKernelInfo[] = ENTRIES.map(
  ({ kernelName, change, method }) => ({ kernelName, change, method }),
);

const kernels = new KernelSet('wasm', ENTRIES, stockKernels);

/**
 * Registers SE Zoo's training kernels on tfjs's wasm backend (idempotent): the convolution and
 * depthwise-convolution gradients it lacks, and faster versions of the stock kernels a training
 * step spends its time in (see {@link WASM_KERNELS}). Call it before or after the backend is
 * initialised; {@link setBackend} does.
 */
export function registerWasmKernels(): void {
  kernels.install();
  setBroadcastFlag(true);
}

/** Removes SE Zoo's wasm kernels and restores the stock ones they replaced. */
export function unregisterWasmKernels(): void {
  kernels.uninstall();
  setBroadcastFlag(false);
}

/**
 * The tfjs environment flag that says SE Zoo's wasm kernels broadcast per-channel operands
 * themselves, so that @se/core's fused ops need not tile them first (its `tileBroadcasts: 'auto'`).
 */
const WASM_BROADCASTS_FLAG = 'SE_ZOO_WASM_BROADCASTS';

function setBroadcastFlag(on: boolean): void {
  const env = tf.env();
  if (!(WASM_BROADCASTS_FLAG in env.getFlags())) {
    env.registerFlag(WASM_BROADCASTS_FLAG, () => false);
  }
  env.set(WASM_BROADCASTS_FLAG, on);
}
