// The command line as a user types it, in-process: every reproduction of the benchmark-trust
// issue (options checked when parsed and before anything is written, a model name meaning that
// model, results that never mix, failed runs that fail the command, data of the wrong size).
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '@se/backends';
import * as tf from '@tensorflow/tfjs';
import { type Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberOption } from '../src/commands/options.js';
import { createProgram } from '../src/program.js';
import type { RunIdentity, RunResult } from '../src/train/run.js';
import { writeIdxDataset } from './fixtures.js';

let dir = '';
beforeAll(async () => {
  await setBackend('wasm', { quiet: true });
  dir = await mkdtemp(join(tmpdir(), 'se-zoo-cli-'));
});
afterAll(async () => {
  await tf.setBackend('cpu');
  await rm(dir, { recursive: true, force: true });
});

/** Runs `se-zoo <args>` in-process; resolves with what it printed, rejects as the CLI would exit. */
async function zoo(...args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const program: Command = createProgram((p) =>
    p.exitOverride().configureOutput({
      writeOut: (s) => {
        out += s;
      },
      writeErr: (s) => {
        err += s;
      },
    }),
  );
  const log = console.log;
  console.log = (...parts: unknown[]) => {
    out += `${parts.join(' ')}\n`;
  };
  try {
    await program.parseAsync(['--backend', 'wasm', ...args], { from: 'user' });
  } finally {
    console.log = log;
  }
  return { out, err };
}

const readJson = async <T>(path: string) => JSON.parse(await readFile(path, 'utf8')) as T;
/** Short runs: 8 Fashion-MNIST images, one epoch, batch 8. */
const tiny = ['--train-limit', '8', '--test-limit', '8', '--epochs', '1', '--batch', '8'];

describe('numeric options are checked when parsed, naming the option, before anything is written', () => {
  const cases: [string[], string][] = [
    [
      ['train', '--model', 'resnet20', '--epochs', 'abc'],
      "option '--epochs <n>' argument 'abc' is invalid. It must be a positive integer.",
    ],
    [
      ['train', '--model', 'resnet20', '--epochs', '0'],
      "option '--epochs <n>' argument '0' is invalid.",
    ],
    [
      ['train', '--model', 'resnet20', '--epochs', '-1'],
      "option '--epochs <n>' argument '-1' is invalid.",
    ],
    [
      ['train', '--model', 'resnet20', '--epochs', '1.5'],
      "option '--epochs <n>' argument '1.5' is invalid.",
    ],
    [
      ['train', '--model', 'resnet20', '--batch', '0'],
      "option '--batch <n>' argument '0' is invalid.",
    ],
    [
      ['train', '--model', 'resnet20', '--batch', '-5'],
      "option '--batch <n>' argument '-5' is invalid.",
    ],
    [
      ['train', '--model', 'resnet20', '--seed', 'abc'],
      "option '--seed <n>' argument 'abc' is invalid. It must be a non-negative integer.",
    ],
    [
      ['train', '--model', 'resnet20', '--lr', '-0.1'],
      "option '--lr <x>' argument '-0.1' is invalid. It must be a positive finite number.",
    ],
    [['bench', '--lr', 'NaN'], "option '--lr <x>' argument 'NaN' is invalid."],
    [['bench', '--lr', 'Infinity'], "option '--lr <x>' argument 'Infinity' is invalid."],
    [['bench', '--seeds', '0'], "option '--seeds <n>' argument '0' is invalid."],
    [['bench', '--train-limit', ''], "option '--train-limit <n>' argument '' is invalid."],
    [
      ['bench', '--dataset', 'imagenet'],
      "option '--dataset <name>' argument 'imagenet' is invalid. Allowed choices are fashion-mnist, mnist, cifar10, cifar100, synthetic.",
    ],
    [['bench', '--recipe', 'adam'], "option '--recipe <name>' argument 'adam' is invalid."],
    [
      ['ablate', '--study', '3x3', '--image-size', '0'],
      "option '--image-size <n>' argument '0' is invalid.",
    ],
    [
      ['excitations', '--model', 'x', '--test-limit', '2.5'],
      "option '--test-limit <n>' argument '2.5' is invalid.",
    ],
    [
      ['convert', 'x.safetensors', '--model', 'resnet50', '--out', 'y', '--input-size', 'abc'],
      "option '--input-size <n>' argument 'abc' is invalid.",
    ],
  ];
  it.each(cases)('se-zoo %j', async (args, message) => {
    const out = join(dir, 'never');
    const run = zoo(...args, '--out', out);
    await expect(run).rejects.toThrow(CommanderError);
    await expect(run).rejects.toThrow(message);
    expect(existsSync(out)).toBe(false);
  });

  it('reads numbers whole: 1e3 is a thousand, not 1', () => {
    expect(numberOption('batch', '').parseArg?.('1e3', undefined)).toBe(1000);
    expect(numberOption('lr', '').parseArg?.('0.05', undefined)).toBe(0.05);
    expect(numberOption('seed', '').parseArg?.('0', undefined)).toBe(0);
  });
});

