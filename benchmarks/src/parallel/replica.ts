// A data-parallel replica: runs in a Node worker thread (see data-parallel.ts).
import { parentPort as nodeParentPort, workerData as nodeWorkerData } from 'node:worker_threads';
import { SgdMomentum, setBackend } from '@se/backends';
import * as tf from '@tensorflow/tfjs';
import type { FromReplica, LossName, OptimizerSpec, ReplicaInit, ToReplica } from './protocol.js';

interface Port {
  postMessage(message: FromReplica): void;
  on(event: 'message', listener: (message: ToReplica) => void): void;
}

const parentPort = nodeParentPort as Port | null;
const workerData = nodeWorkerData as ReplicaInit;
if (!parentPort) throw new Error('the SE Zoo replica runs in a worker thread');
const port = parentPort;

function makeOptimizer(spec: OptimizerSpec): tf.Optimizer {
  switch (spec.kind) {
    case 'sgd':
      return tf.train.sgd(spec.learningRate);
    case 'momentum':
      // SE Zoo's SGD with momentum (PyTorch's form; decay on rank ≥ 2 weights where asked).
      return new SgdMomentum({
        learningRate: spec.learningRate,
        momentum: spec.momentum ?? 0.9,
        nesterov: spec.nesterov ?? false,
        weightDecay: spec.weightDecay ?? 0,
      });
    case 'adam':
      return tf.train.adam(spec.learningRate);
  }
}

function lossOf(name: LossName, y: tf.Tensor, p: tf.Tensor): tf.Scalar {
  switch (name) {
    case 'categoricalCrossentropy':
      return tf.mean(tf.metrics.categoricalCrossentropy(y, p)) as tf.Scalar;
    case 'sparseCategoricalCrossentropy': {
      const labels = tf.cast(tf.reshape(y, [-1]), 'int32') as tf.Tensor1D;
      const oneHot = tf.oneHot(labels, p.shape[p.rank - 1] ?? 1);
      return tf.mean(tf.metrics.categoricalCrossentropy(oneHot, p)) as tf.Scalar;
    }
    case 'meanSquaredError':
      return tf.mean(tf.metrics.meanSquaredError(y, p)) as tf.Scalar;
  }
}

async function start(init: ReplicaInit): Promise<void> {
  tf.enableProdMode();
  await setBackend('wasm', { threads: init.threads, quiet: true });
  for (const module of init.model.preload ?? []) await import(module);
  const source = (await import(init.model.module)) as Record<string, unknown>;
  const build = source[init.model.exportName ?? 'default'];
  if (typeof build !== 'function') {
    throw new Error(`${init.model.module} has no function '${init.model.exportName ?? 'default'}'`);
  }
  const model = build(...(init.model.args ?? [])) as tf.LayersModel;
  const optimizer = makeOptimizer(init.optimizer);
  const trainable = model.trainableWeights;
  const sizes = trainable.map((w) => w.shape.reduce((a: number, b) => a * (b ?? 1), 1));
  const size = sizes.reduce((a, b) => a + b, 0);
  const snapshot = () => ({
    weights: model.getWeights().map((w) => w.dataSync() as Float32Array),
    shapes: model.getWeights().map((w) => w.shape),
  });
  let mine = new Float32Array(0) as Float32Array<ArrayBufferLike>;
  let average = new Float32Array(0) as Float32Array<ArrayBufferLike>;
  let losses = new Float32Array(0) as Float32Array<ArrayBufferLike>;

  const handle = (msg: ToReplica): void => {
    switch (msg.type) {
      case 'buffers':
        mine = new Float32Array(msg.grads, init.index * size * 4, size);
        average = new Float32Array(msg.average);
        losses = new Float32Array(msg.losses);
        port.postMessage({ type: 'ok' });
        return;
      case 'weights': {
        const shapes = model.getWeights().map((w) => w.shape);
        model.setWeights(msg.weights.map((w, i) => tf.tensor(w, shapes[i])));
        port.postMessage({ type: 'ok' });
        return;
      }
      case 'step':
        tf.tidy(() => {
          const x = tf.tensor(msg.x, msg.xShape);
          const y = tf.tensor(msg.y, msg.yShape, msg.y instanceof Int32Array ? 'int32' : 'float32');
          const { value, grads } = optimizer.computeGradients(() =>
            tf.mul(
              lossOf(init.loss, y, model.apply(x, { training: true }) as tf.Tensor),
              msg.scale,
            ),
          );
          losses[init.index] = value.dataSync()[0] ?? Number.NaN;
          let offset = 0;
          trainable.forEach((w, i) => {
            const g = grads[w.originalName];
            if (g) mine.set(g.dataSync(), offset);
            else mine.fill(0, offset, offset + (sizes[i] ?? 0));
            offset += sizes[i] ?? 0;
          });
        });
        port.postMessage({ type: 'grads' });
        return;
      case 'apply':
        tf.tidy(() => {
          const named: Record<string, tf.Tensor> = {};
          let offset = 0;
          trainable.forEach((w, i) => {
            const n = sizes[i] ?? 0;
            named[w.originalName] = tf.tensor(
              average.slice(offset, offset + n),
              w.shape as number[],
            );
            offset += n;
          });
          optimizer.applyGradients(
            named as unknown as Parameters<tf.Optimizer['applyGradients']>[0],
          );
        });
        return;
      case 'getWeights':
        port.postMessage({ type: 'weights', ...snapshot() });
        return;
    }
  };
  port.on('message', (msg) => {
    try {
      handle(msg);
    } catch (e) {
      port.postMessage({ type: 'error', message: (e as Error).message });
    }
  });
  port.postMessage({ type: 'ready', size, ...snapshot() });
}

try {
  await start(workerData);
} catch (e) {
  port.postMessage({ type: 'error', message: (e as Error).message });
}
