// The relaxed-SIMD build of SE Zoo's kernels (fused multiply-adds: what Node ≥ 22 and Chrome
// run) computes the same convolutions as plain loops. CI's Node 20 needs V8's flag for it, which
// only a separate process can set before compiling, hence the child process.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { NATIVE_BINARIES } from '../src/wasm/native/binaries.js';

it('the relaxed-SIMD build validates and its convolution and filter gradient match loops', () => {
  const fixture = fileURLToPath(new URL('./fixtures/relaxed-kernels.mjs', import.meta.url));
  const run = spawnSync(process.execPath, [fixture], {
    input: NATIVE_BINARIES.relaxed,
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  const result = JSON.parse(run.stdout) as { validated: boolean; forward: number; filter: number };
  expect(result.validated).toBe(true);
  expect(result.forward).toBeLessThan(1e-5);
  expect(result.filter).toBeLessThan(1e-5);
});
