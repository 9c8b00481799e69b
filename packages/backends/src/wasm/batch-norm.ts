import type * as tf from '@tensorflow/tfjs';
import { WasmOps } from './context.js';

/** Name of the kernel behind {@link batchNormGradSums}. */
export const BATCH_NORM_SUMS = 'SEZooBatchNormGradSums';

/**
 * The two per-channel sums of the batch-norm gradient in one pass over NHWC data: row 0 is
 * Σ dy, row 1 is Σ dy·(x − mean), accumulated in doubles. Inputs `dy`, `x` (same shape, channels
 * last) and `mean` (`[C]`); output `[2, C]`. The stock formulation reads the activations about
 * ten times (tile, subtractions, products, reductions); this reads `dy` and `x` once.
 */
export function batchNormGradSums(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
}): tf.TensorInfo {
  const ops = new WasmOps(args.backend);
  const { dy, x, mean } = args.inputs as {
    dy: tf.TensorInfo;
    x: tf.TensorInfo;
    mean: tf.TensorInfo;
  };
  const C = mean.shape[0] ?? 1;
  const out = ops.alloc([2, C]);
  const g = ops.f32(dy);
  const v = ops.f32(x);
  const mu = ops.f32(mean);
  const s1 = new Float64Array(C);
  const s2 = new Float64Array(C);
  const rows = g.length / C;
  for (let r = 0, base = 0; r < rows; r++, base += C) {
    for (let c = 0; c < C; c++) {
      const d = g[base + c] as number;
      s1[c] = (s1[c] as number) + d;
      s2[c] = (s2[c] as number) + d * ((v[base + c] as number) - (mu[c] as number));
    }
  }
  const o = ops.f32(out);
  o.set(s1, 0);
  o.set(s2, C);
  return out;
}
