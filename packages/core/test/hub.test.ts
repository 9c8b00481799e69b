import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  browserStore,
  type CacheLike,
  type CacheStorageLike,
  cachedHubFile,
  defaultCacheDir,
  HubError,
  type HubFileOptions,
  type HubProgress,
  hubCachePath,
  hubFile,
  hubUrl,
} from '../src/pretrained/hub.js';

// The Hub-shaped server is @se/testing's (tools/testing/src/hub-server.ts). @se/testing depends
// on @se/core, so core's tests load its source by path; a static import would put it in this
// package's tsc program, outside its rootDir. These are the parts of its API used here.
interface HubServerRequest {
  method: string;
  path: string;
  range: string | null;
  status: number;
}
interface HubServer {
  readonly endpoint: string;
  readonly requests: HubServerRequest[];
  addFile(
    repo: string,
    file: string,
    bytes: Uint8Array,
    options?: {
      lfs?: boolean;
      redirect?: boolean;
      sha256?: string;
      linkedSize?: number;
      ranges?: boolean;
    },
  ): void;
  sha256(repo: string, file: string): string;
  fail(
    repo: string,
    file: string,
    fault: { truncateAfter?: number; stallAfter?: number; status?: number },
  ): void;
  close(): Promise<void>;
}
const HUB_SERVER = fileURLToPath(
  new URL('../../../tools/testing/src/hub-server.ts', import.meta.url),
);
const { startHubServer } = (await import(/* @vite-ignore */ HUB_SERVER)) as {
  startHubServer(): Promise<HubServer>;
};

const REPO = 'timm/seresnet50.a1_in1k';
const FILE = 'model.safetensors';
const SIZE = 300_000;
const WRONG_SHA = 'ab'.repeat(32);

/** Deterministic, non-repeating-looking bytes. */
function payload(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

/** Every file under `dir`, relative, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** Byte equality (vitest's deep equality takes seconds on 300 kB). */
function expectBytes(actual: Uint8Array | null, expected: Uint8Array = bytes): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  expect(actual && Buffer.from(actual).equals(Buffer.from(expected))).toBe(true);
}

async function caught(promise: Promise<unknown>): Promise<HubError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HubError) return error;
    throw error;
  }
  throw new Error('expected a HubError');
}

let hub: HubServer;
let hubOpen = false;
let cache: string;
let bytes: Uint8Array;

async function stopHub(): Promise<void> {
  if (hubOpen) await hub.close();
  hubOpen = false;
}

function options(extra: HubFileOptions = {}): HubFileOptions {
  return { endpoint: hub.endpoint, cacheDir: cache, ...extra };
}

const finalPath = () => join(cache, REPO, FILE);
/** This process's partial download (`<file>.<pid>-<thread>.incomplete`). */
const OWN_PARTIAL = `${FILE}.${process.pid}-${threadId}.incomplete`;

beforeEach(async () => {
  vi.stubEnv('HF_HUB_OFFLINE', undefined);
  vi.stubEnv('HF_ENDPOINT', undefined);
  hub = await startHubServer();
  hubOpen = true;
  cache = await mkdtemp(join(tmpdir(), 'se-zoo-hub-'));
  bytes = payload(SIZE);
  hub.addFile(REPO, FILE, bytes);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await stopHub();
  await rm(cache, { recursive: true, force: true });
});

