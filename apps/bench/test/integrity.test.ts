// Nothing lost, nothing silently corrupt: damaged checkpoints and results files are errors that
// name the file and what to do; a resumed run redoes a damaged epoch from the checkpoint before
// it and ends exactly as an uninterrupted run; a killed process's temporary files are removed.
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '@se/backends';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../src/zoo.js';
import { RECIPES } from '@se/core';
import { benchCommand } from '../src/commands/bench.js';
import { evalCommand } from '../src/commands/train.js';
import { loadDataset } from '../src/data/sources.js';
import { limitDataset, recipeSpec } from '../src/experiment/bench.js';
import { DamagedFileError, readJsonFile, writeJsonFile } from '../src/files.js';
import type { EpochMetrics, RunResult, RunSpec } from '../src/train/run.js';
import { trainRun } from '../src/train/trainer.js';

// `--dataset synthetic` cut to 32 training and 16 test images, so that `eval` re-opens it by name.
const dataset = limitDataset(await loadDataset('synthetic'), { trainLimit: 32, testLimit: 16 });
const spec: RunSpec = {
  ...recipeSpec(RECIPES['he2016-cifar'], { model: 'se_cnn', se: true, seed: 5, epochs: 3 }),
  batchSize: 16,
  learningRate: 0.05,
};

class Killed extends Error {}
const killAfter = (epochs: number) => {
  let done = 0;
  return () => {
    if (++done >= epochs) throw new Killed();
  };
};
const strip = (m: EpochMetrics) => ({ ...m, imagesPerSecond: 0, seconds: 0 });

let dir = '';
let whole: RunResult;
beforeAll(async () => {
  await setBackend('wasm', { quiet: true });
  dir = await mkdtemp(join(tmpdir(), 'se-zoo-integrity-'));
  whole = await trainRun(spec, dataset, join(dir, 'whole'));
}, 300_000);
afterAll(async () => {
  await tf.setBackend('cpu');
  await rm(dir, { recursive: true, force: true });
});

/** Overwrites `count` bytes in the middle of a file, as a bad disk or a stray write would. */
async function scribble(path: string, count = 400): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const { size } = await handle.stat();
    await handle.write(new Uint8Array(count).fill(0xab), 0, count, Math.floor(size / 2));
  } finally {
    await handle.close();
  }
}

describe('damaged checkpoints', () => {
  it('a checkpoint with 400 bytes overwritten is refused by eval and redone by a rerun', {
    timeout: 300_000,
  }, async () => {
    const run = join(dir, 'scribbled');
    await expect(trainRun(spec, dataset, run, { onEpoch: killAfter(2) })).rejects.toThrow(Killed);
    const checkpoint = join(run, 'checkpoint.safetensors');
    await scribble(checkpoint);
    await expect(evalCommand(run)).rejects.toThrow(
      `${checkpoint} is damaged (its SHA-256 checksum does not match its content); rerun the same train or bench command: it redoes the damaged epoch from the checkpoint before it`,
    );
    const notices: string[] = [];
    const resumed = await trainRun(spec, dataset, run, { onNotice: (m) => notices.push(m) });
    expect(notices).toEqual([
      `${checkpoint} is damaged (its SHA-256 checksum does not match its content): resuming from the checkpoint before it`,
    ]);
    // Epoch 2 was redone from epoch 1's checkpoint: every number as in the uninterrupted run.
    expect(resumed.history.map(strip)).toEqual(whole.history.map(strip));
    expect(resumed.testAccuracy).toBe(whole.testAccuracy);
    expect((await evalCommand(run)).accuracy).toBe(whole.testAccuracy);
  });

  it('a truncated checkpoint of a finished run is redone; both damaged starts the run again', {
    timeout: 300_000,
  }, async () => {
    const run = join(dir, 'truncated');
    await trainRun(spec, dataset, run);
    const checkpoint = join(run, 'checkpoint.safetensors');
    await truncate(checkpoint, 1000);
    await truncate(join(run, 'checkpoint.previous.safetensors'), 10);
    const notices: string[] = [];
    const again = await trainRun(spec, dataset, run, { onNotice: (m) => notices.push(m) });
    expect(notices[0]).toMatch(
      new RegExp(
        `^${checkpoint.replace(/[.]/g, '\\.')} is damaged \\(safetensors: header length \\d+ exceeds file size 1000`,
      ),
    );
    expect(notices[2]).toBe(`${run}: no intact checkpoint left, starting the run again`);
    expect(again.history.map(strip)).toEqual(whole.history.map(strip));
  });
});

