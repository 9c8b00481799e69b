/** `se-zoo excitations`: the paper's Fig. 6/7 analysis and §7.2 check on a trained run. */
import '../zoo.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { countParams } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { headOf } from '../data/dataset.js';
import {
  type ExcitationReport,
  excitationStatistics,
  type IdentityCheck,
  parseClasses,
  withoutLastStageSE,
} from '../experiment/excitations.js';
import { writeJsonFile } from '../files.js';
import { renderExcitationReport } from '../report/excitations.js';
import { openRun } from '../train/open.js';
import { evaluate } from '../train/trainer.js';
import { checkNumbers, printLine } from './options.js';

/** Options of {@link excitationsCommand}. */
export interface ExcitationsCommandOptions {
  /** A run directory (or its checkpoint.safetensors) written by train, bench or ablate. */
  model: string;
  /** Comma-separated class indices or names (default: all classes, at most 10). */
  classes?: string;
  /** Comma-separated SE blocks (`layer3.1.se`, `layer3.1` or `layer3`); default all. */
  blocks?: string;
  /** Use the first n test images only. */
  testLimit?: number;
  dataDir?: string;
  /** Output directory (default `<run>/excitations`). */
  out?: string;
  log?: (line: string) => void;
}

/**
 * `se-zoo excitations --model <run>`: excitation statistics per class and block on the test
 * split, the identity check of the last stage, excitations.json and excitations.html.
 */
export async function excitationsCommand(
  options: ExcitationsCommandOptions,
): Promise<{ report: ExcitationReport; dir: string }> {
  checkNumbers(options);
  const log = options.log ?? printLine;
  const run = await openRun(options.model, options.dataDir);
  const { spec, dataset, model } = run;
  try {
    const test =
      options.testLimit === undefined ? dataset.test : headOf(dataset.test, options.testLimit);
    const classes = parseClasses(options.classes, dataset);
    const blockNames = options.blocks
      ? options.blocks
          .split(',')
          .map((b) => b.trim())
          .filter((b) => b !== '')
      : [];
    const [, height, width, channels] = model.inputs[0]?.shape ?? [];
    log(
      `Run ${run.dir}: ${spec.model} (${spec.variant ?? (spec.se === false ? 'plain' : 'SE')}) on ${test.count} ${dataset.name} test images; classes ${classes.map((c) => dataset.classNames[c]).join(', ')}`,
    );
    const blocks = await excitationStatistics(model, test, dataset, {
      classes,
      blocks: blockNames,
      ...(spec.imageSize ? { imageSize: spec.imageSize } : {}),
    });
    const full = await evaluate(model, test, dataset, 256, spec.imageSize);
    const reduced = withoutLastStageSE(model, spec, dataset);
    let identity: IdentityCheck;
    try {
      const without = await evaluate(reduced.model, test, dataset, 256, spec.imageSize);
      identity = {
        stage: reduced.stage,
        removed: reduced.removed,
        accuracyAll: full.accuracy,
        accuracyWithoutLastStage: without.accuracy,
        lossAll: full.loss,
        lossWithoutLastStage: without.loss,
        paramsAll: countParams(model),
        paramsWithoutLastStage: countParams(reduced.model),
      };
    } finally {
      reduced.model.dispose();
    }
    const report: ExcitationReport = {
      run: run.dir,
      model: spec.model,
      se: spec.se,
      dataset: dataset.name,
      testImages: test.count,
      inputShape: [height ?? 0, width ?? 0, channels ?? 0],
      backend: tf.getBackend(),
      blocks,
      identity,
      createdAt: new Date().toISOString(),
    };
    const dir = options.out ?? join(run.dir, 'excitations');
    await mkdir(dir, { recursive: true });
    await writeJsonFile(join(dir, 'excitations.json'), report);
    await writeFile(join(dir, 'excitations.html'), await renderExcitationReport(report));
    log(formatIdentityCheck(identity));
    log(
      `Excitations of ${blocks.length} SE blocks: ${join(dir, 'excitations.json')}, ${join(dir, 'excitations.html')}`,
    );
    return { report, dir };
  } finally {
    model.dispose();
  }
}

/** The identity check in one line. */
export function formatIdentityCheck(c: IdentityCheck): string {
  const pct = (v: number) => `${(100 * v).toFixed(2)} %`;
  const delta = 100 * (c.accuracyWithoutLastStage - c.accuracyAll);
  return `Test accuracy with all SE blocks ${pct(c.accuracyAll)}; with the ${c.removed.length} SE blocks of stage ${c.stage} (${c.removed.join(', ')}) replaced by the identity ${pct(c.accuracyWithoutLastStage)} (${delta >= 0 ? '+' : ''}${delta.toFixed(2)} pp), ${(c.paramsAll - c.paramsWithoutLastStage).toLocaleString('en-US')} parameters fewer`;
}
