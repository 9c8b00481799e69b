// Messages between the data-parallel coordinator and its replicas.

/** How a replica builds its model: `module[exportName](...args)`, after importing `preload`. */
export interface ModelSource {
  /**
   * ES module specifier of the builder: a package name (resolved from the replica's module, so a
   * dependency of @se/benchmarks) or an absolute `file:` URL, e.g.
   * `import.meta.resolve('./model.js')`.
   */
  module: string;
  /** The builder's export (default `'default'`). */
  exportName?: string;
  /** Arguments of the builder; must survive `structuredClone`. */
  args?: unknown[];
  /** Modules to import first, e.g. `['@se/resnet']` to register its models for `createModel`. */
  preload?: string[];
}

/** The optimizer each replica runs (every replica applies the same averaged gradients). */
export interface OptimizerSpec {
  /** `tf.train.sgd`, @se/backends' `SgdMomentum` or `tf.train.adam`. */
  kind: 'sgd' | 'momentum' | 'adam';
  /** The learning rate. */
  learningRate: number;
  /** Momentum (kind `'momentum'`, default 0.9). */
  momentum?: number;
  /** Nesterov momentum (kind `'momentum'`, default false). */
  nesterov?: boolean;
  /** L2 weight decay of the rank ≥ 2 weights (kind `'momentum'`, default 0). */
  weightDecay?: number;
}

/** Losses the replicas can compute. */
export type LossName =
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy'
  | 'meanSquaredError';

/** `workerData` of a replica. */
export interface ReplicaInit {
  index: number;
  model: ModelSource;
  optimizer: OptimizerSpec;
  loss: LossName;
  threads: number;
}

/** Coordinator → replica. */
export type ToReplica =
  | {
      type: 'buffers';
      grads: SharedArrayBuffer;
      average: SharedArrayBuffer;
      losses: SharedArrayBuffer;
    }
  | { type: 'weights'; weights: Float32Array[] }
  | {
      type: 'step';
      x: Float32Array;
      xShape: number[];
      y: Float32Array | Int32Array;
      yShape: number[];
      /** This replica's share of the batch, n_i / N: its loss is scaled by it. */
      scale: number;
    }
  | { type: 'apply' }
  | { type: 'getWeights' };

/** Replica → coordinator. */
export type FromReplica =
  | { type: 'ready'; size: number; weights: Float32Array[]; shapes: number[][] }
  | { type: 'ok' }
  | { type: 'grads' }
  | { type: 'weights'; weights: Float32Array[]; shapes: number[][] }
  | { type: 'error'; message: string };
