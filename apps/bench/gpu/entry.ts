// The `se-zoo` CLI as one file for the GPU machine (scripts/gpu/zoo.sh bundles it with esbuild;
// that machine has no Node registry). WebGPU must exist before tfjs's webgpu backend loads, and
// static imports run first, so this module only sets up Dawn (the `webgpu` package, bundled;
// `dawn.node` is found next to the bundle) with @se/backends' installNodeWebGPU, and then starts
// the CLI.
import { installNodeWebGPU } from '@se/backends';
import * as dawn from 'webgpu';

if (!(await installNodeWebGPU({ dawn }))) throw new Error('se-zoo: Dawn could not be set up');
await import('../src/cli.js');
