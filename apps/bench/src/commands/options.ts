/**
 * The options several commands share, defined once: how each is parsed and checked (numbers
 * when the command line is parsed, before anything is written) and how it is described. It loads
 * neither tfjs nor a command's implementation: program.ts declares every command with it.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { CliError } from '../errors.js';
import { DATASET_NAMES, RECIPE_CHOICES } from './defaults.js';

/** What a numeric option accepts. */
type NumberRule = 'count' | 'seed' | 'rate';

const RULE_TEXT: Record<NumberRule, string> = {
  count: 'a positive integer',
  seed: 'a non-negative integer',
  rate: 'a positive finite number',
};

function satisfies(value: number, rule: NumberRule): boolean {
  switch (rule) {
    case 'count':
      return Number.isSafeInteger(value) && value >= 1;
    case 'seed':
      return Number.isSafeInteger(value) && value >= 0;
    case 'rate':
      return Number.isFinite(value) && value > 0;
  }
}

/** Every numeric option of every command, by its key in the options object. */
const NUMBER_OPTIONS: Record<string, NumberRule> = {
  seeds: 'count',
  seed: 'seed',
  epochs: 'count',
  batch: 'count',
  lr: 'rate',
  trainLimit: 'count',
  testLimit: 'count',
  imageSize: 'count',
  inputSize: 'count',
  top: 'count',
};

const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** A commander parser for a numeric option: the whole text must be a number of the rule's kind. */
function parseNumber(rule: NumberRule): (text: string) => number {
  return (text) => {
    const value = text.trim() === '' ? Number.NaN : Number(text);
    if (!satisfies(value, rule)) throw new InvalidArgumentError(`It must be ${RULE_TEXT[rule]}.`);
    return value;
  };
}

/**
 * Checks the numeric options of a command called as a function (the command line checks them
 * when it parses): each must be of its kind, or the error names the option.
 */
export function checkNumbers(options: object): void {
  for (const [key, value] of Object.entries(options)) {
    const rule = NUMBER_OPTIONS[key];
    if (rule === undefined || value === undefined) continue;
    if (typeof value !== 'number' || !satisfies(value, rule)) {
      throw new CliError(`${flag(key)} must be ${RULE_TEXT[rule]}, got ${String(value)}`);
    }
  }
}

/** A numeric option with its parser. */
export function numberOption(
  key: keyof typeof NUMBER_OPTIONS & string,
  description: string,
): Option {
  const rule = NUMBER_OPTIONS[key] ?? 'count';
  return new Option(`${flag(key)} <${rule === 'rate' ? 'x' : 'n'}>`, description).argParser(
    parseNumber(rule),
  );
}

/** Options of the data a command reads. */
export interface DataOptions {
  /** One of {@link DATASET_NAMES} (default fashion-mnist). */
  dataset?: string;
  /** Where the dataset's files are. */
  dataDir?: string;
  trainLimit?: number;
  testLimit?: number;
}

/** Adds `--dataset` and `--data-dir` (and, with `limits`, the limits and their defaults). */
export function addDataOptions(
  command: Command,
  limits?: { train: string; test: string },
): Command {
  command
    .addOption(
      new Option('--dataset <name>', 'the dataset (default fashion-mnist)').choices([
        ...DATASET_NAMES,
      ]),
    )
    .option('--data-dir <dir>', "directory with the dataset's standard files");
  if (limits) {
    command
      .addOption(
        numberOption(
          'trainLimit',
          `train on the first n training images (default ${limits.train})`,
        ),
      )
      .addOption(
        numberOption('testLimit', `evaluate on the first n test images (default ${limits.test})`),
      );
  }
  return command;
}

/** Options of the recipe (see experiment/recipes.ts). */
export interface RecipeOptions {
  recipe?: string;
  lr?: number;
  batch?: number;
}

/** Adds `--recipe`, `--lr` and `--batch`. */
export function addRecipeOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--recipe <name>',
        "training recipe (default: the model family's own: CIFAR ResNets he2016-cifar, WRN zagoruyko2016-wrn, the small CNN keras-cifar10-cnn, ImageNet networks hu2018-imagenet)",
      ).choices(RECIPE_CHOICES),
    )
    .addOption(numberOption('lr', "initial learning rate (default: the recipe's)"))
    .addOption(numberOption('batch', "batch size (default: the recipe's)"));
}

/** Options of a results directory. */
export interface ResultsOptions {
  out?: string;
  /** Continue the run in `out`: an error where there is none. */
  resume?: boolean;
  /** Delete what `out` holds and start again. */
  overwrite?: boolean;
}

const RESUME_HELP =
  'continue the killed run in --out (an error if it holds none); rerunning the same command continues it too: finished runs and epochs are never redone';

/** Adds `--out`, `--resume` and `--overwrite`. */
export function addResultsOptions(command: Command, out: string, resume = true): Command {
  command.option('--out <dir>', `results directory (default ${out})`);
  if (resume) command.option('--resume', RESUME_HELP);
  return command.option(
    '--overwrite',
    'delete the results --out holds (of another plan or run) and start again',
  );
}

/** The default log: standard output. */
export const printLine = (line: string): void => console.log(line);
