// Node-only helpers, loaded with dynamic imports that bundlers leave alone, so that the package
// itself imports nothing Node-specific and runs in browsers.

/** Whether this is Node (not a browser, not a worker of a browser). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** `import()` of a specifier bundlers must not try to resolve (Node built-ins, optional deps). */
export function importOptional(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);
}

interface NodeOs {
  cpus(): { model: string }[];
  availableParallelism?: () => number;
  tmpdir(): string;
}

interface NodeFs {
  existsSync(path: string): boolean;
  readFileSync(path: string): Uint8Array;
  writeFileSync(path: string, data: string): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  openSync(path: string, flags: number, mode?: number): number;
  closeSync(fd: number): void;
  fstatSync(fd: number): {
    size: number;
    isFile(): boolean;
    isFIFO(): boolean;
    isCharacterDevice(): boolean;
  };
  readSync(
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): number;
  constants: Record<'O_RDWR' | 'O_WRONLY' | 'O_APPEND' | 'O_CREAT' | 'O_EXCL' | 'O_NOCTTY', number>;
}

interface NodePath {
  dirname(path: string): string;
  join(...parts: string[]): string;
}

type NodeRequire = ((id: string) => unknown) & { resolve(id: string): string };

/** The parts of Node's `process` SE Zoo uses. */
export interface NodeProcess {
  platform: string;
  pid: number;
  execPath: string;
  env: Record<string, string | undefined>;
  stderr: { write(text: string): boolean; writableLength?: number };
}

/** Node's `process`. Only call in Node. */
export function nodeProcess(): NodeProcess {
  return (globalThis as unknown as { process: NodeProcess }).process;
}

/** Whether `error` is Node's failure to find the package `name` itself (not one it imports). */
export function isMissingPackage(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(`'${name}'`)
  );
}

/** An error's message, for quoting it in another. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]?.trim() ?? '';
}

/** The Node modules SE Zoo's Node paths use. */
export interface NodeApi {
  os: NodeOs;
  fs: NodeFs;
  path: NodePath;
  /** `require` relative to this package, to find tfjs-backend-wasm's files. */
  require: NodeRequire;
}

let api: Promise<NodeApi> | null = null;

/** Loads {@link NodeApi} (once). Only call in Node. */
export function nodeApi(): Promise<NodeApi> {
  api ??= (async () => {
    const [os, fs, path, module] = (await Promise.all([
      importOptional('node:os'),
      importOptional('node:fs'),
      importOptional('node:path'),
      importOptional('node:module'),
    ])) as [NodeOs, NodeFs, NodePath, { createRequire(url: string): NodeRequire }];
    return { os, fs, path, require: module.createRequire(import.meta.url) };
  })();
  return api;
}

/** CPU model and core count, e.g. `AMD EPYC 7B13 (2 cores)`. */
export async function describeCpu(): Promise<string> {
  if (isNode()) {
    const { os } = await nodeApi();
    const cpus = os.cpus();
    const cores = os.availableParallelism?.() ?? cpus.length;
    return `${cpus[0]?.model.trim() ?? 'unknown CPU'} (${cores} cores)`;
  }
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return cores ? `CPU (${cores} logical cores)` : 'CPU';
}

/** Logical cores available to this process. */
export async function coreCount(): Promise<number> {
  if (isNode()) {
    const { os } = await nodeApi();
    return os.availableParallelism?.() ?? os.cpus().length;
  }
  return (
    (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
      ?.hardwareConcurrency ?? 1
  );
}
