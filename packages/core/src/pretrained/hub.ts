/**
 * Downloads files of Hugging Face Hub repositories (`timm/seresnet50.a1_in1k`'s
 * `model.safetensors`, `config.json`) and caches them, in Node and in the browser.
 *
 * - URL: `${endpoint}/<repo>/resolve/main/<file>`, the Hub's convention, so mirrors work; the
 *   endpoint is the `endpoint` option, else `HF_ENDPOINT` (Node), else `https://huggingface.co`.
 * - Node: cached as `<cache>/<repo>/<file>` ({@link defaultCacheDir}). A download goes to a
 *   temporary file named after the process (`<file>.<pid>-<thread>.incomplete`); an interrupted
 *   one is resumed with an HTTP `Range` request, by this process or, once it has exited, by the
 *   next. The checked file is renamed into place (atomic), so two processes never see a partial
 *   file under the final name.
 * - Browser: cached in Cache Storage (`caches.open('se-zoo')`), keyed by the URL.
 * - Before anything is cached: the size (`X-Linked-Size`, `Content-Range`, `Content-Length`), the
 *   sha256 the Hub gives large (LFS) files (`X-Linked-Etag` / `ETag`), and the caller's
 *   `verify(bytes)` hook. A failed or corrupt download leaves nothing in the cache.
 * - A cached file is used without the network; `HF_HUB_OFFLINE=1` or `offline: true` never
 *   touches it. Concurrent loads of one file in one process share one download.
 *
 * Browser-safe: Node modules are loaded by computed dynamic imports, in Node only.
 *
 * @module
 */

const DEFAULT_ENDPOINT = 'https://huggingface.co';
const CACHE_STORAGE_NAME = 'se-zoo';
const MAX_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Download progress: bytes received so far (a resumed download starts at what it had). */
export interface HubProgress {
  /** Bytes of the file received so far. */
  loaded: number;
  /** The file's size in bytes, `null` when the server does not say. */
  total: number | null;
}

/**
 * Checks a file's bytes before they are cached (and, for a file already cached, before they are
 * returned); throw to reject them. May be async.
 */
export type HubVerify = (bytes: Uint8Array) => void | Promise<void>;

/** Options of {@link hubFile} and {@link cachedHubFile}. */
export interface HubFileOptions {
  /** The Hub or a mirror, e.g. `https://hf-mirror.com`; default `HF_ENDPOINT`, then the Hub. */
  endpoint?: string;
  /** Node: the cache directory; default {@link defaultCacheDir}. Ignored when `store` is given. */
  cacheDir?: string;
  /** Never touch the network (default: `HF_HUB_OFFLINE` is `1`/`true`/`yes`/`on`). */
  offline?: boolean;
  /** Called as the download progresses (not for a cached file). */
  onProgress?: (progress: HubProgress) => void;
  /** Checks the bytes before they are cached or returned; its error fails the load. */
  verify?: HubVerify;
  /** Aborts this caller's wait; the download stops once no caller waits for it. */
  signal?: AbortSignal;
  /**
   * Where files are cached; default {@link nodeStore} in Node, {@link browserStore} elsewhere.
   * Tests pass one to run the browser's code path in Node.
   */
  store?: HubStore;
  /** The SE Zoo model the file is for, named in the offline error's `se-zoo download` hint. */
  model?: string;
}

/** A Hub file to fetch: the repository, the file and its URL. */
export interface HubTarget {
  /** Repository id, e.g. `timm/seresnet50.a1_in1k`. */
  readonly repo: string;
  /** Path of the file in the repository, e.g. `model.safetensors`. */
  readonly file: string;
  /** Its `resolve/main` URL ({@link hubUrl}). */
  readonly url: string;
}

/** What a {@link HubStore} gets to download a file. */
export interface HubDownload {
  /** Aborts the download. */
  readonly signal: AbortSignal;
  /** Reports progress. */
  readonly onProgress: (progress: HubProgress) => void;
  /** The caller's hook, to run on the checked bytes before they are stored. */
  readonly verify: HubVerify | undefined;
}

/**
 * A cache of Hub files: {@link nodeStore} (a directory) or {@link browserStore} (Cache Storage).
 */
