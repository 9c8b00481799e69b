// The `se-zoo` CLI as one file for the GPU machine (scripts/gpu/zoo.sh bundles it with esbuild;
// that machine has no Node registry). WebGPU must exist before tfjs's webgpu backend loads, and
// static imports run first, so this module only sets up Dawn (the `webgpu` package, bundled;
// `dawn.node` is found next to the bundle) and then starts the CLI.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
Object.defineProperty(globalThis, 'navigator', {
  value: { gpu: create([]) },
  configurable: true,
  writable: true,
});
await import('../src/cli.js');
