// Without the optional `webgpu` package (Dawn) in Node, 'webgpu' is an error that says what to
// install, and 'auto' does not consider WebGPU. Dawn is mocked away here: it is a devDependency.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { setBackend } from '../src/index.js';

vi.mock('../src/webgpu/dawn.js', () => ({
  installNodeWebGPU: async () => false,
  webgpuAdapterAvailable: async () => false,
  webgpuHardwareAvailable: async () => false,
}));

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('setBackend without Dawn', () => {
  it("'webgpu' explains what to install", async () => {
    await expect(setBackend('webgpu', { quiet: true })).rejects.toThrow(
      /needs WebGPU \(navigator\.gpu\).*npm install webgpu/,
    );
  });
  it("'auto' falls through to wasm", async () => {
    expect((await setBackend('auto', { quiet: true })).name).toBe('wasm');
  });
});