export interface HubStore {
  /** Where the file is (or would be) cached, for messages; also identifies shared downloads. */
  location(target: HubTarget): string;
  /** The cached bytes, or `null` when the file is not cached. Never touches the network. */
  read(target: HubTarget): Promise<Uint8Array | null>;
  /**
   * Downloads the file, checks it (size, sha256, then `verify`), caches it and returns its
   * bytes; throws a {@link HubError} and caches nothing when a check fails.
   */
  download(target: HubTarget, download: HubDownload): Promise<Uint8Array>;
}

/**
 * What went wrong: `invalid` repo or file name; `offline` and not cached; `http` error status;
 * `network` failure to connect; `interrupted` body; `size`, `sha256` or `verify` check failed.
 */
export type HubFault =
  | 'invalid'
  | 'offline'
  | 'http'
  | 'network'
  | 'interrupted'
  | 'size'
  | 'sha256'
  | 'verify';

/** The fields of a {@link HubError} beyond its message. */
export interface HubErrorDetails {
  /** What went wrong. */
  fault: HubFault;
  /** The file's Hub URL. */
  url: string;
  /** Repository id. */
  repo: string;
  /** File path in the repository. */
  file: string;
  /** HTTP status (`http` fault). */
  status?: number | null;
  /** Expected size or sha256 (`size`, `sha256`, `interrupted`). */
  expected?: number | string | null;
  /** What arrived (`size`, `sha256`, `interrupted`: bytes received). */
  actual?: number | string | null;
}

/**
 * A Hub file that could not be loaded. The message names the URL and the fault, e.g.
 * `404 Not Found: https://huggingface.co/timm/x.y/resolve/main/model.safetensors — no such
 * repository or file on the Hub`.
 *
 * @example
 * ```ts
 * import { HubError, hubFile } from '@se/core';
 *
 * try {
 *   await hubFile('timm/seresnet50.a1_in1k', 'model.safetensors');
 * } catch (error) {
 *   if (error instanceof HubError && error.fault === 'http') console.log(error.status);
 * }
 * ```
 */
export class HubError extends Error {
  /** What went wrong. */
  readonly fault: HubFault;
  /** The file's Hub URL. */
  readonly url: string;
  /** Repository id. */
  readonly repo: string;
  /** File path in the repository. */
  readonly file: string;
  /** HTTP status of an `http` fault, else `null`. */
  readonly status: number | null;
  /** Expected size (bytes) or sha256 (hex) of a `size`, `sha256` or `interrupted` fault. */
  readonly expected: number | string | null;
  /** Received size or sha256 of a `size`, `sha256` or `interrupted` fault. */
  readonly actual: number | string | null;

  constructor(details: HubErrorDetails, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HubError';
    this.fault = details.fault;
    this.url = details.url;
    this.repo = details.repo;
    this.file = details.file;
    this.status = details.status ?? null;
    this.expected = details.expected ?? null;
    this.actual = details.actual ?? null;
  }
}

// ---------------------------------------------------------------------------------------------
// Environment (Node's process, reached without Node's types)

interface NodeProcess {
  pid: number;
  env: Record<string, string | undefined>;
  versions: { node?: string };
  kill(pid: number, signal: number): boolean;
}

function nodeProcess(): NodeProcess | null {
  const proc = (globalThis as { process?: Partial<NodeProcess> }).process;
  return typeof proc?.versions?.node === 'string' ? (proc as NodeProcess) : null;
}

/** An environment variable in Node (empty counts as unset); always `undefined` in browsers. */
function env(name: string): string | undefined {
  const value = nodeProcess()?.env[name];
  return value === '' ? undefined : value;
}

function offlineByEnv(): boolean {
  return ['1', 'true', 'yes', 'on'].includes((env('HF_HUB_OFFLINE') ?? '').toLowerCase());
}

// ---------------------------------------------------------------------------------------------
// Names and URLs

