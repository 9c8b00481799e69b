/**
 * What the command declarations show in `--help` (defaults, choices), as plain values: program.ts
 * declares every command from these without loading tfjs or any command's implementation.
 * test/program.test.ts checks that each equals the value the implementation uses (the protocols
 * of experiment/bench.ts and experiment/ablation.ts, @se/core's recipes and data/sources.ts's
 * datasets).
 */

/** The datasets `--dataset` takes (data/sources.ts `DATASETS`). */
export const DATASET_NAMES = [
  'fashion-mnist',
  'mnist',
  'cifar10',
  'cifar100',
  'synthetic',
] as const;

/** The recipes `--recipe` takes (@se/core `RECIPE_NAMES`). */
export const RECIPE_CHOICES: readonly string[] = [
  'he2016-cifar',
  'zagoruyko2016-wrn',
  'keras-cifar10-cnn',
  'hu2018-imagenet',
];

/** `se-zoo bench`'s protocols (experiment/bench.ts `PROTOCOLS`). */
export const BENCH_PROTOCOLS = {
  quick: { models: ['resnet20'], seeds: 2, epochs: 3, trainLimit: 2048, testLimit: 1024 },
  full: { models: ['resnet20', 'resnet56', 'resnet110'], seeds: 3, epochs: 30 },
} as const;

/** `se-zoo ablate`'s defaults (experiment/ablation.ts `QUICK_ABLATION`). */
export const ABLATE_DEFAULTS = {
  model: 'seresnet20',
  seeds: 2,
  epochs: 2,
  trainLimit: 1024,
  testLimit: 1000,
} as const;

/** Defaults of `se-zoo train`. */
export const TRAIN_DEFAULTS = { seed: 1, epochs: 10 } as const;

/** What `--full` runs, in words. */
export const FULL_DESCRIPTION = `${BENCH_PROTOCOLS.full.seeds} seeds, every image, ${BENCH_PROTOCOLS.full.epochs} epochs, ${BENCH_PROTOCOLS.full.models.join(', ')} and their SE twins`;
