// SE Zoo's WebAssembly kernels on tfjs's single-threaded wasm build (unshared memory).
import { describe } from 'vitest';
import { nativeSuite } from './native-suite.js';

describe("SE Zoo's WebAssembly kernels, one thread", () => nativeSuite(1));
