/**
 * How results reach the disk: every file is written whole or not at all (temporary file, fsync,
 * rename, fsync of the directory), and every results file carries a SHA-256 of its content, so
 * that a damaged file is an error naming it instead of a silently wrong number.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** A results file that cannot be trusted: unreadable, not JSON, or its checksum does not match. */
export class DamagedFileError extends Error {
  override name = 'DamagedFileError';
  constructor(
    readonly file: string,
    readonly problem: string,
    advice: string,
  ) {
    super(`${file} is damaged (${problem}); ${advice}`);
  }
}

const TEMPORARY = /\.(\d+)\.tmp$/;

/** Writes `data` to `path` through a temporary file, fsync and a rename: never a half file. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  // The rename itself survives a power cut only once the directory is synced.
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } catch {
    // Some file systems cannot sync a directory; the rename is still atomic.
  } finally {
    await directory.close();
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A directory another live process is writing to. */
export class DirectoryInUseError extends Error {
  override name = 'DirectoryInUseError';
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `${dir} is being written by another se-zoo process (pid ${pid}); wait for it to finish or stop it, or use another --out`,
    );
  }
}

/**
 * Takes `dir` for this process (a `.lock` file holding its pid), so that two processes never
 * write one run at once; a lock whose process has ended is taken over. Resolves to the release.
 */
export async function lockDirectory(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, '.lock');
  for (;;) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    // This process's own lock can only be left by a call that ended without releasing it.
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new DirectoryInUseError(dir, pid);
    }
    await rm(path, { force: true });
  }
}

/**
 * Removes the temporary files that a killed process left in `dir` (`<name>.<pid>.tmp` of a
 * process that no longer runs); returns their names.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const match = TEMPORARY.exec(name);
    if (match && !isAlive(Number(match[1]))) {
      await rm(join(dir, name), { force: true });
      removed.push(name);
    }
  }
  return removed;
}

/** SHA-256 of bytes or text, in hex. */
export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const CHECKSUM = 'sha256';

/**
 * Writes `value` as indented JSON with a last field `sha256`: the hash of the rest of the
 * object as compact JSON, which {@link readJsonFile} recomputes.
 */
export async function writeJsonFile(path: string, value: object): Promise<void> {
  const { [CHECKSUM]: _old, ...content } = value as Record<string, unknown>;
  const withSum = { ...content, [CHECKSUM]: sha256(JSON.stringify(content)) };
  await writeFileAtomic(path, `${JSON.stringify(withSum, null, 2)}\n`);
}

/**
 * Reads a file written by {@link writeJsonFile}, checking its checksum. A missing checksum, a
 * mismatch or text that is not JSON is a {@link DamagedFileError} whose message ends with
 * `advice` (what the user should do).
 */
export async function readJsonFile<T>(path: string, advice: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DamagedFileError(path, (error as Error).message, advice);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DamagedFileError(path, `not JSON: ${(error as Error).message}`, advice);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DamagedFileError(path, 'not a JSON object', advice);
  }
  const { [CHECKSUM]: sum, ...content } = parsed as Record<string, unknown>;
  if (typeof sum !== 'string') throw new DamagedFileError(path, 'it has no checksum', advice);
  if (sha256(JSON.stringify(content)) !== sum) {
    throw new DamagedFileError(path, 'its SHA-256 checksum does not match its content', advice);
  }
  return content as T;
}
