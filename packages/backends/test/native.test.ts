// SE Zoo's WebAssembly kernels on tfjs's threaded wasm build: shared memory, two threads.
import { describe } from 'vitest';
import { nativeSuite } from './native-suite.js';

describe("SE Zoo's WebAssembly kernels, two threads", () => nativeSuite(2));
