// The GPU probes of setBackend('auto') in browsers (src/gpu-probe.ts), on stand-ins for
// navigator.gpu and a canvas: SwiftShader and llvmpipe are software GPUs, passed over for wasm;
// failed starts are quiet. apps/demo/test checks the real thing in headless Chromium.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type CanvasLike,
  type GpuLike,
  probeWebGL,
  probeWebGPU,
  SOFTWARE_GPU,
  withQuietConsole,
} from '../src/gpu-probe.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** A navigator.gpu whose adapter has `info` (null: no adapter). */
function gpu(info: object | null, extra: object = {}): GpuLike {
  return { requestAdapter: async () => (info === null ? null : { info, ...extra }) };
}

describe('probeWebGPU', () => {
  it('without navigator.gpu or an adapter: unavailable, saying why', async () => {
    expect(await probeWebGPU(undefined)).toMatchObject({
      available: false,
      reason: 'no navigator.gpu',
    });
    expect(await probeWebGPU(gpu(null))).toMatchObject({
      available: false,
      reason: 'no WebGPU adapter',
    });
    const failing: GpuLike = {
      requestAdapter: async () => {
        throw new Error('WebGPU is disabled');
      },
    };
    expect(await probeWebGPU(failing)).toMatchObject({
      available: false,
      reason: 'WebGPU is disabled',
    });
  });

  it("Chrome's SwiftShader adapter and fallback adapters are software", async () => {
    const swiftshader = await probeWebGPU(
      gpu({ vendor: 'google', architecture: 'swiftshader', description: '' }),
    );
    expect(swiftshader).toEqual({
      available: true,
      software: true,
      description: 'google swiftshader',
    });
    expect(
      await probeWebGPU(gpu({ vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)' })),
    ).toMatchObject({ software: true });
    expect(await probeWebGPU(gpu({ vendor: 'x' }, { isFallbackAdapter: true }))).toMatchObject({
      software: true,
    });
    expect(await probeWebGPU(gpu({ vendor: 'x', isFallbackAdapter: true }))).toMatchObject({
      software: true,
    });
  });

  it('a hardware adapter is not, its info read from requestAdapterInfo() in older browsers', async () => {
    const older: GpuLike = {
      requestAdapter: async () => ({
        requestAdapterInfo: async () => ({ vendor: 'nvidia', architecture: 'ampere' }),
      }),
    };
    expect(await probeWebGPU(older)).toEqual({
      available: true,
      software: false,
      description: 'nvidia ampere',
    });
    expect(
      await probeWebGPU(gpu({ vendor: 'apple', architecture: 'metal-3', description: 'Apple M2' })),
    ).toMatchObject({ available: true, software: false });
  });
});

const RENDERER = 0x1f01;
const VENDOR = 0x1f00;
const UNMASKED_RENDERER = 0x9246;
const UNMASKED_VENDOR = 0x9245;

/** A canvas whose WebGL context reports `renderer` (null: no context), and what it was asked. */
function canvas(renderer: string | null, debugInfo = true) {
  const asked: string[] = [];
  let lost = false;
  const gl = {
    RENDERER,
    VENDOR,
    getExtension(name: string) {
      if (name === 'WEBGL_debug_renderer_info' && debugInfo) {
        return {
          UNMASKED_RENDERER_WEBGL: UNMASKED_RENDERER,
          UNMASKED_VENDOR_WEBGL: UNMASKED_VENDOR,
        };
      }
      if (name === 'WEBGL_lose_context') return { loseContext: () => (lost = true) };
      return null;
    },
    getParameter(id: number) {
      if (id === UNMASKED_RENDERER) return renderer;
      if (id === UNMASKED_VENDOR) return 'Google Inc. (Google)';
      return id === RENDERER ? 'WebKit WebGL' : 'WebKit';
    },
  };
  const element: CanvasLike = {
    getContext(kind: string) {
      asked.push(kind);
      return renderer === null ? null : gl;
    },
  };
  return { element, asked, lost: () => lost };
}

describe('probeWebGL', () => {
  it('without a context: unavailable, after asking for WebGL 2 then 1', () => {
    const c = canvas(null);
    expect(probeWebGL(c.element)).toMatchObject({ available: false, reason: 'no WebGL context' });
    expect(c.asked).toEqual(['webgl2', 'webgl']);
    expect(probeWebGL(null)).toMatchObject({ available: false });
  });

  it("headless Chrome's SwiftShader renderer is software; the context is released", () => {
    const c = canvas(
      'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)',
    );
    expect(probeWebGL(c.element)).toMatchObject({ available: true, software: true });
    expect(c.lost()).toBe(true);
    expect(probeWebGL(canvas('llvmpipe (LLVM 15.0.7, 256 bits)').element).software).toBe(true);
  });

  it('a hardware renderer is not', () => {
    const c = canvas('ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0, D3D11)');
    expect(probeWebGL(c.element)).toEqual({
      available: true,
      software: false,
      description: 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0, D3D11)',
    });
    expect(c.lost()).toBe(true);
    // Without WEBGL_debug_renderer_info, the masked renderer (not known to be software).
    expect(probeWebGL(canvas('unused', false).element)).toMatchObject({
      software: false,
      description: 'WebKit WebGL',
    });
  });

  it('knows the software GPUs by name', () => {
    for (const name of [
      'SwiftShader',
      'llvmpipe',
      'lavapipe',
      'softpipe',
      'Microsoft Basic Render Driver',
    ]) {
      expect(SOFTWARE_GPU.test(name), name).toBe(true);
    }
    for (const name of [
      'NVIDIA GeForce RTX 4090',
      'Apple M2',
      'AMD Radeon',
      'Intel(R) UHD Graphics',
    ]) {
      expect(SOFTWARE_GPU.test(name), name).toBe(false);
    }
  });
});

describe('withQuietConsole', () => {
  it('drops what a failed start logged (the stack trace tfjs logs), and logs it after a success', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const failed = await withQuietConsole(async () => {
      console.warn('Initialization of backend webgpu failed');
      console.warn('Error: no adapter\n    at WebGPUBackend…');
      console.error('boom');
      return false;
    });
    expect(failed).toBe(false);
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
    const started = await withQuietConsole(async () => {
      console.warn('a tfjs note');
      return true;
    });
    expect(started).toBe(true);
    expect(warn).toHaveBeenCalledWith('a tfjs note');
    // The console is itself again, even after a start that throws.
    await expect(
      withQuietConsole(async () => {
        throw new Error('thrown');
      }),
    ).rejects.toThrow('thrown');
    console.warn('after');
    expect(warn).toHaveBeenLastCalledWith('after');
  });
});
