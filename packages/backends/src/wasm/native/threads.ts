// Worker threads for SE Zoo's WebAssembly kernels in Node. With tfjs's threaded wasm build the
// backend's memory is shared, so a worker can instantiate the same kernels on the same memory and
// compute part of a call in place: the main thread hands out the parts through a small shared
// control block (Atomics), computes its own part, and waits for the others.
import { importOptional, isNode } from '../../node.js';
import type { KernelPool, NativeKernels, PartFunction } from './types.js';

const MAX_ARGS = 24;
// Control block (int32): [generation, then per worker: ready, done, failed, function, args…].
const SLOT = 4 + MAX_ARGS;
const FUNCTIONS: PartFunction[] = [
  'pack_panels',
  'conv_gemm',
  'conv_filter_grad',
  'channel_binary',
  'sum_rows',
  'sgd_momentum',
];

// The worker's source for `new Worker(…, { eval: true })`: a dynamic import, so that it runs as
// CommonJS and as a module (a parent started with --input-type=module passes that on).
const WORKER_SOURCE = `
import('node:worker_threads').then(({ workerData }) => {
  const { module, memory, control, index, functions } = workerData;
  const ctl = new Int32Array(control);
  const base = 1 + index * ${SLOT};
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  // Read the generation before saying ready: every call made after that is newer.
  let seen = Atomics.load(ctl, 0);
  Atomics.store(ctl, base, 1);
  for (;;) {
    Atomics.wait(ctl, 0, seen);
    const generation = Atomics.load(ctl, 0);
    if (generation === seen) continue;
    seen = generation;
    const fn = ctl[base + 3];
    if (fn < 0) continue;
    try {
      exports[functions[fn]](...Array.from(ctl.subarray(base + 4, base + ${SLOT})));
    } catch (error) {
      Atomics.store(ctl, base + 2, 1);
    }
    Atomics.store(ctl, base + 1, generation);
    Atomics.notify(ctl, base + 1);
  }
});
`;

interface WorkerLike {
  unref(): void;
}

/** The worker threads of one backend's kernels. */
export class KernelThreads implements KernelPool {
  private readonly ctl: Int32Array;
  private readonly workers: WorkerLike[] = [];

  private constructor(
    private readonly kernels: NativeKernels,
    readonly count: number,
    start: (source: string, data: unknown) => WorkerLike,
  ) {
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * (1 + (count - 1) * SLOT)));
    for (let index = 0; index < count - 1; index++) {
      const worker = start(WORKER_SOURCE, {
        module: kernels.module,
        memory: kernels.memory,
        control: this.ctl.buffer,
        index,
        functions: FUNCTIONS,
      });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /**
   * Worker threads for `kernels` (the main thread included in `count`), or null where they
   * cannot run: one thread, unshared memory, no `node:worker_threads`.
   */
  static async start(kernels: NativeKernels, count: number): Promise<KernelThreads | null> {
    if (count < 2 || !kernels.shared || !isNode()) return null;
    let Worker: new (source: string, options: object) => WorkerLike;
    try {
      ({ Worker } = (await importOptional('node:worker_threads')) as {
        Worker: typeof Worker;
      });
    } catch {
      return null;
    }
    return new KernelThreads(
      kernels,
      count,
      (source, workerData) => new Worker(source, { eval: true, workerData }),
    );
  }

  /** Whether every worker has instantiated the kernels (until then, calls run on one thread). */
  get ready(): boolean {
    for (let w = 0; w < this.workers.length; w++) {
      if (Atomics.load(this.ctl, 1 + w * SLOT) !== 1) return false;
    }
    return true;
  }

  /**
   * Runs `fn` once per thread with that thread's arguments (`argsOf(thread)`, thread 0 being
   * this one), in parallel, and returns when all are done.
   */
  run(fn: PartFunction, argsOf: (thread: number) => number[]): void {
    const { ctl } = this;
    const generation = (Atomics.load(ctl, 0) + 1) | 0 || 1;
    for (let w = 0; w < this.workers.length; w++) {
      const base = 1 + w * SLOT;
      const args = argsOf(w + 1);
      if (args.length > MAX_ARGS) throw new Error(`${fn}: too many arguments`);
      ctl[base + 2] = 0;
      ctl[base + 3] = FUNCTIONS.indexOf(fn);
      ctl.set(args, base + 4);
    }
    Atomics.store(ctl, 0, generation);
    Atomics.notify(ctl, 0);
    // Even when this thread's part fails, wait for the workers before the next call's arguments.
    let failure: unknown = null;
    try {
      call(this.kernels, fn, argsOf(0));
    } catch (error) {
      failure = error ?? new Error(`${fn} failed`);
    }
    for (let w = 0; w < this.workers.length; w++) {
      const base = 1 + w * SLOT;
      for (;;) {
        // Wait on the value read, not on a second read: the worker may finish in between.
        const done = Atomics.load(ctl, base + 1);
        if (done === generation) break;
        if (Atomics.wait(ctl, base + 1, done, 600_000) === 'timed-out') {
          throw new Error(`SE Zoo's wasm kernel thread ${w + 1} did not finish ${fn}`);
        }
      }
      if (ctl[base + 2] && !failure) {
        failure = new Error(`SE Zoo's wasm kernel ${fn} failed on thread ${w + 1}`);
      }
    }
    if (failure) throw failure;
  }
}

/** Work below which a call stays on one thread (waking a worker costs tens of microseconds). */
const PARALLEL_FLOPS = 4e6;

/** The worker threads to split a call of `flops` over, when they are ready and it pays. */
export function parallelPool(k: NativeKernels, flops: number): KernelPool | null {
  return k.threads?.ready && flops >= PARALLEL_FLOPS ? k.threads : null;
}

/** Part `part` of `parts` of `[0, total)`, in whole multiples of `align`. */
export function share(total: number, parts: number, part: number, align: number): [number, number] {
  const blocks = Math.ceil(total / align);
  const from = Math.round((blocks * part) / parts) * align;
  const to = Math.round((blocks * (part + 1)) / parts) * align;
  return [Math.min(from, total), Math.min(to, total)];
}

/** Calls one of kernels.c's functions on this thread. */
function call(k: NativeKernels, fn: PartFunction, args: number[]): void {
  (k.exports[fn] as (...a: number[]) => void)(...args);
}

/**
 * Runs `fn` in parts on `pool`'s threads (`argsOf(part)` for each), or as part 0 alone on this
 * thread without a pool.
 */
export function runParts(
  k: NativeKernels,
  pool: KernelPool | null,
  fn: PartFunction,
  argsOf: (part: number) => number[],
): void {
  if (pool) pool.run(fn, argsOf);
  else call(k, fn, argsOf(0));
}
