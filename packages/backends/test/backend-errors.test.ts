// The messages of setBackend's failures that this machine cannot bring about (a browser, a broken
// tfjs-node, a second copy of tfjs-core, …): each names the backend, says why and what to do.
// backend.test.ts, backend-without-webgpu.test.ts and dawn-output.test.ts reach the others.
import { describe, expect, it } from 'vitest';
import {
  BackendError,
  nothingStarted,
  startFailed,
  tensorflowBroken,
  tensorflowOtherTfjs,
  tensorflowOutsideNode,
  webglOutsideBrowser,
  webgpuImportedTooEarly,
  webgpuWithoutAdapter,
  webgpuWithoutNavigatorGpu,
} from '../src/backend-errors.js';

/** [what failed, the error, what its message must say (beyond the backend's name)]. */
const CASES: [string, BackendError, RegExp[]][] = [
  [
    'webgl outside browsers and Node',
    webglOutsideBrowser(false),
    [/is not available: WebGL exists only in browsers/, /'wasm'/],
  ],
  [
    'webgpu in a browser without navigator.gpu',
    webgpuWithoutNavigatorGpu(true),
    [/this browser has no WebGPU \(navigator\.gpu\)/, /'webgl' or 'wasm'/],
  ],
  [
    'webgpu in another runtime without navigator.gpu',
    webgpuWithoutNavigatorGpu(false),
    [/this runtime has no WebGPU/, /'wasm'/],
  ],
  [
    'webgpu after tfjs-backend-webgpu was imported too early',
    webgpuImportedTooEarly(),
    [/imported before navigator\.gpu existed/, /installNodeWebGPU\(\)/],
  ],
  [
    'webgpu in a browser without an adapter',
    webgpuWithoutAdapter(false),
    [/failed to start: navigator\.gpu gave no adapter/, /'webgl' or 'wasm'/],
  ],
  [
    'webgpu whose adapter gives no device',
    startFailed('webgpu', false),
    [/failed to start: the adapter gave no device/, /'wasm'/],
  ],
  [
    'tensorflow in a browser',
    tensorflowOutsideNode(),
    [/runs only in Node/, /'webgpu', 'webgl' or 'wasm'/],
  ],
  [
    'tensorflow with a tfjs-node that does not load',
    tensorflowBroken('@tensorflow/tfjs-node', 'The specified module could not be found.'),
    [
      /@tensorflow\/tfjs-node is installed but failed to load \(The specified module could not be found\.\)/,
      /npm rebuild @tensorflow\/tfjs-node/,
      /'wasm'/,
    ],
  ],
  [
    'tensorflow registered with another tfjs-core',
    tensorflowOtherTfjs('@tensorflow/tfjs-node-gpu'),
    [/another copy of @tensorflow\/tfjs-core/, /npm ls @tensorflow\/tfjs-core/, /'wasm'/],
  ],
  [
    'wasm in a browser bundle',
    startFailed('wasm', true),
    [/failed to start: tfjs could not load or start its \.wasm binaries/, /wasmPaths/, /'cpu'/],
  ],
  ['wasm in Node', startFailed('wasm', false), [/tfjs-backend-wasm/, /'cpu'/]],
  [
    'webgl in a browser without a WebGL context',
    startFailed('webgl', true),
    [/no usable WebGL context/, /'wasm'/],
  ],
  ['cpu', startFailed('cpu', false), [/failed to start/, /npm ls @tensorflow\/tfjs-core/]],
  ['auto', nothingStarted(), [/not even 'cpu'/, /npm ls @tensorflow\/tfjs-core/]],
];

describe('BackendError messages', () => {
  it.each(CASES)('%s', (_, error, says) => {
    expect(error).toBeInstanceOf(BackendError);
    expect(error.name).toBe('BackendError');
    expect(error.message.startsWith(`backend '${error.backend}' `)).toBe(true);
    for (const pattern of says) expect(error.message).toMatch(pattern);
  });
});