describe('hubUrl, defaultCacheDir, hubCachePath', () => {
  it('builds resolve/main URLs on the Hub, HF_ENDPOINT or the endpoint given', () => {
    expect(hubUrl(REPO, FILE)).toBe(
      'https://huggingface.co/timm/seresnet50.a1_in1k/resolve/main/model.safetensors',
    );
    vi.stubEnv('HF_ENDPOINT', 'https://hf-mirror.com/');
    expect(hubUrl(REPO, 'config.json')).toBe(
      'https://hf-mirror.com/timm/seresnet50.a1_in1k/resolve/main/config.json',
    );
    expect(hubUrl('gpt2', 'sub dir/a#b.json', 'http://127.0.0.1:9')).toBe(
      'http://127.0.0.1:9/gpt2/resolve/main/sub%20dir/a%23b.json',
    );
  });

  it('rejects repo ids and file paths that are not the Hub’s or would leave the cache', () => {
    for (const [repo, file] of [
      ['a/b/c', FILE],
      ['../x', FILE],
      ['', FILE],
      ['timm/x y', FILE],
      [REPO, '../../etc/passwd'],
      [REPO, '/abs'],
      [REPO, 'a\\b'],
      [REPO, ''],
    ] as const) {
      expect(() => hubUrl(repo, file), `${repo} ${file}`).toThrow(HubError);
    }
    expect(() => hubUrl('x/..', FILE)).toThrow(/Invalid Hub repo "x\/\.\."/);
  });

  it('puts the Node cache in SE_ZOO_CACHE, else $XDG_CACHE_HOME/se-zoo, else ~/.cache/se-zoo', () => {
    vi.stubEnv('SE_ZOO_CACHE', '/tmp/zoo');
    vi.stubEnv('XDG_CACHE_HOME', '/tmp/xdg');
    vi.stubEnv('HOME', '/home/u');
    expect(defaultCacheDir()).toBe('/tmp/zoo');
    vi.stubEnv('SE_ZOO_CACHE', '');
    expect(defaultCacheDir()).toBe('/tmp/xdg/se-zoo');
    vi.stubEnv('XDG_CACHE_HOME', undefined);
    expect(defaultCacheDir()).toBe('/home/u/.cache/se-zoo');
    expect(hubCachePath(REPO, FILE)).toBe(
      '/home/u/.cache/se-zoo/timm/seresnet50.a1_in1k/model.safetensors',
    );
    expect(hubCachePath(REPO, 'a/b.json', '/c/')).toBe('/c/timm/seresnet50.a1_in1k/a/b.json');
  });
});

