/**
 * A results directory of `bench` or `ablate`: its plan file says what it holds, every run
 * directory under `runs/` checks its own run.json, and nothing of another plan is ever mixed in.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { listDifferences } from '../compare.js';
import { CliError } from '../errors.js';
import { readJsonFile, writeJsonFile } from '../files.js';

/** The files of a results directory besides `runs/`. */
export const RESULTS_FILES = ['summary.json', 'report.html', 'table.md'] as const;

/** A results directory that holds another plan than the one asked for. */
export class ResultsMismatchError extends CliError {
  override name = 'ResultsMismatchError';
  constructor(
    readonly dir: string,
    readonly differences: string[],
  ) {
    super(
      `${dir} holds results of a different plan (saved → asked):\n  ${differences.join('\n  ')}\n` +
        'Use another --out directory, or --overwrite to delete those results and start again.',
    );
  }
}

/** How a command claims its results directory. */
export interface DirectoryClaim {
  dir: string;
  /** `bench.json` or `ablation.json`. */
  planFile: string;
  /** What defines the directory's results: the plan and the data. */
  identity: object;
  /** Continue an earlier run there: an error where there is none. */
  resume?: boolean;
  /** Delete the directory's results first. */
  overwrite?: boolean;
}

/** Deletes the results a command wrote in `dir` (the plan file, `runs/`, summary and reports). */
export async function clearResultsDirectory(dir: string, planFile: string): Promise<void> {
  for (const name of [planFile, 'runs', ...RESULTS_FILES]) {
    await rm(join(dir, name), { recursive: true, force: true });
  }
}

/**
 * Claims a results directory: the first time writes the plan file; afterwards refuses a
 * directory whose plan differs, listing the differences and the ways out.
 */
export async function claimResultsDirectory(claim: DirectoryClaim): Promise<void> {
  const { dir, planFile } = claim;
  const planPath = join(dir, planFile);
  if (claim.overwrite) await clearResultsDirectory(dir, planFile);
  else if (claim.resume && !existsSync(planPath)) {
    throw new CliError(
      `--resume: ${dir} holds no earlier run (no ${planFile}); leave out --resume to start one there`,
    );
  }
  if (existsSync(planPath)) {
    const saved = await readJsonFile<object>(
      planPath,
      `it records which plan ${dir} holds: delete it and rerun the same command (finished runs are kept, each checks its own run.json), or use --overwrite to start again`,
    );
    const differences = listDifferences(saved, claim.identity);
    if (differences.length > 0) throw new ResultsMismatchError(dir, differences);
    return;
  }
  await mkdir(join(dir, 'runs'), { recursive: true });
  await writeJsonFile(planPath, claim.identity);
}