describe('a model name means that model', () => {
  it('train --model resnet20 trains the plain ResNet-20, --se adds SE, cnn is plain', {
    timeout: 300_000,
  }, async () => {
    const plain = join(dir, 'resnet20');
    await zoo('train', '--model', 'resnet20', ...tiny, '--out', plain);
    const identity = await readJson<RunIdentity>(join(plain, 'run.json'));
    expect(identity.spec.se).toBe(false);
    // At 28×28×1 with 10 classes: 269,722 at 32×32×3 less conv1's 3·3·2·16 input-channel weights.
    expect((await readJson<RunResult>(join(plain, 'final.json'))).params).toBe(269_434);
    const withSe = join(dir, 'resnet20-se');
    await zoo('train', '--model', 'resnet20', '--se', ...tiny, '--out', withSe);
    expect((await readJson<RunResult>(join(withSe, 'final.json'))).params).toBe(271_807);
    const cnn = join(dir, 'cnn');
    await zoo('train', '--model', 'cnn', ...tiny, '--out', cnn);
    expect((await readJson<RunIdentity>(join(cnn, 'run.json'))).spec).toMatchObject({
      model: 'cnn',
      se: false,
      recipe: 'keras-cifar10-cnn (batch 8)',
    });
  });
});

describe('results never mix', () => {
  it('train rerun with other options is refused with the differences; --overwrite starts again', {
    timeout: 300_000,
  }, async () => {
    const out = join(dir, 'rerun');
    await zoo('train', '--model', 'cnn', ...tiny, '--out', out);
    const first = await readJson<RunResult>(join(out, 'final.json'));
    const longer = tiny.map((a, i) => (tiny[i - 1] === '--epochs' ? '2' : a));
    await expect(zoo('train', '--model', 'cnn', ...longer, '--out', out)).rejects.toThrow(
      `${out} holds a different run (saved → asked):\n  spec.epochs: 1 → 2\nUse another --out directory, or --overwrite to delete that run and start again.`,
    );
    // Nothing was touched: the finished run is still there, as it was.
    expect((await readJson<RunResult>(join(out, 'final.json'))).finishedAt).toBe(first.finishedAt);
    await zoo('train', '--model', 'cnn', ...longer, '--out', out, '--overwrite');
    expect((await readJson<RunResult>(join(out, 'final.json'))).history.length).toBe(2);
    // `eval` opens it with the run's own model: no shape errors.
    const { out: printed } = await zoo('eval', out);
    expect(printed).toMatch(/^test loss \d+\.\d{4}, test accuracy \d+\.\d\d % on 8 test images\n$/);
  });

  it('a bench directory of synthetic runs refuses a Fashion-MNIST bench', {
    timeout: 300_000,
  }, async () => {
    const out = join(dir, 'mixed');
    const size = [
      '--seeds',
      '1',
      '--epochs',
      '1',
      '--models',
      'cnn',
      '--train-limit',
      '16',
      '--test-limit',
      '16',
    ];
    await zoo('bench', '--dataset', 'synthetic', ...size, '--out', out);
    const before = await readdir(join(out, 'runs'));
    const again = zoo('bench', ...size, '--out', out);
    await expect(again).rejects.toThrow(
      `${out} holds results of a different plan (saved → asked):`,
    );
    await expect(again).rejects.toThrow('data.name: "synthetic" → "fashion-mnist"');
    await expect(again).rejects.toThrow('data.imageShape.0: 16 → 28');
    await expect(again).rejects.toThrow('Use another --out directory, or --overwrite');
    expect(await readdir(join(out, 'runs'))).toEqual(before);
    const summary = await readJson<{ dataset: string }>(join(out, 'summary.json'));
    expect(summary.dataset).toBe('synthetic');
  });
});

