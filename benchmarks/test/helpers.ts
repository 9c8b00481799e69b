import { installNodeWebGPU, setBackend, webgpuAdapterAvailable } from '@se/backends';
import { expect } from 'vitest';

/** Switches to SE Zoo's wasm backend (the shared setup starts every file on `cpu`). */
export async function useWasm(): Promise<void> {
  await setBackend('wasm', { quiet: true });
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

/**
 * Why the WebGPU tests cannot run here, or null where they can: they need the optional `webgpu`
 * package (Dawn) and an adapter (in CI, Mesa's lavapipe; scripts/lib/setup.sh installs it).
 */
export async function webgpuSkipReason(file: string): Promise<string | null> {
  let reason: string | null = null;
  if (!(await installNodeWebGPU()))
    reason = "the optional 'webgpu' package (Dawn) is not installed";
  else if (!(await webgpuAdapterAvailable())) reason = 'Dawn found no WebGPU adapter';
  if (reason) console.warn(`${file}: SKIPPED, ${reason}`);
  return reason;
}
