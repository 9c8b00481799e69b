import * as tf from '@tensorflow/tfjs';

/** One of SE Zoo's kernels for a backend, and the function that computes it. */
export interface KernelEntry {
  /** The tfjs kernel name. */
  kernelName: string;
  /** The kernel function registered under that name. */
  kernelFunc: tf.KernelFunc;
}

/**
 * SE Zoo's kernels for one tfjs backend, installed in place of the stock ones. The stock kernels
 * are kept in `stock`: a replacement still calls the original for the cases it does not handle
 * ({@link originalKernel}), and uninstalling restores them. An entry whose name the backend does
 * not have yet (a kernel SE Zoo adds) is simply registered, and uninstalling removes it.
 */
export class KernelSet {
  private active = false;

  constructor(
    readonly backendName: string,
    private readonly entries: readonly KernelEntry[],
    private readonly stock: Map<string, tf.KernelConfig>,
  ) {}

  /** Whether the set is registered. */
  get installed(): boolean {
    return this.active;
  }

  /** Registers every entry (idempotent), keeping the stock kernel it replaces. */
  install(): void {
    if (this.active) return;
    for (const entry of this.entries) {
      const stock = tf.getKernel(entry.kernelName, this.backendName);
      if (stock) {
        if (!this.stock.has(entry.kernelName)) this.stock.set(entry.kernelName, stock);
        // registerKernel throws when the name is taken.
        tf.unregisterKernel(entry.kernelName, this.backendName);
      }
      // The stock kernel's setup (wasm binds its functions when the backend starts) stays, since
      // the replacement still calls the stock kernel for the cases it does not speed up.
      tf.registerKernel({
        kernelName: entry.kernelName,
        backendName: this.backendName,
        kernelFunc: entry.kernelFunc,
        ...(stock?.setupFunc ? { setupFunc: stock.setupFunc } : {}),
        ...(stock?.disposeFunc ? { disposeFunc: stock.disposeFunc } : {}),
      });
    }
    this.active = true;
  }

  /** Removes every entry (added kernels included) and restores the stock kernels they replaced. */
  uninstall(): void {
    if (!this.active) return;
    for (const entry of this.entries) {
      if (tf.getKernel(entry.kernelName, this.backendName)) {
        tf.unregisterKernel(entry.kernelName, this.backendName);
      }
      const stock = this.stock.get(entry.kernelName);
      if (stock) tf.registerKernel(stock);
    }
    this.active = false;
  }
}

/**
 * The backend's kernel `kernelName` as tfjs ships it: the stock one SE Zoo replaced (kept in
 * `stock`), or the registered one when SE Zoo did not replace it.
 */
export function originalKernel(
  stock: ReadonlyMap<string, tf.KernelConfig>,
  kernelName: string,
  backendName: string,
): tf.KernelConfig {
  const config = stock.get(kernelName) ?? tf.getKernel(kernelName, backendName);
  if (!config) throw new Error(`the ${backendName} backend has no kernel '${kernelName}'`);
  return config;
}
