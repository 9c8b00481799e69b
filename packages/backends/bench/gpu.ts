// `pnpm bench:gpu` entry point, bundled by scripts/gpu/pack.sh into .devcarry/app.mjs and run on
// the GPU machine by .devcarry/boot.sh (see benchmarks/gpu/README.md). WebGPU must exist before
// tfjs's webgpu backend is imported, and static imports run first: so this module only sets up
// Dawn (bundled from the `webgpu` package; `dawn.node` is found next to the bundle) and then
// loads the benchmark itself.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
Object.defineProperty(globalThis, 'navigator', {
  value: { gpu: create([]) },
  configurable: true,
  writable: true,
});
await import('./gpu-run.js');
