// Without the optional `webgpu` package (Dawn) in Node, or with one that fails to load, 'webgpu'
// is an error that says what to install, and 'auto' does not consider WebGPU. Dawn is mocked away
// here: it is a devDependency.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BackendError, setBackend } from '../src/index.js';
import type { NodeWebGPUProblem } from '../src/webgpu/dawn.js';

const dawn = vi.hoisted(() => ({
  problem: {
    missing: true,
    reason: "the optional 'webgpu' package that ships it is not installed",
  } as NodeWebGPUProblem,
}));

vi.mock('../src/webgpu/dawn.js', () => ({
  installNodeWebGPU: async () => false,
  nodeWebGPUProblem: () => dawn.problem,
  setUpHardwareWebGPU: async () => false,
  webgpuAdapterAvailable: async () => false,
  webgpuHardwareAvailable: async () => false,
}));

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('setBackend without Dawn', () => {
  it("'webgpu' says Dawn is missing and how to install it, or what to use instead", async () => {
    const error = await setBackend('webgpu', { quiet: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).backend).toBe('webgpu');
    expect((error as BackendError).message).toBe(
      "backend 'webgpu' is not available: in Node, WebGPU comes from Dawn, and the optional " +
        "'webgpu' package that ships it is not installed. Install it in your project " +
        "(npm install webgpu), or use 'wasm', 'cpu' or 'tensorflow'; 'auto' picks the fastest one available.",
    );
  });
  it("'webgpu' with a package that fails to load says so, with the cause", async () => {
    dawn.problem = {
      missing: false,
      reason:
        "the 'webgpu' package that ships it is installed but failed to load (libvulkan.so.1: cannot open shared object file)",
    };
    await expect(setBackend('webgpu', { quiet: true })).rejects.toThrow(
      /failed to load \(libvulkan\.so\.1: .*\)\. Reinstall it for this platform \(npm install webgpu\), or use 'wasm'/,
    );
  });
  it("'auto' falls through to wasm", async () => {
    expect((await setBackend('auto', { quiet: true })).name).toBe('wasm');
  });
});
