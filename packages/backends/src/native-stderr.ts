// Native code that prints to stderr itself (Dawn's `fprintf(stderr, …)`) writes to file descriptor 2
// directly, past `process.stderr`, where no JavaScript can filter it. This runs such a call with
// fd 2 pointed at a temporary file and passes on what it printed, less the lines known to be noise.
import { type NodeApi, nodeProcess } from './node.js';

/**
 * Runs `fn`, a synchronous call into native code, with file descriptor 2 pointed at an unlinked
 * temporary file; then writes what was printed there, less the lines `drop` matches, to
 * `process.stderr`. Node has no `dup2`, so fd 2 is closed and reopened (as the lowest free
 * descriptor) through `/proc/self/fd`. That takes Linux, fds 0 and 1 open, nothing of Node's own
 * waiting to be written to stderr, and a stderr that reopens as it was: a pipe, a terminal or a
 * file opened for appending, not a socket (what Node's child_process gives a child for 'pipe').
 * Otherwise `fn` just runs and prints what it prints.
 */
export function filterNativeStderr<T>(node: NodeApi, drop: RegExp, fn: () => T): T {
  const { fs, os, path } = node;
  const proc = nodeProcess();
  if (proc.platform !== 'linux' || (proc.stderr.writableLength ?? 0) > 0) return fn();
  const { O_RDWR, O_CREAT, O_EXCL } = fs.constants;
  // Where anything below fails, `fn` runs with stderr as it is (and is called once, outside).
  let original: number | null = null;
  try {
    // fstat throws where 0 or 1 is closed: then 2 would not be the lowest free descriptor.
    if (reopenable(node) && fs.fstatSync(0) && fs.fstatSync(1)) original = reopen(node, 2);
  } catch {
    // Not reopenable: leave stderr alone.
  }
  if (original === null) return fn();
  let capture: number;
  try {
    const name = `se-zoo-stderr-${proc.pid}-${Math.random().toString(36).slice(2)}`;
    const file = path.join(os.tmpdir(), name);
    capture = fs.openSync(file, O_RDWR | O_CREAT | O_EXCL, 0o600);
    fs.unlinkSync(file);
  } catch {
    fs.closeSync(original);
    return fn();
  }
  if (!moveStderrTo(node, capture)) {
    // Where fd 2 is left closed, put stderr back; where another thread took it, leave that be.
    if (stderrIsFree(node)) reopenAsStderr(node, original);
    fs.closeSync(original);
    fs.closeSync(capture);
    return fn();
  }
  try {
    return fn();
  } finally {
    moveStderrTo(node, original);
    fs.closeSync(original);
    const printed = readAll(node, capture);
    fs.closeSync(capture);
    const kept = printed
      .split(/(?<=\n)/)
      .filter((line) => !drop.test(line.replace(/\r?\n$/, '')))
      .join('');
    if (kept) proc.stderr.write(kept);
  }
}

/**
 * Whether fd 2 can be reopened without changing where later writes land: a pipe or a terminal, or
 * a regular file opened for appending (`2>>log`). A file opened otherwise (`2>log`, `>log 2>&1`)
 * would get an offset of its own, and stderr would overwrite what stdout writes, or the reverse.
 */
function reopenable({ fs }: NodeApi): boolean {
  const stat = fs.fstatSync(2);
  if (stat.isFIFO() || stat.isCharacterDevice()) return true;
  if (!stat.isFile()) return false;
  const info = new TextDecoder().decode(fs.readFileSync('/proc/self/fdinfo/2'));
  const flags = /^flags:\s*([0-7]+)$/m.exec(info)?.[1];
  return flags !== undefined && (Number.parseInt(flags, 8) & fs.constants.O_APPEND) !== 0;
}

/** Opens what descriptor `fd` is open on once more, for writing (a new opening, not a `dup`). */
function reopen({ fs }: NodeApi, fd: number): number {
  const { O_WRONLY, O_APPEND, O_NOCTTY } = fs.constants;
  return fs.openSync(`/proc/self/fd/${fd}`, O_WRONLY | O_APPEND | O_NOCTTY);
}

/**
 * Makes fd 2 another opening of what `fd` is open on: closes 2 and reopens `fd`, which gets the
 * lowest free descriptor, 2. False where it did not (2 is then closed, or another thread's).
 */
function moveStderrTo(node: NodeApi, fd: number): boolean {
  node.fs.closeSync(2);
  return reopenAsStderr(node, fd);
}

/** Reopens `fd` into the free descriptor 2; false (and nothing left open) where it lands elsewhere. */
function reopenAsStderr(node: NodeApi, fd: number): boolean {
  let reopened: number;
  try {
    reopened = reopen(node, fd);
  } catch {
    return false;
  }
  if (reopened === 2) return true;
  node.fs.closeSync(reopened);
  return false;
}

function stderrIsFree({ fs }: NodeApi): boolean {
  try {
    fs.fstatSync(2);
    return false;
  } catch {
    return true;
  }
}

function readAll({ fs }: NodeApi, fd: number): string {
  const bytes = new Uint8Array(fs.fstatSync(fd).size);
  let read = 0;
  while (read < bytes.length) {
    const n = fs.readSync(fd, bytes, read, bytes.length - read, read);
    if (n <= 0) break;
    read += n;
  }
  return new TextDecoder().decode(bytes.subarray(0, read));
}
