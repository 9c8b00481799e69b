import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BatchNorm,
  conv2d,
  exportPyTorchWeights,
  exportPyTorchWeightsAsync,
  fileSystem,
  GroupedConv2D,
  loadPyTorchWeights,
  type MapsTorchWeights,
  mapsTorchWeights,
  permuteAxes,
  readSafetensors,
  SqueezeExcite,
  toFloat32,
  torchStateDictMapping,
} from '../src/index.js';

describe('permuteAxes', () => {
  it('transposes a 2×3 matrix', () => {
    const m = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(permuteAxes(m, [2, 3], [1, 0]))).toEqual([1, 4, 2, 5, 3, 6]);
  });
  it('turns an HWIO kernel into OIHW', () => {
    // HWIO [1, 2, 2, 3]: value = 100·w + 10·i + o.
    const hwio = Float32Array.from({ length: 12 }, (_, n) => {
      const [w, i, o] = [Math.floor(n / 6), Math.floor(n / 3) % 2, n % 3];
      return 100 * w + 10 * i + o;
    });
    // OIHW [3, 2, 1, 2] lists, for each o and i, the values for w = 0, 1.
    expect(Array.from(permuteAxes(hwio, [1, 2, 2, 3], [3, 2, 0, 1]))).toEqual([
      0, 100, 10, 110, 1, 101, 11, 111, 2, 102, 12, 112,
    ]);
  });
});

describe('PyTorch layouts of the core layers', () => {
  it('maps a conv, a BN, an SE block and a dense layer to PyTorch shapes and values', async () => {
    const input = tf.input({ shape: [4, 4, 2] });
    let x = conv2d(input, { name: 'conv', filters: 3, kernelSize: 3, useBias: true });
    x = new BatchNorm({ name: 'bn' }).apply(x) as tf.SymbolicTensor;
    x = new SqueezeExcite({ name: 'se', reduction: 3 }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 2, name: 'fc' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: x });
    expect(torchStateDictMapping(model).map((m) => [m.key, m.torchShape])).toEqual([
      ['conv.weight', [3, 2, 3, 3]],
      ['conv.bias', [3]],
      ['bn.weight', [3]],
      ['bn.bias', [3]],
      ['bn.running_mean', [3]],
      ['bn.running_var', [3]],
      ['bn.num_batches_tracked', []],
      ['se.fc1.weight', [1, 3, 1, 1]],
      ['se.fc1.bias', [1]],
      ['se.fc2.weight', [3, 1, 1, 1]],
      ['se.fc2.bias', [3]],
      ['fc.weight', [2, 48]],
      ['fc.bias', [2]],
    ]);
    const bytes = exportPyTorchWeights(model);
    // The asynchronous export (for WebGPU in Node) writes the same bytes.
    expect(Buffer.from(await exportPyTorchWeightsAsync(model)).equals(Buffer.from(bytes))).toBe(
      true,
    );
    const file = readSafetensors(bytes);
    // PyTorch's fc.weight[o][i] is tfjs's kernel[i][o].
    const kernel = model.getLayer('fc').getWeights()[0]?.arraySync() as number[][];
    const torch = toFloat32(file.tensors.get('fc.weight') as never);
    expect(torch[1 * 48 + 5]).toBe(kernel[5]?.[1]);
    // Loading PyTorch values puts the running statistics into the moving statistics.
    const tensors = file.tensors;
    tensors.set('bn.running_var', {
      dtype: 'F32',
      shape: [3],
      data: Float32Array.from([4, 5, 6]),
      bytes: new Uint8Array(12),
    } as never);
    loadPyTorchWeights(model, tensors);
    expect(Array.from(model.getLayer('bn').getWeights()[3]?.dataSync() ?? [])).toEqual([4, 5, 6]);
  });
});

