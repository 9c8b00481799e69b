// `pnpm bench:gpu` entry point, bundled by scripts/gpu/pack.sh into .devcarry/app.mjs and run on
// the GPU machine by .devcarry/boot.sh (see benchmarks/gpu/README.md). WebGPU must exist before
// tfjs's webgpu backend is imported, and static imports run first: so this module only sets up
// Dawn (bundled from the `webgpu` package; `dawn.node` is found next to the bundle) and then
// loads the benchmark itself. Dawn rounds timestamp queries down to 65.536 µs by default (a guard
// against timing attacks in browsers), which would blur `--parts profile`'s per-kernel GPU times
// of kernels that take microseconds: its `timestamp_quantization` toggle is turned off.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
Object.defineProperty(globalThis, 'navigator', {
  value: { gpu: create(['disable-dawn-features=timestamp_quantization']) },
  configurable: true,
  writable: true,
});
await import('./gpu-run.js');
