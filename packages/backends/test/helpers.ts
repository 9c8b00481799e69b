import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { installNodeWebGPU, setBackend, webgpuAdapterAvailable } from '../src/index.js';

/** Switches to SE Zoo's wasm backend (the shared setup starts every file on `cpu`). */
export async function useWasm(): Promise<void> {
  await setBackend('wasm', { quiet: true });
}

/** Deterministic pseudo-random data in [-1, 1). */
export function data(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Random input tensors of the given shapes (seeded by position). */
export function inputs(shapes: number[][], seed = 1): { shape: number[]; values: Float32Array }[] {
  return shapes.map((shape, i) => ({
    shape,
    values: data(
      shape.reduce((a, b) => a * b, 1),
      seed * 31 + i,
    ),
  }));
}

/**
 * The value and gradients of `Σ f(xs) · r` (r fixed random weights, so that the output
 * gradient is not all ones) with respect to every input, on a backend.
 */
export async function gradsOn(
  backend: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  xs: { shape: number[]; values: Float32Array }[],
): Promise<{ value: Float32Array; grads: Float32Array[] }> {
  const previous = tf.getBackend();
  if (backend === 'wasm') await useWasm();
  else await tf.setBackend(backend);
  try {
    return tf.tidy(() => {
      const tensors = xs.map(({ shape, values }) => tf.tensor(values, shape));
      const y = f(...tensors);
      const r = tf.tensor(data(y.size, 99), y.shape);
      const loss = (...args: tf.Tensor[]) => tf.sum(tf.mul(f(...args), r));
      const grads = tf.grads(loss)(tensors);
      return {
        value: y.dataSync() as Float32Array,
        grads: grads.map((g) => g.dataSync() as Float32Array),
      };
    });
  } finally {
    if (previous === 'wasm') await useWasm();
    else await tf.setBackend(previous);
  }
}

/** Max |a − b| relative to the largest |b| (at least 1). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return err / scale;
}

/** Expects the value and every gradient of `f` on wasm to match the `cpu` backend's. */
export async function expectSameAsCpu(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  shapes: number[][],
  tolerance = 1e-4,
  reference: (...xs: tf.Tensor[]) => tf.Tensor = f,
): Promise<void> {
  const xs = inputs(shapes);
  const wasm = await gradsOn('wasm', f, xs);
  const cpu = await gradsOn('cpu', reference, xs);
  expect(relativeError(wasm.value, cpu.value)).toBeLessThan(tolerance);
  wasm.grads.forEach((g, i) => {
    expect(relativeError(g, cpu.grads[i] as Float32Array), `gradient ${i}`).toBeLessThan(tolerance);
  });
}

/**
 * Why the WebGPU tests cannot run here, or null where they can: they need the optional `webgpu`
 * package (Dawn) and an adapter (in CI, Mesa's lavapipe; scripts/lib/setup.sh installs it).
 */
export async function webgpuSkipReason(file: string): Promise<string | null> {
  let reason: string | null = null;
  if (!(await installNodeWebGPU()))
    reason = "the optional 'webgpu' package (Dawn) is not installed";
  else if (!(await webgpuAdapterAvailable())) {
    reason =
      'Dawn found no WebGPU adapter (no GPU and no Vulkan driver: install mesa-vulkan-drivers from bookworm-backports, see scripts/lib/setup.sh)';
  }
  if (reason) console.warn(`${file}: SKIPPED, ${reason}`);
  return reason;
}
