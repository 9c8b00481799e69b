// The errors of setBackend: each names the backend asked for, says why it cannot be had here, and
// what to do instead.

/** Why {@link setBackend} could not give the backend asked for; the message says what to do. */
export class BackendError extends Error {
  /** Always `'BackendError'`. */
  override name = 'BackendError';
  /** The backend asked for, as it was given to `setBackend`. */
  readonly backend: string;

  constructor(backend: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.backend = backend;
  }
}

const AUTO = "'auto' picks the fastest one available";
const IN_NODE =
  "'wasm' (multi-threaded, with SE Zoo's training kernels), 'cpu', 'webgpu' (Dawn: npm install webgpu) or 'tensorflow' (tfjs-node)";
const NO_LOG = 'tfjs logs why unless tf.enableProdMode() is on';

function unavailable(backend: string, why: string, todo: string): BackendError {
  return new BackendError(backend, `backend '${backend}' is not available: ${why}. ${todo}`);
}

function failed(backend: string, why: string, todo: string): BackendError {
  return new BackendError(backend, `backend '${backend}' failed to start: ${why}. ${todo}`);
}

export function unknownBackend(name: unknown): BackendError {
  return new BackendError(
    String(name),
    `unknown backend '${String(name)}': choose 'auto' (the fastest available), 'wasm', 'webgpu', 'webgl', 'cpu' or 'tensorflow'.`,
  );
}

/** `'webgl'` outside a browser: tfjs registers its WebGL backend only in browsers. */
export function webglOutsideBrowser(node: boolean): BackendError {
  return node
    ? unavailable(
        'webgl',
        'WebGL exists only in browsers, and this is Node',
        `In Node, use ${IN_NODE}; ${AUTO}.`,
      )
    : unavailable('webgl', 'WebGL exists only in browsers', `Use 'wasm' or 'cpu'; ${AUTO}.`);
}

/** `'webgpu'` in Node when Dawn could not be set up; `problem` says why, `missing` whether it is absent. */
export function webgpuWithoutDawn(problem: string, missing: boolean): BackendError {
  const fix = missing
    ? 'Install it in your project (npm install webgpu)'
    : 'Reinstall it for this platform (npm install webgpu)';
  return unavailable(
    'webgpu',
    `in Node, WebGPU comes from Dawn, and ${problem}`,
    `${fix}, or use 'wasm', 'cpu' or 'tensorflow'; ${AUTO}.`,
  );
}

/** `'webgpu'` outside Node where `navigator.gpu` does not exist. */
export function webgpuWithoutNavigatorGpu(browser: boolean): BackendError {
  return browser
    ? unavailable(
        'webgpu',
        'this browser has no WebGPU (navigator.gpu): it takes a recent Chrome, Edge or Safari, on https or localhost',
        `Use 'webgl' or 'wasm'; ${AUTO}.`,
      )
    : unavailable(
        'webgpu',
        'this runtime has no WebGPU (navigator.gpu)',
        `Use 'wasm' or 'cpu'; ${AUTO}.`,
      );
}

/** `@tensorflow/tfjs-backend-webgpu` was loaded before `navigator.gpu` existed. */
export function webgpuImportedTooEarly(): BackendError {
  return unavailable(
    'webgpu',
    '@tensorflow/tfjs-backend-webgpu was imported before navigator.gpu existed, so it registered no backend',
    "In Node, let setBackend('webgpu') or installNodeWebGPU() run before anything imports @tensorflow/tfjs-backend-webgpu.",
  );
}

/** `navigator.gpu` exists but gives no adapter. */
export function webgpuWithoutAdapter(node: boolean): BackendError {
  return node
    ? failed(
        'webgpu',
        'Dawn found no WebGPU adapter, i.e. no GPU with a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver',
        "Without a GPU, use 'wasm' (faster than WebGPU emulated on the CPU) or 'auto'. To run WebGPU on the CPU anyway (for tests), install Mesa's lavapipe Vulkan driver (Debian/Ubuntu: apt install mesa-vulkan-drivers).",
      )
    : failed(
        'webgpu',
        'navigator.gpu gave no adapter (WebGPU is off or blocklisted for this GPU)',
        `Use 'webgl' or 'wasm'; ${AUTO}.`,
      );
}

/** `'tensorflow'` outside Node. */
export function tensorflowOutsideNode(): BackendError {
  return unavailable(
    'tensorflow',
    'it is libtensorflow through @tensorflow/tfjs-node, which runs only in Node',
    `Use 'webgpu', 'webgl' or 'wasm'; ${AUTO}.`,
  );
}

/** `'tensorflow'` in Node with neither tfjs-node package installed. */
export function tensorflowMissing(): BackendError {
  return unavailable(
    'tensorflow',
    'it needs @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (NVIDIA GPU), and neither is installed',
    'Install one in your project (npm install @tensorflow/tfjs-node; SE Zoo does not depend on it because its installer downloads libtensorflow from outside npm), ' +
      "or use 'wasm', which trains on the CPU at XNNPACK speed, or 'auto'.",
  );
}

/** A tfjs-node package that is installed but does not load. */
export function tensorflowBroken(pkg: string, message: string): BackendError {
  return unavailable(
    'tensorflow',
    `${pkg} is installed but failed to load (${message})`,
    `Rebuild it for this Node version and platform (npm rebuild ${pkg}), or use 'wasm' or 'auto'.`,
  );
}

/** A tfjs-node package that registered its backend with a copy of tfjs-core other than ours. */
export function tensorflowOtherTfjs(pkg: string): BackendError {
  return unavailable(
    'tensorflow',
    `${pkg} loaded, but registered its backend with another copy of @tensorflow/tfjs-core than the @tensorflow/tfjs that SE Zoo uses`,
    `Install the ${pkg} version that matches @tensorflow/tfjs (npm ls @tensorflow/tfjs-core lists the copies), or use 'wasm' or 'auto'.`,
  );
}

/** tfjs could not initialise (or switch to) a backend that is registered. */
export function startFailed(backend: string, browser: boolean): BackendError {
  switch (backend) {
    case 'wasm':
      return failed(
        'wasm',
        `tfjs could not load or start its .wasm binaries (${NO_LOG})`,
        browser
          ? "In a bundle, pass setBackend('wasm', { wasmPaths }) with the URL its .wasm files are served from; or use 'cpu' or 'auto'."
          : "Reinstall @tensorflow/tfjs-backend-wasm, or use 'cpu' or 'auto'.",
      );
    case 'webgl':
      return failed(
        'webgl',
        `the browser gave no usable WebGL context (${NO_LOG})`,
        `Use 'wasm', or 'webgpu' where navigator.gpu exists; ${AUTO}.`,
      );
    case 'webgpu':
      return failed(
        'webgpu',
        `the adapter gave no device (${NO_LOG})`,
        `Use 'wasm' or 'cpu'; ${AUTO}.`,
      );
    default:
      return failed(
        backend,
        `tfjs could not initialise it or switch to it (${NO_LOG})`,
        'Check that the project has one copy of @tensorflow/tfjs-core (npm ls @tensorflow/tfjs-core).',
      );
  }
}

/** `'auto'` when not even the cpu backend started. */
export function nothingStarted(): BackendError {
  return new BackendError(
    'auto',
    `backend 'auto' found no backend that starts, not even 'cpu' (${NO_LOG}). Check that the project has one copy of @tensorflow/tfjs-core (npm ls @tensorflow/tfjs-core).`,
  );
}
