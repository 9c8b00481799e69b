// SGD with momentum on webgpu (@se/backends' sgdMomentumUpdate): the update of one weight in two
// dispatches, where the composite form takes six (plus a scalar upload per `tf.mul(x, number)`).
//
// Why two and not one: tfjs-webgpu's runWebGPUProgram binds exactly one writable buffer (its
// `result`; the inputs are read-only), and every tensor owns a buffer of its own. One dispatch
// could only write both results into a [2, n] buffer, which tfjs-webgpu's Slice then copies out
// (no zero-copy slices): three dispatches and two copies. So the first program writes the new
// velocity, and the second reads it back to write the new weight: no copy, no recomputation, and
// the weight moves by exactly the velocity that is stored, as in the composite form.
import * as tf from '@tensorflow/tfjs';
import type { SgdMomentumOptions } from '../sgd.js';
import { asWebGPU, type WebGPUProgramLike } from './program.js';

/** Threads per workgroup, one element each. */
const WG = 128;

/** An elementwise program over n elements, the weight's shape flattened (one shader for all). */
abstract class ElementwiseProgram implements WebGPUProgramLike {
  abstract shaderKey: string;
  abstract variableNames: string[];
  readonly outputShape: number[];
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  // `uniforms.size`: the element count, for the bounds check.
  size = true;
  abstract uniforms: string;

  constructor(n: number) {
    this.outputShape = [n];
    // tfjs-webgpu folds an x over the device's limit into a 2-D or 3-D grid, and numbers the
    // threads across it (getGlobalIndex).
    this.dispatch = [Math.ceil(n / WG), 1, 1];
  }

  abstract getUserCode(): string;
}

/** v ← μ·v + (g + λ·w), the decay term only when λ ≠ 0 (as the composite form skips it). */
class VelocityProgram extends ElementwiseProgram {
  shaderKey = 'seSgdMomentumVelocity';
  variableNames = ['w', 'v', 'g'];
  uniforms = 'momentum : f32, decay : f32,';

  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
  var d = g[index];
  if (uniforms.decay != 0.0) { d = d + w[index] * uniforms.decay; }
  result[index] = v[index] * uniforms.momentum + d;
}`;
  }
}

/** w ← w − η·v, v the new velocity. */
class ValueProgram extends ElementwiseProgram {
  shaderKey = 'seSgdMomentumValue';
  variableNames = ['w', 'v'];
  uniforms = 'learningRate : f32,';

  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
  result[index] = w[index] - v[index] * uniforms.learningRate;
}`;
  }
}

/** The kernel `SEZooSgdMomentum`: inputs value, velocity, grad; outputs [value, velocity]. */
export function sgdMomentum(args: {
  inputs: { value: tf.TensorInfo; velocity: tf.TensorInfo; grad: tf.TensorInfo };
  backend: unknown;
  attrs: SgdMomentumOptions;
}): tf.TensorInfo[] {
  const backend = asWebGPU(args.backend);
  const { value, velocity, grad } = args.inputs;
  const { learningRate, momentum, weightDecay } = args.attrs;
  const n = tf.util.sizeFromShape(value.shape);
  // Every operand as a flat [n] view of its buffer (a TensorInfo is only a dataId with a shape),
  // so that one compiled shader per program serves weights of every rank and size.
  const flat = (t: tf.TensorInfo): tf.TensorInfo => ({ ...t, shape: [n] });
  const newVelocity = backend.makeTensorInfo(value.shape, 'float32');
  const newValue = backend.makeTensorInfo(value.shape, 'float32');
  backend.runWebGPUProgram(
    new VelocityProgram(n),
    [flat(value), flat(velocity), flat(grad)],
    'float32',
    [
      { type: 'float32', data: [momentum] },
      { type: 'float32', data: [weightDecay] },
    ],
    flat(newVelocity),
  );
  backend.runWebGPUProgram(
    new ValueProgram(n),
    [flat(value), flat(newVelocity)],
    'float32',
    [{ type: 'float32', data: [learningRate] }],
    flat(newValue),
  );
  return [newValue, newVelocity];
}
