// A local, Hub-shaped HTTP server for tests that download pretrained weights without a network:
// `GET /<repo>/resolve/main/<file>` like huggingface.co, on 127.0.0.1 and a random port. It
// depends on nothing but `node:http` and `node:crypto`, so any package's tests can load it.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How the server serves one file. */
export interface HubServerFileOptions {
  /**
   * Send the Hub's LFS headers, `X-Linked-Etag: "<sha256>"` and `X-Linked-Size` (default true;
   * false serves it like a small git file, with a git-style 40-hex `ETag`).
   */
  lfs?: boolean;
  /**
   * Answer `resolve` with a 302 carrying the LFS headers, to `/cdn/<sha256>/<repo>/<file>` which
   * serves the bytes with `ETag: "<sha256>"`, as the Hub does for large files (default false).
   */
  redirect?: boolean;
  /** The sha256 announced (`X-Linked-Etag`, and the CDN's `ETag`); default the true one. */
  sha256?: string;
  /** The size announced in `X-Linked-Size`; default the true one. */
  linkedSize?: number;
  /** Honour `Range: bytes=N-` with a 206 (default true; false answers 200 with everything). */
  ranges?: boolean;
}

/** A fault for the next request that serves a file's bytes (then the file is served normally). */
export interface HubServerFault {
  /** Announce the full `Content-Length`, send this many bytes, then drop the connection. */
  truncateAfter?: number;
  /** Send this many bytes, then hang (until the client gives up or the server closes). */
  stallAfter?: number;
  /** Answer with this status and no body. */
  status?: number;
}

/** A request the server got. */
export interface HubServerRequest {
  method: string;
  /** The path, e.g. `/timm/x.y/resolve/main/model.safetensors`. */
  path: string;
  /** The `Range` header, or null. */
  range: string | null;
  /** The status answered. */
  status: number;
}

/** A running Hub-shaped server. */
export interface HubServer {
  /** `http://127.0.0.1:<port>`, to pass as `endpoint` or `HF_ENDPOINT`. */
  readonly endpoint: string;
  /** Every request so far, in order. */
  readonly requests: HubServerRequest[];
  /** Serves `bytes` as `<repo>/<file>` (replacing any earlier version). */
  addFile(repo: string, file: string, bytes: Uint8Array, options?: HubServerFileOptions): void;
  /** The true sha256 (hex) of a file served. */
  sha256(repo: string, file: string): string;
  /** Makes the next request for the file's bytes fail as `fault` says. */
  fail(repo: string, file: string, fault: HubServerFault): void;
  /** Stops the server, dropping open connections. */
  close(): Promise<void>;
}

interface Entry {
  bytes: Uint8Array;
  sha256: string;
  options: HubServerFileOptions;
  faults: HubServerFault[];
}

const RESOLVE = /^\/(.+)\/resolve\/main\/(.+)$/;

/**
 * The Hub's CORS answer, so a page on another origin (a browser test's local server) can fetch
 * the files and read the headers the download checks (size, sha256, range, error message).
 */
const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers':
    'Content-Length, Content-Range, ETag, X-Linked-Etag, X-Linked-Size, X-Error-Code, X-Error-Message',
};

/**
 * Starts a server that answers like the Hub: 200 (or 206 for `Range: bytes=N-`, 416 past the
 * end) with `Content-Length`, `ETag` and the LFS headers; an unknown file of a known repository is
 * 404 (`X-Error-Code: EntryNotFound`), an unknown repository 401 (`RepoNotFound`), as the Hub
 * answers anonymous clients. Every answer carries the Hub's CORS headers
 * (`Access-Control-Allow-Origin: *`, the checked headers exposed), and a preflight (`OPTIONS`)
 * is answered 204, so browser pages on any origin can download from it.
 *
 * @example
 * ```ts
 * const hub = await startHubServer();
 * hub.addFile('timm/x.y', 'model.safetensors', bytes);
 * await hubFile('timm/x.y', 'model.safetensors', { endpoint: hub.endpoint });
 * await hub.close();
 * ```
 */
