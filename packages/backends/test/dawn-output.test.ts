// Dawn (the optional `webgpu` package) prints "Warning: maxDynamic…BuffersPerPipelineLayout
// artificially reduced…" from native code, straight to file descriptor 2, whenever an instance
// first lists its adapters: on lavapipe (CI) as on NVIDIA's Vulkan driver. These tests run
// setBackend in scripts of their own, as the CLI does, and read everything they print. Where Dawn
// finds no adapter at all (no Vulkan driver) the warning never comes, and they prove less.
//
// A child's stdio that Node makes for 'pipe' is a socket, which the in-process filter cannot
// reopen (it then leaves stderr alone); a terminal or a shell's `|` is a pipe. So the tests of
// that filter run their script behind a shell pipe, the others as Node spawns them.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';

// The built package, as a user's script imports it (the backends tests run after its build).
const dist = (file: string) => new URL(`../dist/${file}`, import.meta.url).href;
const cwd = new URL('..', import.meta.url);
const LIMIT_WARNING = /artificially reduced/;
const ANY_WARNING = /^Warning:/m;

interface Outcome {
  /** The backend chosen, or the message of the error setBackend threw. */
  name?: string;
  error?: string;
}

interface Run {
  outcomes: Outcome[];
  /** Whether Dawn's native module was loaded into the script's process. */
  dawnLoaded: boolean;
  stdout: string;
  stderr: string;
}

interface NodeOptions {
  env?: Record<string, string>;
  /** Give the script's stderr a pipe, through `sh` (default: the socket Node makes). */
  pipe?: boolean;
}

function node(script: string, { env = {}, pipe = false }: NodeOptions = {}) {
  const args = ['--input-type=module', '-e', script];
  // stderr into the pipe to `cat`, which writes it to the shell's stderr; stdout straight through.
  const sh = '{ "$0" "$@" 2>&1 >&3 3>&- | cat >&2 3>&-; } 3>&1';
  const run = spawnSync(
    pipe ? '/bin/sh' : process.execPath,
    pipe ? ['-c', sh, process.execPath, ...args] : args,
    {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 120_000, // a hang would otherwise be the test runner's problem
    },
  );
  expect(run.error).toBeUndefined();
  expect(run.status, run.stderr).toBe(0);
  return run;
}

/** Calls setBackend(name) for each name in a fresh Node process, its line going to stderr. */
function setBackendIn(names: string[], options: NodeOptions = {}): Run {
  const script = `
    import { createRequire } from 'node:module';
    import { setBackend } from '${dist('index.js')}';
    const outcomes = [];
    for (const name of ${JSON.stringify(names)}) {
      try {
        const info = await setBackend(name, { log: (line) => console.error(line) });
        outcomes.push({ name: info.name });
      } catch (error) {
        outcomes.push({ error: error.message });
      }
    }
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify({ outcomes, dawnLoaded: loaded.some((f) => f.endsWith('dawn.node')) }));
    process.exit(0); // a Dawn instance would keep Node alive`;
  const run = node(script, options);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as Run;
  return { ...result, stdout: run.stdout, stderr: run.stderr };
}

describe("Dawn's native output", () => {
  it("stays out of setBackend('auto'), which loads Dawn only to use it", () => {
    const run = setBackendIn(['auto']);
    const [outcome] = run.outcomes;
    expect(outcome?.name).toBeDefined();
    expect(run.stdout + run.stderr).not.toMatch(ANY_WARNING);
    // Its own line, nothing else.
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^SE Zoo backend: \w+ on /),
    ]);
    expect(run.dawnLoaded).toBe(outcome?.name === 'webgpu');
  });

  it('is never there for cpu, wasm, webgl or tensorflow: they do not load Dawn', () => {
    const run = setBackendIn(['cpu', 'wasm', 'webgl', 'tensorflow']);
    expect(run.outcomes.map((o) => o.name ?? 'error')).toEqual(
      expect.arrayContaining(['cpu', 'wasm', 'error']),
    );
    expect(run.dawnLoaded).toBe(false);
    expect(run.stdout + run.stderr).not.toMatch(ANY_WARNING);
  });

  it.skipIf(process.platform !== 'linux')(
    "leaves out the harmless limit warnings on setBackend('webgpu') (Linux, stderr a pipe)",
    () => {
      const run = setBackendIn(['webgpu'], { pipe: true });
      const [outcome] = run.outcomes;
      if (outcome?.error) expect(outcome.error).toMatch(/^backend 'webgpu' /);
      else expect(outcome?.name).toBe('webgpu');
      expect(run.dawnLoaded).toBe(true);
      expect(run.stdout + run.stderr).not.toMatch(LIMIT_WARNING);
    },
  );

  it.skipIf(process.platform !== 'linux')(
    "passes Dawn's real errors on, and 'webgpu' without an adapter says why and what to do",
    () => {
      // No Vulkan driver: Dawn finds no adapter, and the Vulkan loader says so.
      const noDriver = {
        VK_ICD_FILENAMES: '/nonexistent.json',
        VK_DRIVER_FILES: '/nonexistent.json',
      };
      const run = setBackendIn(['webgpu', 'auto'], { env: noDriver, pipe: true });
      expect(run.outcomes[0]?.error).toMatch(
        /^backend 'webgpu' failed to start: Dawn found no WebGPU adapter.*use 'wasm'.*apt install mesa-vulkan-drivers/,
      );
      expect(run.stderr).toMatch(/vkCreateInstance/);
      expect(run.outcomes[1]).toEqual({ name: 'wasm' });
    },
  );
});

describe.skipIf(process.platform !== 'linux')('filterNativeStderr', () => {
  // Writes to fd 2 directly, as native code does; then throws from a second call, which must
  // leave stderr restored too.
  const script = `
    import { writeSync } from 'node:fs';
    import { filterNativeStderr } from '${dist('native-stderr.js')}';
    import { nodeApi } from '${dist('node.js')}';
    const api = await nodeApi();
    process.stderr.write('before\\n');
    const value = filterNativeStderr(api, /^noise \\d$/, () => {
      writeSync(2, 'noise 1\\nreal error\\nnoise 2\\n');
      return 42;
    });
    try {
      filterNativeStderr(api, /^noise \\d$/, () => {
        writeSync(2, 'noise 3\\n');
        throw new Error('thrown');
      });
    } catch {}
    process.stderr.write('after\\n');
    console.log(value);`;

  it('drops the lines it is told to from what is written to fd 2, and passes the rest on', () => {
    const run = node(script, { pipe: true });
    expect(run.stdout).toBe('42\n');
    expect(run.stderr).toBe('before\nreal error\nafter\n');
  });

  it('leaves a socket alone (it cannot be reopened)', () => {
    expect(node(script).stderr).toBe('before\nnoise 1\nreal error\nnoise 2\nnoise 3\nafter\n');
  });

  it('filters into a file opened for appending, and leaves one opened otherwise alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'se-zoo-stderr-test-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    for (const [flags, expected] of [
      ['a', 'before\nreal error\nafter\n'],
      // Reopened, stderr would get an offset of its own: the noise stays, nothing is overwritten.
      ['w', 'before\nnoise 1\nreal error\nnoise 2\nnoise 3\nafter\n'],
    ] as const) {
      const file = join(dir, `stderr-${flags}.txt`);
      const fd = openSync(file, flags);
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd,
        stdio: ['ignore', 'pipe', fd],
        encoding: 'utf8',
        timeout: 60_000,
      });
      closeSync(fd);
      expect(run.status).toBe(0);
      expect(run.stdout).toBe('42\n');
      expect(readFileSync(file, 'utf8')).toBe(expected);
    }
  });
});
