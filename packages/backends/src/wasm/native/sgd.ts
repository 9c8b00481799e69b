// SE Zoo's fused SGD-with-momentum update on its WebAssembly kernels, split over the threads.
import type * as tf from '@tensorflow/tfjs';
import { sizeOf, type WasmOps } from '../context.js';
import type { NativeKernels } from './module.js';
import { parallelPool, runParts, share } from './threads.js';

/** The new weight and velocity of `sgdMomentumUpdate` (same bits as its composite form). */
export function nativeSgdMomentum(
  ops: WasmOps,
  k: NativeKernels,
  value: tf.TensorInfo,
  velocity: tf.TensorInfo,
  grad: tf.TensorInfo,
  [learningRate, momentum, weightDecay]: [number, number, number],
): [tf.TensorInfo, tf.TensorInfo] {
  const size = sizeOf(value.shape);
  const newValue = ops.backend.makeOutput([...value.shape], 'float32');
  const newVelocity = ops.backend.makeOutput([...value.shape], 'float32');
  const params = ops.alloc([3]);
  ops.f32(params).set([learningRate, momentum, weightDecay]);
  // About 10 memory operations per element: split it like a few FLOPs each.
  const pool = parallelPool(k, 8 * size);
  const parts = pool?.count ?? 1;
  const args = (part: number) => {
    const [begin, end] = share(size, parts, part, 4);
    return [
      ops.offset(value),
      ops.offset(velocity),
      ops.offset(grad),
      ops.offset(newValue),
      ops.offset(newVelocity),
      ops.offset(params),
      begin,
      end,
    ];
  };
  runParts(k, pool, 'sgd_momentum', args);
  ops.free(params);
  return [newValue, newVelocity];
}