function checkPath(kind: 'repo' | 'file', value: string, url: string, repo: string, file: string) {
  const segments = value.split('/');
  const bad =
    value === '' ||
    (kind === 'repo' && segments.length > 2) ||
    segments.some(
      (s) =>
        s === '' ||
        s === '.' ||
        s === '..' ||
        (kind === 'repo' ? !/^[A-Za-z0-9_.-]+$/.test(s) : /[\\\0]/.test(s)),
    );
  if (bad) {
    const expected =
      kind === 'repo'
        ? 'a Hub repository id like "timm/seresnet50.a1_in1k"'
        : 'a relative path in the repository like "model.safetensors"';
    throw new HubError(
      { fault: 'invalid', url, repo, file },
      `Invalid Hub ${kind} ${JSON.stringify(value)}: expected ${expected}`,
    );
  }
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * The URL of a file in a Hub repository's `main` branch: `<endpoint>/<repo>/resolve/main/<file>`.
 *
 * @param endpoint The Hub or a mirror; default `HF_ENDPOINT` (Node), else `https://huggingface.co`.
 * @throws {HubError} (`invalid`) for a repo that is not `name` or `owner/name`, or a file path
 * with empty, `.` or `..` segments.
 *
 * @example
 * ```ts
 * import { hubUrl } from '@se/core';
 *
 * hubUrl('timm/seresnet50.a1_in1k', 'model.safetensors');
 * // 'https://huggingface.co/timm/seresnet50.a1_in1k/resolve/main/model.safetensors'
 * ```
 */
export function hubUrl(repo: string, file: string, endpoint?: string): string {
  const base = (endpoint ?? env('HF_ENDPOINT') ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const url = `${base}/${encodePath(repo)}/resolve/main/${encodePath(file)}`;
  checkPath('repo', repo, url, repo, file);
  checkPath('file', file, url, repo, file);
  return url;
}

/**
 * Node's cache directory for Hub files: `SE_ZOO_CACHE`, else `$XDG_CACHE_HOME/se-zoo`, else
 * `~/.cache/se-zoo`. Node only: throws in a browser.
 */
export function defaultCacheDir(): string {
  if (!nodeProcess()) {
    throw new Error('defaultCacheDir() is Node only; browsers cache Hub files in Cache Storage');
  }
  const explicit = env('SE_ZOO_CACHE');
  if (explicit) return explicit;
  const xdg = env('XDG_CACHE_HOME');
  if (xdg) return joinPath(xdg, 'se-zoo');
  const home = env('HOME') ?? env('USERPROFILE');
  if (!home) {
    throw new Error('No cache directory for Hub files: set SE_ZOO_CACHE (or XDG_CACHE_HOME, HOME)');
  }
  return joinPath(home, '.cache/se-zoo');
}

/**
 * Where Node caches a Hub file: `<cacheDir>/<repo>/<file>`.
 *
 * @example
 * ```ts
 * import { hubCachePath } from '@se/core';
 *
 * hubCachePath('timm/seresnet50.a1_in1k', 'model.safetensors', '/tmp/cache');
 * // '/tmp/cache/timm/seresnet50.a1_in1k/model.safetensors'
 * ```
 */
export function hubCachePath(repo: string, file: string, cacheDir = defaultCacheDir()): string {
  hubUrl(repo, file, DEFAULT_ENDPOINT); // validates the names, which become path segments
  return joinPath(joinPath(cacheDir, repo), file);
}

function joinPath(dir: string, name: string): string {
  return /[/\\]$/.test(dir) ? `${dir}${name}` : `${dir}/${name}`;
}

function dirname(path: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return slash < 0 ? '.' : path.slice(0, slash) || '/';
}

function basename(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

// ---------------------------------------------------------------------------------------------
// HTTP

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  410: 'Gone',
  416: 'Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function statusHint(status: number): string {
  if (status === 404) return 'no such repository or file on the Hub';
  if (status === 401) {
    return 'no such repository on the Hub, or it is private or gated (no token is sent)';
  }
  if (status === 403) return 'access denied: the repository is private or gated';
  if (status === 429) return 'the Hub is rate-limiting requests; try again later';
  if (status >= 500) return 'the Hub (or mirror) failed; try again later';
  return 'unexpected response';
}

function httpError(target: HubTarget, response: Response, servedBy: string): HubError {
  const text = response.statusText || STATUS_TEXT[response.status] || 'HTTP error';
  const hubMessage = response.headers.get('x-error-message');
  const via = servedBy === target.url ? '' : ` (via ${new URL(servedBy).host})`;
  return new HubError(
    {
      fault: 'http',
      url: target.url,
      repo: target.repo,
      file: target.file,
      status: response.status,
    },
    `${response.status} ${text}: ${target.url}${via} — ${statusHint(response.status)}` +
      (hubMessage ? ` (Hub: ${hubMessage})` : ''),
  );
}

function causeText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

/** A 64-hex sha256 from an `ETag`-like header (`"…"`, `W/"…"`), else `null`. */
function sha256FromEtag(value: string | null): string | null {
  const bare = value?.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return bare && /^[0-9a-f]{64}$/i.test(bare) ? bare.toLowerCase() : null;
}

function byteCount(value: string | null): number | null {
  return value !== null && /^\s*\d+\s*$/.test(value) ? Number(value) : null;
}

/** `bytes <start>-<end>/<total>` (total may be `*`). */
function contentRange(value: string | null): { start: number; total: number | null } | null {
  const match = value?.match(/^\s*bytes\s+(\d+)-\d+\/(\d+|\*)\s*$/i);
  if (!match?.[1] || !match[2]) return null;
  return { start: Number(match[1]), total: match[2] === '*' ? null : Number(match[2]) };
}

interface Opened {
  response: Response;
  /** The URL that answered (after redirects). */
  servedBy: string;
  /** sha256 the Hub gave (`X-Linked-Etag` on any hop, else the answer's `ETag`). */
  sha256: string | null;
  /** `X-Linked-Size` on any hop. */
  linkedSize: number | null;
}

interface OpenOptions {
  range: number;
  /** Follow redirects by hand, to read the Hub's `X-Linked-*` headers on the redirect (Node). */
  manualRedirects: boolean;
  /** Ask for the bytes as stored (no gzip), so sizes and ranges mean file bytes (Node). */
  identity: boolean;
  signal: AbortSignal;
}

async function openHub(target: HubTarget, options: OpenOptions): Promise<Opened> {
  let url = target.url;
  let linkedSha256: string | null = null;
  let linkedSize: number | null = null;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = {};
    if (options.range > 0) headers.Range = `bytes=${options.range}-`;
    if (options.identity) headers['Accept-Encoding'] = 'identity';
    let response: Response;
    try {
      response = await fetch(url, {
        headers,
        signal: options.signal,
        redirect: options.manualRedirects ? 'manual' : 'follow',
      });
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason;
      throw new HubError(
        { fault: 'network', url: target.url, repo: target.repo, file: target.file },
        `Could not reach ${url}: ${causeText(error)}`,
        { cause: error },
      );
    }
    linkedSha256 ??= sha256FromEtag(response.headers.get('x-linked-etag'));
    linkedSize ??= byteCount(response.headers.get('x-linked-size'));
    const location = response.headers.get('location');
    if (options.manualRedirects && REDIRECT_STATUSES.has(response.status) && location) {
      await response.body?.cancel();
      if (hop >= MAX_REDIRECTS) {
        throw new HubError(
          { fault: 'network', url: target.url, repo: target.repo, file: target.file },
          `More than ${MAX_REDIRECTS} redirects from ${target.url}`,
        );
      }
      url = new URL(location, url).href;
      continue;
    }
    return {
      response,
      servedBy: response.url || url,
      sha256: linkedSha256 ?? sha256FromEtag(response.headers.get('etag')),
      linkedSize,
    };
  }
}

/** The file's size per the headers, if they say (`offset`: bytes already held, for a 206). */
function expectedSize(opened: Opened, offset: number): number | null {
  if (opened.linkedSize !== null) return opened.linkedSize;
  const { response } = opened;
  const range =
    response.status === 206 ? contentRange(response.headers.get('content-range')) : null;
  if (range?.total != null) return range.total;
  const encoding = response.headers.get('content-encoding');
  if (encoding && encoding.toLowerCase() !== 'identity') return null; // a compressed length
  const length = byteCount(response.headers.get('content-length'));
  return length === null ? null : offset + length;
}

/**
 * Streams the body into `sink`, reporting progress from `start`; returns the bytes received in
 * all. A broken body is an `interrupted` {@link HubError}; an abort rethrows the signal's reason.
 */
async function readBody(
  target: HubTarget,
  response: Response,
  start: number,
  total: number | null,
  download: HubDownload,
  sink: (chunk: Uint8Array) => void | Promise<void>,
  resumable: boolean,
): Promise<number> {
  let loaded = start;
  download.onProgress({ loaded, total });
  const reader = response.body?.getReader();
  for (;;) {
    let chunk: Uint8Array;
    try {
      if (!reader) {
        chunk = new Uint8Array(await response.arrayBuffer());
        if (chunk.byteLength === 0) break;
      } else {
        const next = await reader.read();
        if (next.done) break;
        chunk = next.value;
      }
    } catch (error) {
      if (download.signal.aborted) throw download.signal.reason;
      const expected = total === null ? '' : ` of ${total}`;
      throw new HubError(
        {
          fault: 'interrupted',
          url: target.url,
          repo: target.repo,
          file: target.file,
          expected: total,
          actual: loaded,
        },
        `The download of ${target.url} broke off after ${loaded}${expected} bytes ` +
          `(${causeText(error)}); ` +
          (resumable ? 'the next attempt resumes it' : 'try again'),
        { cause: error },
      );
    }
    try {
      await sink(chunk);
    } catch (error) {
      await reader?.cancel().catch(() => undefined);
      throw error;
    }
    loaded += chunk.byteLength;
    download.onProgress({ loaded, total });
    if (!reader) break;
  }
  return loaded;
}

function sizeError(target: HubTarget, expected: number, actual: number): HubError {
  return new HubError(
    { fault: 'size', url: target.url, repo: target.repo, file: target.file, expected, actual },
    `Size mismatch for ${target.url}: the server announced ${expected} bytes, ${actual} arrived`,
  );
}

async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (!subtle) return null; // a browser page outside a secure context: size and verify remain
  const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Size, sha256 and the caller's hook, in that order; throws the first {@link HubError}. */
async function checkBytes(
  target: HubTarget,
  bytes: Uint8Array,
  size: number | null,
  sha256: string | null,
  verify: HubVerify | undefined,
): Promise<void> {
  if (size !== null && bytes.byteLength !== size) throw sizeError(target, size, bytes.byteLength);
  if (sha256 !== null) {
    const actual = await sha256Hex(bytes);
    if (actual !== null && actual !== sha256) {
      throw new HubError(
        {
          fault: 'sha256',
          url: target.url,
          repo: target.repo,
          file: target.file,
          expected: sha256,
          actual,
        },
        `sha256 mismatch for ${target.url}: the Hub gives ${sha256}, the download is ${actual}`,
      );
    }
  }
  await runVerify(target, bytes, verify, null);
}

async function runVerify(
  target: HubTarget,
  bytes: Uint8Array,
  verify: HubVerify | undefined,
  cachedAt: string | null,
): Promise<void> {
  if (!verify) return;
  try {
    await verify(bytes);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const where = cachedAt === null ? '' : ` (cached at ${cachedAt}; delete it to download again)`;
    throw new HubError(
      { fault: 'verify', url: target.url, repo: target.repo, file: target.file },
      `${target.url} failed verification${where}: ${message}`,
      { cause: error },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Node: a cache directory

interface FileHandleLike {
  write(data: Uint8Array): Promise<unknown>;
  close(): Promise<void>;
}

/** The few `node:fs/promises` functions the Node store needs. */
interface NodeFs {
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  readFile(path: string): Promise<Uint8Array>;
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<{ size: number }>;
  open(path: string, flags: 'a' | 'w'): Promise<FileHandleLike>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: true }): Promise<void>;
}

// Computed specifiers keep bundlers from pulling Node modules into browser builds.
const FS_MODULE = 'node:fs/promises';
const WORKER_MODULE = 'node:worker_threads';

async function nodeModules(): Promise<{ fs: NodeFs; proc: NodeProcess; threadId: number }> {
  const proc = nodeProcess();
  if (!proc) throw new Error('nodeStore() caches Hub files in Node only; use browserStore()');
  const fs = (await import(/* @vite-ignore */ FS_MODULE)) as NodeFs;
  const { threadId } = (await import(/* @vite-ignore */ WORKER_MODULE)) as { threadId: number };
  return { fs, proc, threadId };
}

function errorCode(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}

async function fileSize(fs: NodeFs, path: string): Promise<number | null> {
  try {
    return (await fs.stat(path)).size;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
}

function processAlive(proc: NodeProcess, pid: number): boolean {
  try {
    proc.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

const INCOMPLETE = /^\.(\d+)-(\d+)\.incomplete$/;

/**
 * Takes over a partial download that an exited process left (`<file>.<pid>-<thread>.incomplete`)
 * by renaming it to `temp`: a rename is atomic, so of two processes only one gets it.
 */
async function adoptOrphan(fs: NodeFs, proc: NodeProcess, final: string, temp: string) {
  if ((await fileSize(fs, temp)) !== null) return;
  const base = basename(final);
  let names: string[];
  try {
    names = await fs.readdir(dirname(final));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue;
    const pid = Number(INCOMPLETE.exec(name.slice(base.length))?.[1] ?? Number.NaN);
    if (!Number.isInteger(pid) || pid === proc.pid || processAlive(proc, pid)) continue;
    try {
      await fs.rename(joinPath(dirname(final), name), temp);
      return;
    } catch {
      // Another process took it first.
    }
  }
}

/**
 * Caches Hub files in a directory, as `<dir>/<repo>/<file>` (Node only). Downloads resume
 * interrupted transfers with `Range` requests and are renamed into place once checked.
 *
 * @param dir The cache directory; default {@link defaultCacheDir}.
 */
export function nodeStore(dir?: string): HubStore {
  const root = dir ?? defaultCacheDir();
  const pathOf = (target: HubTarget): string => hubCachePath(target.repo, target.file, root);
  return {
    location: pathOf,

    async read(target) {
      const { fs } = await nodeModules();
      try {
        const bytes = await fs.readFile(pathOf(target));
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return null;
        throw error;
      }
    },

    async download(target, download) {
      const { fs, proc, threadId } = await nodeModules();
      const final = pathOf(target);
      const temp = `${final}.${proc.pid}-${threadId}.incomplete`;
      await fs.mkdir(dirname(final), { recursive: true });
      await adoptOrphan(fs, proc, final, temp);
      let have = (await fileSize(fs, temp)) ?? 0;
      const restart = async (response: Response) => {
        await response.body?.cancel();
        await fs.rm(temp, { force: true });
        have = 0;
      };

      for (let attempt = 0; ; attempt++) {
        const opened = await openHub(target, {
          range: have,
          manualRedirects: true,
          identity: true,
          signal: download.signal,
        });
        const { response } = opened;
        let offset = 0;
        if (have > 0 && response.status === 416 && attempt === 0) {
          await restart(response); // the partial file is not a prefix of this file
          continue;
        }
        if (!response.ok) {
          await response.body?.cancel();
          throw httpError(target, response, opened.servedBy);
        }
        if (response.status === 206) {
          const range = contentRange(response.headers.get('content-range'));
          if (range?.start !== have) {
            if (attempt > 0) throw httpError(target, response, opened.servedBy);
            await restart(response);
            continue;
          }
          offset = have;
        }

        const size = expectedSize(opened, offset);
        const handle = await fs.open(temp, offset > 0 ? 'a' : 'w');
        let loaded: number;
        try {
          loaded = await readBody(
            target,
            response,
            offset,
            size,
            download,
            (chunk) => handle.write(chunk).then(() => undefined),
            true,
          );
        } finally {
          await handle.close();
        }

        // A short file is kept to be resumed; anything else that fails is discarded.
        if (size !== null && loaded < size) throw sizeError(target, size, loaded);
        const raw = await fs.readFile(temp);
        const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
        try {
          await checkBytes(target, bytes, size, opened.sha256, download.verify);
        } catch (error) {
          await fs.rm(temp, { force: true });
          throw error;
        }
        try {
          await fs.rename(temp, final);
        } catch (error) {
          // Another process renamed the same checked file into place first (Windows refuses to
          // replace a file that is open).
          if ((await fileSize(fs, final)) === null) throw error;
          await fs.rm(temp, { force: true });
        }
        return bytes;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Browser: Cache Storage

/** The part of the browser's `Cache` that {@link browserStore} uses. */
export interface CacheLike {
  /** The cached response for `url`, if any. */
  match(url: string): Promise<Response | undefined>;
  /** Stores `response` for `url`. */
  put(url: string, response: Response): Promise<void>;
}

/** The part of the browser's `CacheStorage` (`globalThis.caches`) that {@link browserStore} uses. */
export interface CacheStorageLike {
  /** Opens (creating if needed) the named cache. */
  open(name: string): Promise<CacheLike>;
}

/**
 * Caches Hub files in Cache Storage under `cacheName`, keyed by URL (the browser's store).
 * Without a Cache Storage (`null`: e.g. a page outside a secure context) files are downloaded
 * each time. Downloads are streamed (for progress) and checked before `cache.put`; a failed one
 * starts over next time (no resuming).
 *
 * @param storage Default `globalThis.caches`.
 */
export function browserStore(
  storage: CacheStorageLike | null = (globalThis as { caches?: CacheStorageLike }).caches ?? null,
  cacheName = CACHE_STORAGE_NAME,
): HubStore {
  const open = async (): Promise<CacheLike | null> => (storage ? storage.open(cacheName) : null);
  return {
    location: (target) => `Cache Storage "${cacheName}": ${target.url}`,

    async read(target) {
      const response = await (await open())?.match(target.url);
      return response ? new Uint8Array(await response.arrayBuffer()) : null;
    },

    async download(target, download) {
      const opened = await openHub(target, {
        range: 0,
        manualRedirects: false,
        identity: false,
        signal: download.signal,
      });
      const { response } = opened;
      if (!response.ok) {
        await response.body?.cancel();
        throw httpError(target, response, opened.servedBy);
      }
      const size = expectedSize(opened, 0);
      const chunks: Uint8Array[] = [];
      const loaded = await readBody(
        target,
        response,
        0,
        size,
        download,
        (chunk) => {
          chunks.push(chunk);
        },
        false,
      );
      const bytes = new Uint8Array(loaded);
      let at = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, at);
        at += chunk.byteLength;
      }
      await checkBytes(target, bytes, size, opened.sha256, download.verify);
      const cache = await open();
      if (cache) {
        const stored = new Response(bytes, {
          headers: {
            'Content-Type': 'application/octet-stream',
            'Content-Length': String(bytes.byteLength),
          },
        });
        // A full quota only costs a download next time; the checked bytes are still returned.
        await cache.put(target.url, stored).catch(() => undefined);
      }
      return bytes;
    },
  };
}

/** {@link nodeStore} in Node, {@link browserStore} elsewhere. */
function defaultStore(cacheDir: string | undefined): HubStore {
  return nodeProcess() ? nodeStore(cacheDir) : browserStore();
}

// ---------------------------------------------------------------------------------------------
// Loading, with one download per file and process

interface Flight {
  promise: Promise<{ bytes: Uint8Array; checkedBy: HubVerify | null }>;
  controller: AbortController;
  listeners: Set<(progress: HubProgress) => void>;
  waiters: number;
  /** Every caller gave up (aborted): new callers start over, after this one has stopped. */
  abandoned: boolean;
}

const flights = new Map<string, Flight>();

function startFlight(
  key: string,
  target: HubTarget,
  store: HubStore,
  offline: boolean,
  options: HubFileOptions,
  previous: Flight | undefined,
): Flight {
  const controller = new AbortController();
  const listeners = new Set<(progress: HubProgress) => void>();
  const run = async () => {
    // An abandoned download of the same file may still hold its temporary file.
    if (previous) await previous.promise.catch(() => undefined);
    const cached = await store.read(target);
    if (cached) return { bytes: cached, checkedBy: null };
    if (offline) throw offlineError(target, store, options.model);
    const bytes = await store.download(target, {
      signal: controller.signal,
      onProgress: (progress) => {
        for (const listener of listeners) listener(progress);
      },
      verify: options.verify,
    });
    return { bytes, checkedBy: options.verify ?? null };
  };
  const flight: Flight = { promise: run(), controller, listeners, waiters: 0, abandoned: false };
  flights.set(key, flight);
  const settle = () => {
    if (flights.get(key) === flight) flights.delete(key);
  };
  flight.promise.then(settle, settle);
  return flight;
}

function offlineError(target: HubTarget, store: HubStore, model: string | undefined): HubError {
  return new HubError(
    { fault: 'offline', url: target.url, repo: target.repo, file: target.file },
    `${target.file} of ${target.repo} is not cached (${store.location(target)}) and the Hub is ` +
      'off limits (HF_HUB_OFFLINE=1 or offline: true). Fill the cache with ' +
      `\`se-zoo download ${model ?? '<model>'}\`, or load it once online.`,
  );
}

/** Waits for `promise`, or rejects with the signal's reason when it aborts first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The bytes of a file of a Hub repository: from the cache, else downloaded, checked and cached.
 * Concurrent calls for one file share one download (and get the same array).
 *
 * @param repo Repository id, e.g. `timm/seresnet50.a1_in1k`.
 * @param file File path in the repository, e.g. `model.safetensors`.
 * @throws {HubError} naming the URL and the fault; with `signal`, its reason on abort.
 *
 * @example
 * ```ts
 * import { hubFile, readSafetensors } from '@se/core';
 *
 * const bytes = await hubFile('timm/seresnet50.a1_in1k', 'model.safetensors', {
 *   onProgress: ({ loaded, total }) => console.log(loaded, total),
 *   verify: (bytes) => void readSafetensors(bytes),
 * });
 * ```
 */
export async function hubFile(
  repo: string,
  file: string,
  options: HubFileOptions = {},
): Promise<Uint8Array> {
  const target: HubTarget = { repo, file, url: hubUrl(repo, file, options.endpoint) };
  options.signal?.throwIfAborted();
  const store = options.store ?? defaultStore(options.cacheDir);
  const offline = options.offline ?? offlineByEnv();
  const key = `${offline ? 'offline' : 'online'} ${store.location(target)}`;
  const existing = flights.get(key);
  const flight =
    existing && !existing.abandoned
      ? existing
      : startFlight(key, target, store, offline, options, existing);

  flight.waiters++;
  const { onProgress } = options;
  if (onProgress) flight.listeners.add(onProgress);
  let settled = false;
  try {
    const result = await untilAborted(flight.promise, options.signal);
    settled = true;
    // Callers that joined a download, and every cache hit, run their own hook here.
    if (options.verify && options.verify !== result.checkedBy) {
      const cachedAt = result.checkedBy === null ? store.location(target) : null;
      await runVerify(target, result.bytes, options.verify, cachedAt);
    }
    return result.bytes;
  } catch (error) {
    settled = !options.signal?.aborted;
    throw error;
  } finally {
    flight.waiters--;
    if (onProgress) flight.listeners.delete(onProgress);
    if (!settled && flight.waiters === 0) {
      flight.abandoned = true;
      flight.controller.abort(options.signal?.reason);
    }
  }
}

/**
 * The bytes of a cached Hub file, or `null` when it is not cached; never touches the network.
 * Runs `options.verify` on cached bytes.
 *
 * @example
 * ```ts
 * import { cachedHubFile } from '@se/core';
 *
 * const cached = await cachedHubFile('timm/seresnet50.a1_in1k', 'model.safetensors');
 * if (!cached) console.log('not downloaded yet');
 * ```
 */
export async function cachedHubFile(
  repo: string,
  file: string,
  options: Pick<HubFileOptions, 'endpoint' | 'cacheDir' | 'store' | 'verify'> = {},
): Promise<Uint8Array | null> {
  const target: HubTarget = { repo, file, url: hubUrl(repo, file, options.endpoint) };
  const store = options.store ?? defaultStore(options.cacheDir);
  const bytes = await store.read(target);
  if (bytes) await runVerify(target, bytes, options.verify, store.location(target));
  return bytes;
}