export async function startHubServer(): Promise<HubServer> {
  const files = new Map<string, Entry>();
  const requests: HubServerRequest[] = [];
  const sockets = new Set<Socket>();

  const entry = (repo: string, file: string): Entry => {
    const found = files.get(`${repo}/${file}`);
    if (!found) throw new Error(`hub server: no file ${repo}/${file}`);
    return found;
  };

  const finish = (req: IncomingMessage, res: ServerResponse, status: number) => {
    requests.push({
      method: req.method ?? 'GET',
      path: req.url ?? '',
      range: req.headers.range ?? null,
      status,
    });
    res.statusCode = status;
  };

  const serveBytes = (req: IncomingMessage, res: ServerResponse, item: Entry, etag: string) => {
    const fault = item.faults.shift();
    if (fault?.status !== undefined) {
      finish(req, res, fault.status);
      res.end();
      return;
    }
    const size = item.bytes.byteLength;
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = match && item.options.ranges !== false ? Number(match[1]) : 0;
    if (match && item.options.ranges !== false && start >= size) {
      finish(req, res, 416);
      res.setHeader('Content-Range', `bytes */${size}`);
      res.end();
      return;
    }
    const body = item.bytes.subarray(start);
    finish(req, res, start > 0 ? 206 : 200);
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(body.byteLength));
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('ETag', etag);
    if (start > 0) res.setHeader('Content-Range', `bytes ${start}-${size - 1}/${size}`);
    const cut = fault?.truncateAfter ?? fault?.stallAfter;
    if (cut === undefined) {
      res.end(body);
      return;
    }
    res.flushHeaders();
    res.write(body.subarray(0, cut), () => {
      if (fault?.truncateAfter !== undefined) setTimeout(() => res.socket?.destroy(), 20);
    });
  };

  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
    if (req.method === 'OPTIONS') {
      // A preflight, for a fetch with non-simple headers (`Range` when resuming).
      finish(req, res, 204);
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
      res.setHeader(
        'Access-Control-Allow-Headers',
        req.headers['access-control-request-headers'] ?? 'Range, Accept-Encoding',
      );
      res.setHeader('Access-Control-Max-Age', '600');
      res.end();
      return;
    }
    const path = decodeURI((req.url ?? '').split('?')[0] ?? '');
    const cdn = /^\/cdn\/([0-9a-f]{64})\/(.+)$/.exec(path);
    if (cdn) {
      const item = files.get(cdn[2] ?? '');
      if (!item || item.sha256 !== cdn[1]) {
        finish(req, res, 404);
        res.end();
        return;
      }
      serveBytes(req, res, item, `"${item.options.sha256 ?? item.sha256}"`);
      return;
    }
    const resolve = RESOLVE.exec(path);
    const repo = resolve?.[1] ?? '';
    const file = resolve?.[2] ?? '';
    const item = files.get(`${repo}/${file}`);
    if (!item) {
      const known = [...files.keys()].some((key) => key.startsWith(`${repo}/`));
      finish(req, res, known ? 404 : 401);
      res.setHeader('X-Error-Code', known ? 'EntryNotFound' : 'RepoNotFound');
      res.setHeader('X-Error-Message', known ? 'Entry not found' : 'Repository not found');
      res.end();
      return;
    }
    const lfs = item.options.lfs !== false;
    const announced = item.options.sha256 ?? item.sha256;
    if (lfs) {
      res.setHeader('X-Linked-Etag', `"${announced}"`);
      res.setHeader('X-Linked-Size', String(item.options.linkedSize ?? item.bytes.byteLength));
    }
    if (lfs && item.options.redirect) {
      finish(req, res, 302);
      res.setHeader('Location', `/cdn/${item.sha256}/${repo}/${file}`);
      res.end();
      return;
    }
    const etag = lfs ? `"${announced}"` : `"${item.sha256.slice(0, 40)}"`;
    serveBytes(req, res, item, etag);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    addFile(repo, file, bytes, options = {}) {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      files.set(`${repo}/${file}`, { bytes, sha256, options, faults: [] });
    },
    sha256: (repo, file) => entry(repo, file).sha256,
    fail(repo, file, fault) {
      entry(repo, file).faults.push(fault);
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
