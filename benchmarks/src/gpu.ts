// `pnpm bench:gpu` entry point, bundled by scripts/gpu/pack.sh into .devcarry/app.mjs and run on
// the GPU machine by .devcarry/boot.sh (see benchmarks/gpu/README.md). WebGPU must exist before
// tfjs's webgpu backend is imported, and static imports run first: so this module only sets up
// Dawn (bundled from the `webgpu` package; `dawn.node` is found next to the bundle) with
// @se/backends' installNodeWebGPU, and then loads the benchmark itself. Dawn rounds timestamp
// queries down to 65.536 µs by default (a guard against timing attacks in browsers), which would
// blur `--parts profile`'s per-kernel GPU times of kernels that take microseconds: its
// `timestamp_quantization` toggle is turned off.
import { installNodeWebGPU } from '@se/backends';
import * as dawn from 'webgpu';

if (!(await installNodeWebGPU({ dawn, flags: ['disable-dawn-features=timestamp_quantization'] }))) {
  throw new Error('SE Zoo GPU benchmark: Dawn could not be set up');
}
await import('./gpu-run.js');