describe('damaged results files', () => {
  it('final.json is written again from the checkpoint; run.json names itself', {
    timeout: 300_000,
  }, async () => {
    const run = join(dir, 'final');
    const first = await trainRun(spec, dataset, run);
    await truncate(join(run, 'final.json'), 100);
    const notices: string[] = [];
    const again = await trainRun(spec, dataset, run, { onNotice: (m) => notices.push(m) });
    expect(notices).toEqual([
      expect.stringMatching(
        /final\.json is damaged \(not JSON: .*\): writing it again from the last checkpoint$/,
      ),
    ]);
    expect(again.history).toEqual(first.history);
    await writeFile(join(run, 'run.json'), '{"spec": {');
    await expect(trainRun(spec, dataset, run)).rejects.toThrow(
      `${join(run, 'run.json')} is damaged (not JSON: `,
    );
    await expect(trainRun(spec, dataset, run)).rejects.toThrow(
      'it records which run this directory holds: use --overwrite to start the run again there, or another --out',
    );
  });

  it('a JSON file edited by hand fails its checksum; one without a checksum is named too', async () => {
    const path = join(dir, 'edited.json');
    await writeJsonFile(path, { testAccuracy: 0.5 });
    expect(await readJsonFile(path, 'x')).toEqual({ testAccuracy: 0.5 });
    await writeFile(path, (await readFile(path, 'utf8')).replace('0.5', '0.9'));
    await expect(readJsonFile(path, 'do this')).rejects.toThrow(
      new DamagedFileError(path, 'its SHA-256 checksum does not match its content', 'do this'),
    );
    await writeFile(path, '{"testAccuracy": 0.9}');
    await expect(readJsonFile(path, 'do this')).rejects.toThrow(
      `${path} is damaged (it has no checksum); do this`,
    );
  });

  it('a truncated bench.json is an error naming it and what to do', {
    timeout: 300_000,
  }, async () => {
    const out = join(dir, 'bench');
    const options = {
      dataset: 'synthetic',
      models: 'cnn',
      seeds: 1,
      epochs: 1,
      trainLimit: 16,
      testLimit: 16,
      out,
      log: () => {},
    };
    await benchCommand(options);
    await truncate(join(out, 'bench.json'), 50);
    await expect(benchCommand(options)).rejects.toThrow(
      `${join(out, 'bench.json')} is damaged (not JSON: `,
    );
    await expect(benchCommand(options)).rejects.toThrow(
      `delete it and rerun the same command (finished runs are kept, each checks its own run.json), or use --overwrite to start again`,
    );
    // As it says: without bench.json the same command finishes from the runs it has.
    await rm(join(out, 'bench.json'));
    const { summary } = await benchCommand(options);
    expect(summary.runs.length).toBe(2);
  });
});

describe('temporary files of killed processes', () => {
  it('are removed when the run directory is opened again', { timeout: 300_000 }, async () => {
    const run = join(dir, 'whole');
    // A pid far above any pid_max: no such process runs.
    const stale = join(run, 'checkpoint.safetensors.4194305.tmp');
    await writeFile(stale, 'half a checkpoint');
    const mine = join(run, `final.json.${process.pid}.tmp`);
    await writeFile(mine, 'being written');
    await trainRun(spec, dataset, run);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(mine)).toBe(true);
  });
});

describe('one process at a time', () => {
  it('a run directory another live process writes is refused; a dead one is taken over', {
    timeout: 300_000,
  }, async () => {
    const run = join(dir, 'whole');
    // pid 1 (init) is alive and is not this process.
    await writeFile(join(run, '.lock'), '1');
    await expect(trainRun(spec, dataset, run)).rejects.toThrow(
      `${run} is being written by another se-zoo process (pid 1); wait for it to finish or stop it, or use another --out`,
    );
    await writeFile(join(run, '.lock'), '4194305');
    expect((await trainRun(spec, dataset, run)).testAccuracy).toBe(whole.testAccuracy);
    expect(existsSync(join(run, '.lock'))).toBe(false);
  });
});