describe('hubFile in Node (a cache directory)', () => {
  it('downloads with progress up to the total, then serves the cache with the server stopped', async () => {
    const events: HubProgress[] = [];
    const first = await hubFile(REPO, FILE, options({ onProgress: (p) => events.push({ ...p }) }));
    expectBytes(first);
    expect(hub.requests.map((r) => [r.path, r.range, r.status])).toEqual([
      [`/${REPO}/resolve/main/${FILE}`, null, 200],
    ]);
    expect(events[0]).toEqual({ loaded: 0, total: SIZE });
    expect(events.at(-1)).toEqual({ loaded: SIZE, total: SIZE });
    expect(events.length).toBeGreaterThan(2);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]?.loaded).toBeGreaterThanOrEqual(events[i - 1]?.loaded ?? 0);
    }
    expect(await filesUnder(cache)).toEqual([`${REPO}/${FILE}`]);

    await stopHub();
    const progress = vi.fn();
    const second = await hubFile(REPO, FILE, options({ onProgress: progress }));
    expectBytes(second);
    expect(progress).not.toHaveBeenCalled();
    expectBytes(await cachedHubFile(REPO, FILE, options()), second);
    expect(await cachedHubFile(REPO, 'config.json', options())).toBeNull();
  });

  it('reads the sha256 from the Hub’s redirect to its CDN and checks it', async () => {
    hub.addFile(REPO, FILE, bytes, { redirect: true });
    const got = await hubFile(REPO, FILE, options());
    expectBytes(got);
    expect(hub.requests.map((r) => r.status)).toEqual([302, 200]);
    expect(hub.requests[1]?.path).toBe(`/cdn/${hub.sha256(REPO, FILE)}/${REPO}/${FILE}`);

    const other = 'timm/other.x';
    hub.addFile(other, FILE, bytes, { redirect: true, sha256: WRONG_SHA });
    const error = await caught(hubFile(other, FILE, options()));
    expect(error.fault).toBe('sha256');
    expect(error.expected).toBe(WRONG_SHA);
    expect(error.actual).toBe(hub.sha256(REPO, FILE));
  });

  it('a 404 names the status, the URL and the fault; nothing is cached', async () => {
    const error = await caught(hubFile(REPO, 'nope.safetensors', options()));
    const url = `${hub.endpoint}/${REPO}/resolve/main/nope.safetensors`;
    expect(error).toMatchObject({ fault: 'http', status: 404, url, repo: REPO });
    expect(error.file).toBe('nope.safetensors');
    expect(error.message).toBe(
      `404 Not Found: ${url} — no such repository or file on the Hub (Hub: Entry not found)`,
    );
    expect(await filesUnder(cache)).toEqual([]);
  });

  it('an unknown repository (401, as the Hub answers anonymous clients) is explained', async () => {
    const error = await caught(hubFile('timm/missing.x', FILE, options()));
    expect(error.status).toBe(401);
    expect(error.message).toMatch(
      /^401 Unauthorized: http:\/\/127\.0\.0\.1:\d+\/timm\/missing\.x\//,
    );
    expect(error.message).toMatch(/no such repository on the Hub, or it is private or gated/);
  });

  it('a server error and an unreachable server are HubErrors naming the URL', async () => {
    hub.fail(REPO, FILE, { status: 503 });
    const error = await caught(hubFile(REPO, FILE, options()));
    expect(error.message).toMatch(/^503 Service Unavailable: .* — the Hub \(or mirror\) failed/);
    await stopHub();
    const down = await caught(hubFile(REPO, FILE, options()));
    expect(down.fault).toBe('network');
    expect(down.message).toContain(`Could not reach ${down.url}`);
    expect(await filesUnder(cache)).toEqual([]);
  });

  it('a truncated body fails and leaves nothing under the final name', async () => {
    hub.fail(REPO, FILE, { truncateAfter: 100_000 });
    const error = await caught(hubFile(REPO, FILE, options()));
    expect(['interrupted', 'size']).toContain(error.fault);
    expect(error.message).toContain(error.url);
    expect(error.expected).toBe(SIZE);
    const left = await filesUnder(cache);
    expect(left).not.toContain(`${REPO}/${FILE}`);
    expect(await cachedHubFile(REPO, FILE, options())).toBeNull();
    // Only the partial download, named after this process, for resuming.
    expect(left).toEqual([`${REPO}/${OWN_PARTIAL}`]);
  });

  it('resumes an interrupted download with a Range request; the result is byte-identical', async () => {
    hub.fail(REPO, FILE, { truncateAfter: 100_000 });
    await caught(hubFile(REPO, FILE, options()));
    const partial = await readFile(join(cache, REPO, OWN_PARTIAL));
    expect(partial.byteLength).toBe(100_000);

    const events: HubProgress[] = [];
    const got = await hubFile(REPO, FILE, options({ onProgress: (p) => events.push({ ...p }) }));
    expect(hub.requests.at(-1)).toMatchObject({ range: 'bytes=100000-', status: 206 });
    expect(events[0]).toEqual({ loaded: 100_000, total: SIZE });
    expect(events.at(-1)).toEqual({ loaded: SIZE, total: SIZE });
    expectBytes(got);
    expectBytes(await readFile(finalPath()));
    expect(await filesUnder(cache)).toEqual([`${REPO}/${FILE}`]);
  });

  it('starts over when the server ignores the Range and answers 200', async () => {
    hub.addFile(REPO, FILE, bytes, { ranges: false });
    hub.fail(REPO, FILE, { truncateAfter: 100_000 });
    await caught(hubFile(REPO, FILE, options()));
    const got = await hubFile(REPO, FILE, options());
    expect(hub.requests.at(-1)).toMatchObject({ range: 'bytes=100000-', status: 200 });
    expectBytes(got);
  });

  it('starts over when the partial file is as long as the file (416)', async () => {
    await mkdir(join(cache, REPO), { recursive: true });
    await writeFile(join(cache, REPO, OWN_PARTIAL), payload(SIZE, 7));
    const got = await hubFile(REPO, FILE, options());
    expect(hub.requests.map((r) => [r.range, r.status])).toEqual([
      [`bytes=${SIZE}-`, 416],
      [null, 200],
    ]);
    expectBytes(got);
  });

  it('takes over the partial download of a process that has exited', async () => {
    const deadPid = 2 ** 22 + 12_345; // above Linux's pid_max: no such process
    await mkdir(join(cache, REPO), { recursive: true });
    await writeFile(`${finalPath()}.${deadPid}-0.incomplete`, bytes.subarray(0, 120_000));
    const got = await hubFile(REPO, FILE, options());
    expect(hub.requests.map((r) => r.range)).toEqual(['bytes=120000-']);
    expectBytes(got);
    expect(await filesUnder(cache)).toEqual([`${REPO}/${FILE}`]);
  });

  it('leaves alone the partial download of a process that is still running', async () => {
    const other = `${FILE}.${process.ppid}-0.incomplete`; // our parent: alive
    await mkdir(join(cache, REPO), { recursive: true });
    await writeFile(join(cache, REPO, other), bytes.subarray(0, 120_000));
    expectBytes(await hubFile(REPO, FILE, options()));
    expect(hub.requests.map((r) => r.range)).toEqual([null]);
    expect(await filesUnder(cache)).toEqual([`${REPO}/${FILE}`, `${REPO}/${other}`]);
  });

  it('a wrong X-Linked-Etag sha256 fails and leaves the cache empty', async () => {
    hub.addFile(REPO, FILE, bytes, { sha256: WRONG_SHA });
    const error = await caught(hubFile(REPO, FILE, options()));
    expect(error.fault).toBe('sha256');
    expect(error.message).toBe(
      `sha256 mismatch for ${error.url}: the Hub gives ${WRONG_SHA}, the download is ${hub.sha256(REPO, FILE)}`,
    );
    expect(await filesUnder(cache)).toEqual([]);
  });

  it('a size that disagrees with X-Linked-Size fails and leaves the cache empty', async () => {
    hub.addFile(REPO, FILE, bytes, { linkedSize: SIZE - 1 });
    const error = await caught(hubFile(REPO, FILE, options()));
    expect(error).toMatchObject({ fault: 'size', expected: SIZE - 1, actual: SIZE });
    expect(error.message).toContain(error.url);
    expect(await filesUnder(cache)).toEqual([]);
  });

  it('takes a small git file’s 40-hex ETag for what it is, not a sha256', async () => {
    const config = new TextEncoder().encode('{"architecture": "seresnet50"}');
    hub.addFile(REPO, 'config.json', config, { lfs: false });
    expect(await hubFile(REPO, 'config.json', options())).toEqual(config);
  });

  it('a verify hook that throws fails the load with its message; the cache stays empty', async () => {
    const verify = () => {
      throw new Error('unexpected key fc.weight');
    };
    const error = await caught(hubFile(REPO, FILE, options({ verify })));
    expect(error.fault).toBe('verify');
    expect(error.message).toBe(`${error.url} failed verification: unexpected key fc.weight`);
    expect(error.cause).toBeInstanceOf(Error);
    expect(await filesUnder(cache)).toEqual([]);

    // A cached file that a hook rejects is reported where it is, and kept.
    await hubFile(REPO, FILE, options());
    const cached = await caught(hubFile(REPO, FILE, options({ verify })));
    expect(cached.message).toContain(`(cached at ${finalPath()}; delete it to download again)`);
    expect(await filesUnder(cache)).toEqual([`${REPO}/${FILE}`]);
  });

  it('offline with an empty cache: a clear error and no request', async () => {
    const error = await caught(
      hubFile(REPO, FILE, options({ offline: true, model: 'seresnet50' })),
    );
    expect(error.fault).toBe('offline');
    expect(error.message).toBe(
      `model.safetensors of ${REPO} is not cached (${finalPath()}) and the Hub is off limits ` +
        '(HF_HUB_OFFLINE=1 or offline: true). Fill the cache with `se-zoo download seresnet50`, ' +
        'or load it once online.',
    );
    vi.stubEnv('HF_HUB_OFFLINE', '1');
    const byEnv = await caught(hubFile(REPO, FILE, options()));
    expect(byEnv.message).toContain('`se-zoo download <model>`');
    expect(hub.requests).toEqual([]);
    // `offline: false` overrides the environment.
    expectBytes(await hubFile(REPO, FILE, options({ offline: false })));
  });

  it('offline with a filled cache: the bytes, without any request', async () => {
    await hubFile(REPO, FILE, options());
    const before = hub.requests.length;
    vi.stubEnv('HF_HUB_OFFLINE', '1');
    expectBytes(await hubFile(REPO, FILE, options()));
    expectBytes(await hubFile(REPO, FILE, options({ offline: true })));
    expect(hub.requests.length).toBe(before);
  });

  it('two concurrent loads of one file make one request', async () => {
    const progressA = vi.fn();
    const progressB = vi.fn();
    const [a, b] = await Promise.all([
      hubFile(REPO, FILE, options({ onProgress: progressA })),
      hubFile(REPO, FILE, options({ onProgress: progressB })),
    ]);
    expect(hub.requests).toHaveLength(1);
    expect(a).toBe(b);
    expectBytes(a);
    expect(progressA).toHaveBeenLastCalledWith({ loaded: SIZE, total: SIZE });
    expect(progressB).toHaveBeenLastCalledWith({ loaded: SIZE, total: SIZE });
  });

  it('an aborted load rejects with the signal’s reason; the next load resumes', async () => {
    hub.fail(REPO, FILE, { stallAfter: 50_000 });
    const controller = new AbortController();
    const load = hubFile(
      REPO,
      FILE,
      options({
        signal: controller.signal,
        onProgress: ({ loaded }) => {
          if (loaded >= 50_000) controller.abort();
        },
      }),
    );
    await expect(load).rejects.toMatchObject({ name: 'AbortError' });
    const got = await hubFile(REPO, FILE, options());
    expect(hub.requests.at(-1)).toMatchObject({ range: 'bytes=50000-', status: 206 });
    expectBytes(got);
    await expect(
      hubFile(REPO, FILE, options({ signal: AbortSignal.abort() })),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});

/** A Map-backed stand-in for the browser's `caches`. */
class FakeCaches implements CacheStorageLike {
  readonly caches = new Map<string, Map<string, Response>>();
  readonly puts: string[] = [];

  async open(name: string): Promise<CacheLike> {
    const entries = this.caches.get(name) ?? new Map<string, Response>();
    this.caches.set(name, entries);
    return {
      match: async (url) => entries.get(url)?.clone(),
      put: async (url, response) => {
        this.puts.push(url);
        entries.set(url, response);
      },
    };
  }

  urls(name = 'se-zoo'): string[] {
    return [...(this.caches.get(name)?.keys() ?? [])];
  }
}

describe('hubFile in the browser (Cache Storage), run in Node with a fake caches', () => {
  let storage: FakeCaches;
  beforeEach(() => {
    storage = new FakeCaches();
  });
  const browserOptions = (extra: HubFileOptions = {}): HubFileOptions => ({
    endpoint: hub.endpoint,
    store: browserStore(storage),
    ...extra,
  });

  it('streams the download with progress, puts it in Cache Storage, then serves it offline', async () => {
    const events: HubProgress[] = [];
    const first = await hubFile(
      REPO,
      FILE,
      browserOptions({ onProgress: (p) => events.push({ ...p }) }),
    );
    expectBytes(first);
    expect(events.at(-1)).toEqual({ loaded: SIZE, total: SIZE });
    expect(storage.urls()).toEqual([hubUrl(REPO, FILE, hub.endpoint)]);

    await stopHub();
    expectBytes(await hubFile(REPO, FILE, browserOptions({ offline: true })));
    expectBytes(await cachedHubFile(REPO, FILE, browserOptions()));
    expect(await filesUnder(cache)).toEqual([]); // nothing on disk
  });

  it('follows the redirect and checks the CDN’s ETag sha256', async () => {
    hub.addFile(REPO, FILE, bytes, { redirect: true });
    expectBytes(await hubFile(REPO, FILE, browserOptions()));
    hub.addFile('timm/other.x', FILE, bytes, { redirect: true, sha256: WRONG_SHA });
    const error = await caught(hubFile('timm/other.x', FILE, browserOptions()));
    expect(error.fault).toBe('sha256');
    expect(storage.urls()).toEqual([hubUrl(REPO, FILE, hub.endpoint)]);
  });

  it('caches nothing on a 404, a truncated body, a wrong sha256 or a failed verify', async () => {
    expect((await caught(hubFile(REPO, 'x.bin', browserOptions()))).status).toBe(404);
    hub.fail(REPO, FILE, { truncateAfter: 100_000 });
    expect(['interrupted', 'size']).toContain(
      (await caught(hubFile(REPO, FILE, browserOptions()))).fault,
    );
    hub.addFile(REPO, FILE, bytes, { sha256: WRONG_SHA });
    expect((await caught(hubFile(REPO, FILE, browserOptions()))).fault).toBe('sha256');
    hub.addFile(REPO, FILE, bytes);
    const verify = () => {
      throw new Error('bad header');
    };
    const error = await caught(hubFile(REPO, FILE, browserOptions({ verify })));
    expect(error.message).toContain('failed verification: bad header');
    expect(storage.puts).toEqual([]);
    const offline = await caught(hubFile(REPO, FILE, browserOptions({ offline: true })));
    expect(offline.message).toContain(`(Cache Storage "se-zoo": ${offline.url})`);
  });

  it('without Cache Storage, downloads each time', async () => {
    const store = browserStore(null);
    expectBytes(await hubFile(REPO, FILE, { endpoint: hub.endpoint, store }));
    expectBytes(await hubFile(REPO, FILE, { endpoint: hub.endpoint, store }));
    expect(hub.requests).toHaveLength(2);
  });
});