describe('failures and bad data', () => {
  it('a backend that cannot start says which option, why and what to use', async () => {
    const program = createProgram((p) => p.exitOverride());
    await expect(
      program.parseAsync(['--backend', 'webgl', 'train', '--model', 'cnn'], { from: 'user' }),
    ).rejects.toThrow(
      "--backend webgl: backend 'webgl' is not available: WebGL exists only in browsers, and this is Node. In Node, use 'wasm'",
    );
  });

  it('a bench in which a run failed exits non-zero, after finishing and reporting the others', {
    timeout: 300_000,
  }, async () => {
    const out = join(dir, 'diverged');
    const run = zoo(
      'bench',
      '--dataset',
      'synthetic',
      '--models',
      'resnet20',
      '--seeds',
      '1',
      '--epochs',
      '1',
      '--train-limit',
      '16',
      '--test-limit',
      '16',
      '--batch',
      '4',
      '--lr',
      '1e12',
      '--out',
      out,
    );
    await expect(run).rejects.toThrow(
      '1 of 2 runs failed (seresnet20-se-seed1); the others finished and are reported',
    );
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('failed: loss became');
  });

  it('data of another image size than the run is named with both sizes', {
    timeout: 300_000,
  }, async () => {
    const small = await writeIdxDataset(join(dir, 'ten'), { side: 10, train: 16, test: 8 });
    const run = join(dir, 'resnet20');
    await expect(zoo('eval', run, '--data-dir', small)).rejects.toThrow(
      `${small} holds 10×10×1 images of 10 classes, but ${run} was trained on 28×28×1 images of 10 classes of fashion-mnist; give --data-dir the run's data`,
    );
  });

  it('a dataset file with no images is an error naming it', async () => {
    const empty = await writeIdxDataset(join(dir, 'empty'), { side: 28, train: 0, test: 8 });
    await expect(
      zoo('train', '--model', 'cnn', '--data-dir', empty, '--out', join(dir, 'never')),
    ).rejects.toThrow(
      `${join(empty, 'train-images-idx3-ubyte')}: holds no images (its header says 0)`,
    );
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('convert names a file that is not a timm state_dict', { timeout: 120_000 }, async () => {
    const checkpoint = join(dir, 'cnn', 'checkpoint.safetensors');
    await expect(
      zoo('convert', checkpoint, '--model', 'cnn', '--out', join(dir, 'converted')),
    ).rejects.toThrow(
      `${checkpoint} is an se-zoo training checkpoint (of train, bench or ablate), not a timm state_dict`,
    );
    const json = join(dir, 'cnn', 'run.json');
    await expect(
      zoo('convert', json, '--model', 'cnn', '--out', join(dir, 'converted')),
    ).rejects.toThrow(`${json} is not a safetensors file: `);
    expect(existsSync(join(dir, 'converted'))).toBe(false);
  });
});