describe('PyTorch mapping by interface', () => {
  it("SE Zoo's layers map their own weights; tfjs's built-in layers do not need to", () => {
    expect(mapsTorchWeights(new BatchNorm())).toBe(true);
    expect(mapsTorchWeights(new SqueezeExcite())).toBe(true);
    expect(mapsTorchWeights(new GroupedConv2D({ filters: 4, kernelSize: 1, groups: 2 }))).toBe(
      true,
    );
    expect(mapsTorchWeights(tf.layers.conv2d({ filters: 4, kernelSize: 1 }))).toBe(false);
  });

  it('maps a subclass of GroupedConv2D and a depthwise convolution', () => {
    class Wide extends GroupedConv2D {}
    const input = tf.input({ shape: [4, 4, 4] });
    let x = new Wide({ name: 'g', filters: 6, kernelSize: 3, groups: 2, useBias: true }).apply(
      input,
    ) as tf.SymbolicTensor;
    x = tf.layers
      .depthwiseConv2d({ name: 'dw', kernelSize: 1, depthMultiplier: 2 })
      .apply(x) as tf.SymbolicTensor;
    const mapping = torchStateDictMapping(tf.model({ inputs: input, outputs: x }));
    expect(mapping.map((m) => [m.key, m.torchShape])).toEqual([
      ['g.weight', [6, 2, 3, 3]],
      ['g.bias', [6]],
      ['dw.weight', [12, 1, 1, 1]],
      ['dw.bias', [12]],
    ]);
  });

  it("maps a family's own layer through torchWeights()", () => {
    class Scale extends tf.layers.Layer implements MapsTorchWeights {
      static className = 'TestScale';
      override build(): void {
        this.addWeight('alpha', [1, 3], 'float32', tf.initializers.ones());
        this.built = true;
      }
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
        return tf.mul(x, this.weights[0]?.read() as tf.Tensor);
      }
      torchWeights() {
        return [{ suffix: 'alpha', weightIndex: 0, toTorch: [1, 0] }];
      }
    }
    const input = tf.input({ shape: [3] });
    const model = tf.model({
      inputs: input,
      outputs: new Scale({ name: 'scale' }).apply(input) as tf.SymbolicTensor,
    });
    expect(torchStateDictMapping(model).map((m) => [m.key, m.torchShape])).toEqual([
      ['scale.alpha', [3, 1]],
    ]);
  });

  it('refuses a layer with weights and no mapping, naming the layer and its class', () => {
    class Mystery extends tf.layers.Layer {
      static className = 'TestMystery';
      override build(): void {
        this.addWeight('w', [2], 'float32', tf.initializers.ones());
        this.built = true;
      }
    }
    const input = tf.input({ shape: [2] });
    const model = tf.model({
      inputs: input,
      outputs: new Mystery({ name: 'odd' }).apply(input) as tf.SymbolicTensor,
    });
    expect(() => torchStateDictMapping(model)).toThrow(
      "No PyTorch mapping for layer 'odd' of class TestMystery",
    );
  });
});

describe('fileSystem IO handler', () => {
  let dir = '';
  afterAll(() => rm(dir, { recursive: true, force: true }));
  it('writes model.json and weights.bin and names a broken model.json', async () => {
    dir = await mkdtemp(join(tmpdir(), 'se-zoo-io-'));
    const input = tf.input({ shape: [3] });
    const model = tf.model({
      inputs: input,
      outputs: tf.layers.dense({ units: 2, name: 'd' }).apply(input) as tf.SymbolicTensor,
    });
    const result = await model.save(fileSystem(join(dir, 'm')));
    expect(result.modelArtifactsInfo.weightDataBytes).toBe((3 * 2 + 2) * 4);
    const loaded = await tf.loadLayersModel(fileSystem(join(dir, 'm')));
    expect(Array.from(loaded.getWeights()[0]?.dataSync() ?? [])).toEqual(
      Array.from(model.getWeights()[0]?.dataSync() ?? []),
    );
    await writeFile(join(dir, 'broken.json'), '{ not json');
    await expect(tf.loadLayersModel(fileSystem(join(dir, 'broken.json')))).rejects.toThrow(
      `fileSystem: ${join(dir, 'broken.json')} is not a tfjs model.json`,
    );
  });
});
