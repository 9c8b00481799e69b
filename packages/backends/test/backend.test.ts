import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BackendError,
  type BackendName,
  installNodeWebGPU,
  registerWasmKernels,
  setBackend,
  unregisterWasmKernels,
  WASM_KERNELS,
  webgpuAdapterAvailable,
} from '../src/index.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('setBackend', () => {
  it("'auto' in Node without tfjs-node picks wasm, multi-threaded, and says so", async () => {
    const lines: string[] = [];
    const info = await setBackend('auto', { log: (line) => lines.push(line) });
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.dtype).toBe('float32');
    expect(info.simd).toBe(true);
    expect(info.threads).toBe(Math.min(availableParallelism(), 8));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^SE Zoo backend: wasm on .+ \(float32, \d+ threads?, SIMD\)$/);
  });
  it('switches between backends', async () => {
    expect((await setBackend('cpu', { quiet: true })).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await setBackend('wasm', { quiet: true })).name).toBe('wasm');
  });
  it("'webgpu' in Node sets up Dawn itself", async () => {
    if ((await installNodeWebGPU()) && (await webgpuAdapterAvailable())) {
      const info = await setBackend('webgpu', { quiet: true });
      expect(info.name).toBe('webgpu');
      expect(info.device).toMatch(/^WebGPU/);
    }
  });
});

describe('setBackend errors name the backend, say why it cannot be had and what to use', () => {
  const rejection = (name: string) =>
    setBackend(name as BackendName, { quiet: true }).then(
      () => expect.unreachable(`setBackend('${name}') succeeded`),
      (error: unknown) => {
        expect(error).toBeInstanceOf(BackendError);
        expect((error as BackendError).backend).toBe(name);
        return (error as BackendError).message;
      },
    );

  it("'webgl' in Node: WebGL exists only in browsers; the Node backends instead", async () => {
    const message = await rejection('webgl');
    expect(message).toMatch(/^backend 'webgl' is not available: WebGL exists only in browsers/);
    for (const other of ['wasm', 'cpu', 'webgpu', 'tensorflow', 'auto']) {
      expect(message).toContain(`'${other}'`);
    }
    expect(tf.getBackend()).not.toBe('webgl');
  });
  it("'tensorflow' without tfjs-node: which packages, how to install one, or wasm", async () => {
    const message = await rejection('tensorflow');
    expect(message).toMatch(
      /^backend 'tensorflow' is not available: it needs @tensorflow\/tfjs-node .*neither is installed/,
    );
    expect(message).toMatch(/npm install @tensorflow\/tfjs-node/);
    expect(message).toMatch(/'wasm'/);
  });
  it('unknown names: the name and the choices', async () => {
    expect(await rejection('metal')).toBe(
      "unknown backend 'metal': choose 'auto' (the fastest available), 'wasm', 'webgpu', 'webgl', 'cpu' or 'tensorflow'.",
    );
  });
});

describe('multi-threaded wasm in a script of its own', () => {
  it('lets Node exit when the script is done (the idle XNNPACK threads hold nothing)', () => {
    // The built package, as a user's script imports it (the backends tests run after its build).
    const entry = new URL('../dist/index.js', import.meta.url).href;
    const script = `
      import * as tf from '@tensorflow/tfjs';
      import { setBackend } from '${entry}';
      const info = await setBackend('wasm', { quiet: true, threads: 2 });
      const y = tf.conv2d(tf.ones([1, 8, 8, 4]), tf.ones([3, 3, 4, 2]), 1, 'valid');
      console.log(info.threads, (await y.data())[0]);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('..', import.meta.url),
      encoding: 'utf8',
      timeout: 60_000, // a hang would otherwise be the test runner's problem
    });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe('2 36'); // 3·3·4 ones
  });
});

describe('the wasm kernels', () => {
  it('are registered, and unregistering restores the stock set', async () => {
    await setBackend('wasm', { quiet: true });
    const names = WASM_KERNELS.map((k) => k.kernelName);
    expect(names).toEqual(
      expect.arrayContaining([
        'Conv2DBackpropFilter',
        'Conv2DBackpropInput',
        'DepthwiseConv2dNativeBackpropFilter',
        'DepthwiseConv2dNativeBackpropInput',
        'MaxPoolGrad',
        'AvgPoolGrad',
      ]),
    );
    const filterGrad = () =>
      tf.tidy(() =>
        tf.grad((w: tf.Tensor) =>
          tf.sum(tf.conv2d(tf.ones([1, 4, 4, 2]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')),
        )(tf.ones([3, 3, 2, 2])),
      );
    expect(filterGrad().shape).toEqual([3, 3, 2, 2]);
    unregisterWasmKernels();
    // Stock tfjs 4.22's wasm backend cannot train a convolution.
    expect(filterGrad).toThrow(/Conv2DBackpropFilter/);
    registerWasmKernels();
    registerWasmKernels();
    expect(filterGrad().shape).toEqual([3, 3, 2, 2]);
  });
});
