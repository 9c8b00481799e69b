// The shapes of SE Zoo's WebAssembly kernels: their exports, and one instance on a backend.
type Ptr = number;

/** The functions kernels.c exports (pointers are byte offsets into the backend's memory). */
export interface NativeExports {
  pack_panels(w: Ptr, out: Ptr, k: number, n: number, taps: number, transposeTaps: number): void;
  conv_gemm(
    x: Ptr,
    packed: Ptr,
    y: Ptr,
    zero: Ptr,
    dummy: Ptr,
    scratch: Ptr,
    ihCount: number,
    iwCount: number,
    cIn: number,
    ohCount: number,
    owCount: number,
    oc: number,
    kh: number,
    kw: number,
    tabH: Ptr,
    tabW: Ptr,
    orderH: Ptr,
    orderW: Ptr,
    mBegin: number,
    mEnd: number,
  ): void;
  conv_filter_grad(
    x: Ptr,
    dy: Ptr,
    dw: Ptr,
    ihCount: number,
    iwCount: number,
    cIn: number,
    ohCount: number,
    owCount: number,
    oc: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    dh: number,
    dw_: number,
    rowBegin: number,
    rowEnd: number,
    unitBegin: number,
    unitEnd: number,
  ): void;
  channel_binary(
    x: Ptr,
    a: Ptr,
    y: Ptr,
    op: number,
    c: number,
    plane: number,
    perSample: number,
    begin: number,
    end: number,
  ): void;
  sum_rows(
    x: Ptr,
    acc: Ptr,
    reduced: number,
    inner: number,
    outerBegin: number,
    outerEnd: number,
    rowBegin: number,
    rowEnd: number,
  ): void;
  sgd_momentum(
    w: Ptr,
    velocity: Ptr,
    grad: Ptr,
    wOut: Ptr,
    vOut: Ptr,
    params: Ptr,
    begin: number,
    end: number,
  ): void;
}

/** SE Zoo's kernels on one backend's memory. */
export interface NativeKernels {
  exports: NativeExports;
  /** The compiled module, to instantiate again on the same memory (worker threads). */
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** The build: fused multiply-adds (relaxed SIMD), shared memory (tfjs's threaded build). */
  relaxed: boolean;
  shared: boolean;
  /** Worker threads on the same memory, once {@link startNativeKernels} started them. */
  threads: KernelPool | null;
}

/** The name of one of kernels.c's functions that run in parts. */
export type PartFunction = keyof NativeExports;

/** Threads that run a kernel call in parts (`KernelThreads`). */
export interface KernelPool {
  /** Threads, this one included. */
  readonly count: number;
  /** Whether every worker is ready (until then, calls run on one thread). */
  readonly ready: boolean;
  /** Runs `fn` once per thread with `argsOf(thread)`, in parallel; returns when all are done. */
  run(fn: PartFunction, argsOf: (thread: number) => number[]): void;
}
