import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { batchNormTraining, fusedOps } from './fused-ops.js';
import { nhwcChannels, singleShape } from './shapes.js';
import { batchNormWeights } from './torch-weights.js';
import type { MapsTorchWeights, TorchWeightSpec } from './types.js';

/** Arguments of {@link BatchNorm}. */
export interface BatchNormArgs {
  /** Layer name; SE Zoo uses the PyTorch module path (`layer1.0.bn1`). */
  name?: string;
  /** Whether γ and β are trainable weights (default true). */
  trainable?: boolean;
  /**
   * Weight of the current batch in the running statistics, in PyTorch's sense:
   * `running = (1 − momentum) · running + momentum · batch`. Default 0.1 (PyTorch). tfjs's own
   * `batchNormalization` momentum of 0.99 corresponds to 0.01 here.
   */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5, PyTorch). */
  epsilon?: number;
  /**
   * Start γ at zero instead of one, so a residual branch ending in this layer starts as the
   * identity (timm's `zero_init_last`). Only affects initialisation.
   */
  zeroInit?: boolean;
}

/**
 * Batch normalisation over the channel axis of NHWC feature maps with PyTorch's semantics:
 * eps 1e-5, momentum 0.1, and running variance updated with the unbiased batch variance
 * (tfjs's `batchNormalization` uses the biased one). Its tensors keep the Keras names
 * (`gamma`, `beta`, `moving_mean`, `moving_variance`) and map onto PyTorch's
 * `weight`, `bias`, `running_mean`, `running_var`.
 *
 * In training it runs {@link batchNormTraining}, one op with the closed-form gradient, unless
 * {@link fusedOps}`.batchNorm` is off; inference uses the running statistics either way.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { BatchNorm } from '@se/core';
 *
 * const x = tf.input({ shape: [8, 8, 16] });
 * const y = new BatchNorm({ name: 'bn1' }).apply(x) as tf.SymbolicTensor;
 * ```
 */
export class BatchNorm extends tf.layers.Layer implements MapsTorchWeights {
  /** @ignore */
  static className = 'BatchNorm';
  /** Weight of the current batch in the running statistics, in PyTorch's sense (default 0.1). */
  readonly momentum: number;
  /** Added to the variance before the square root (default 1e-5). */
  readonly epsilon: number;
  /** Whether γ starts at zero instead of one (timm's `zero_init_last`). */
  readonly zeroInit: boolean;
  private gamma?: tf.LayerVariable;
  private beta?: tf.LayerVariable;
  private movingMean?: tf.LayerVariable;
  private movingVariance?: tf.LayerVariable;

  constructor(args: BatchNormArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
    this.momentum = args.momentum ?? 0.1;
    this.epsilon = args.epsilon ?? 1e-5;
    this.zeroInit = args.zeroInit ?? false;
    if (!(this.momentum >= 0 && this.momentum <= 1)) {
      throw new ConfigError('BatchNorm momentum', this.momentum, 'a number in [0, 1]');
    }
    if (!(this.epsilon > 0)) {
      throw new ConfigError('BatchNorm epsilon', this.epsilon, 'a positive number');
    }
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = nhwcChannels(`layer '${this.name}'`, singleShape(inputShape));
    const gammaInit = this.zeroInit ? tf.initializers.zeros() : tf.initializers.ones();
    this.gamma = this.addWeight('gamma', [channels], 'float32', gammaInit);
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    this.movingMean = this.addWeight(
      'moving_mean',
      [channels],
      'float32',
      tf.initializers.zeros(),
      undefined,
      false,
    );
    this.movingVariance = this.addWeight(
      'moving_variance',
      [channels],
      'float32',
      tf.initializers.ones(),
      undefined,
      false,
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return singleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const { gamma, beta, movingMean, movingVariance } = this.variables();
      if (kwargs.training !== true) {
        return tf.batchNorm(
          x,
          movingMean.read(),
          movingVariance.read(),
          beta.read(),
          gamma.read(),
          this.epsilon,
        );
      }
      const count = x.size / (x.shape[3] ?? 1);
      if (fusedOps.batchNorm) {
        // One op with the closed-form gradient (see fusedOps); the same statistics and output.
        const fused = batchNormTraining(
          x,
          gamma.read() as tf.Tensor1D,
          beta.read() as tf.Tensor1D,
          this.epsilon,
        );
        this.updateRunningStatistics(fused.mean, fused.variance, count);
        return fused.y;
      }
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      this.updateRunningStatistics(mean, variance, count);
      return tf.batchNorm(x, mean, variance, beta.read(), gamma.read(), this.epsilon);
    });
  }

  private updateRunningStatistics(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    const { movingMean, movingVariance } = this.variables();
    const m = this.momentum;
    const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
    movingMean.write(tf.add(tf.mul(movingMean.read(), 1 - m), tf.mul(mean, m)));
    movingVariance.write(tf.add(tf.mul(movingVariance.read(), 1 - m), tf.mul(unbiased, m)));
  }

  private variables() {
    const { gamma, beta, movingMean, movingVariance } = this;
    if (!gamma || !beta || !movingMean || !movingVariance) {
      throw new Error(`BatchNorm '${this.name}' is used before it is built`);
    }
    return { gamma, beta, movingMean, movingVariance };
  }

  /** PyTorch's `weight`, `bias`, `running_mean`, `running_var` and `num_batches_tracked`. */
  torchWeights(): TorchWeightSpec[] {
    return batchNormWeights(this);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      momentum: this.momentum,
      epsilon: this.epsilon,
      zeroInit: this.zeroInit,
    };
  }
}
tf.serialization.registerClass(BatchNorm, 'SEZoo');
