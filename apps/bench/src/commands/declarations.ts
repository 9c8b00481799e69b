/**
 * Every `se-zoo` command as the command line declares it: arguments, options and `--help` text,
 * from light modules only (commander, options.ts, defaults.ts). Each action imports its command's
 * implementation when it runs, so that a command loads only what it needs: `se-zoo models` lists
 * the zoo from the generated tables without tfjs, `--help` and `--version` load nothing.
 */
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { STUDY_NAMES } from '../experiment/studies.js';
import type { AblateCommandOptions } from './ablate.js';
import type { BenchCommandOptions } from './bench.js';
import { ABLATE_DEFAULTS, BENCH_PROTOCOLS, FULL_DESCRIPTION, TRAIN_DEFAULTS } from './defaults.js';
import type { ExcitationsCommandOptions } from './excitations.js';
import {
  addDataOptions,
  addRecipeOptions,
  addResultsOptions,
  numberOption,
  printLine,
} from './options.js';
import type { PredictOptions } from './predict.js';
import type { TrainCommandOptions } from './train.js';

/** What the declarations need of the program: the cpu backend, for `models` when it builds. */
export interface CommandContext {
  /** Starts the cpu backend quietly (unless a `--backend` was given, which is already active). */
  useCpu(command: Command): Promise<void>;
}

/** The main job (`se-zoo` with no command): `se-zoo bench` with its defaults. */
export async function runMainJob(): Promise<void> {
  const { runBenchAction } = await import('./bench.js');
  await runBenchAction();
}

/** Adds `se-zoo bench` and `se-zoo report`. */
function declareBench(program: Command): void {
  const q = BENCH_PROTOCOLS.quick;
  const full = BENCH_PROTOCOLS.full;
  const bench = program
    .command('bench')
    .description('train each model with and without SE over several seeds and compare them')
    .option(
      '--models <names>',
      `comma-separated models, each compared with its SE/plain twin (default ${q.models.join(',')}; --full ${full.models.join(',')})`,
    )
    .addOption(numberOption('seeds', `number of seeds (default ${q.seeds}; --full ${full.seeds})`))
    .addOption(
      numberOption('epochs', `epochs per run (default ${q.epochs}; --full ${full.epochs})`),
    )
    .option('--full', `the real protocol: ${FULL_DESCRIPTION}`);
  addRecipeOptions(bench);
  addDataOptions(bench, {
    train: `${q.trainLimit}; --full all`,
    test: `${q.testLimit}; --full all`,
  });
  addResultsOptions(bench, 'results/bench-<dataset>[-full]');
  bench.action(async (options: BenchCommandOptions) => {
    const { runBenchAction } = await import('./bench.js');
    await runBenchAction(options);
  });

  program
    .command('report')
    .description('re-render summary.json and report.html of a benchmark directory')
    .argument('<dir>', 'a directory written by `se-zoo bench`')
    .option('--data-dir <dir>', "directory with the dataset's standard files")
    .action(async (dir: string, options: { dataDir?: string }) => {
      const { reportCommand } = await import('./bench.js');
      await reportCommand(dir, { ...options, log: printLine });
    });
}

/** Adds `se-zoo ablate`. */
function declareAblate(program: Command): void {
  const q = ABLATE_DEFAULTS;
  const ablate = program
    .command('ablate')
    .description("run one of the paper's ablation studies (Tables 10–16) and print its table")
    .option('--study <name>', `the study: ${STUDY_NAMES.join(', ')}`)
    .option('--list', 'list the studies and their rows')
    .option('--model <name>', `registered model whose SE options vary (default ${q.model})`)
    .addOption(numberOption('seeds', `number of seeds (default ${q.seeds})`))
    .addOption(numberOption('epochs', `epochs per run (default ${q.epochs})`))
    .addOption(
      numberOption('imageSize', 'resize the images to n×n, e.g. 224 for --model seresnet50'),
    )
    .option('--no-bias', 'drop the biases of the excitation FC layers (paper §6 on ResNets)');
  addRecipeOptions(ablate);
  addDataOptions(ablate, { train: String(q.trainLimit), test: String(q.testLimit) });
  addResultsOptions(ablate, 'results/ablate-<study>-<dataset>');
  ablate.action(
    async (options: Omit<AblateCommandOptions, 'study'> & { study?: string; list?: boolean }) => {
      if (options.list) {
        const { formatStudyList } = await import('../experiment/studies.js');
        console.log(formatStudyList());
        return;
      }
      if (!options.study) {
        throw new CliError(
          `ablate needs --study <name>, one of ${STUDY_NAMES.join(', ')} (--list describes them)`,
        );
      }
      const [{ ablateCommand }, { failedRunsError }] = await Promise.all([
        import('./ablate.js'),
        import('./bench.js'),
      ]);
      const { summary } = await ablateCommand({ ...options, study: options.study });
      const error = failedRunsError(
        summary.failures,
        summary.runs.length + summary.failures.length,
      );
      if (error) throw error;
    },
  );
}

/** Adds `se-zoo excitations`. */
function declareExcitations(program: Command): void {
  program
    .command('excitations')
    .description(
      "mean excitation per channel, class and SE block of a trained run (paper Fig. 6/7), and its accuracy without the last stage's SE blocks",
    )
    .requiredOption(
      '--model <run>',
      'run directory (or its checkpoint.safetensors) of train, bench or ablate',
    )
    .option('--classes <list>', 'comma-separated class indices or names (default: all, at most 10)')
    .option(
      '--blocks <list>',
      'comma-separated SE blocks, units or stages, e.g. layer3.1.se,layer2',
    )
    .addOption(numberOption('testLimit', 'use the first n test images (default all)'))
    .option('--data-dir <dir>', "directory with the dataset's standard files")
    .option('--out <dir>', 'output directory (default <run>/excitations)')
    .action(async (options: ExcitationsCommandOptions) => {
      const { excitationsCommand } = await import('./excitations.js');
      await excitationsCommand(options);
    });
}

/** Adds `se-zoo train` and `se-zoo eval`. */
function declareTrain(program: Command): void {
  const train = program
    .command('train')
    .description('train one model; rerunning the same command resumes it')
    .requiredOption('--model <name>', 'registered model, e.g. seresnet20 (SE) or resnet20 (plain)')
    .option('--se', 'train with SE blocks even if the model is a plain one')
    .option('--no-se', 'train without SE blocks even if the model is an SE one')
    .addOption(numberOption('seed', `seed (default ${TRAIN_DEFAULTS.seed})`))
    .addOption(numberOption('epochs', `epochs (default ${TRAIN_DEFAULTS.epochs})`));
  addRecipeOptions(train);
  addDataOptions(train, { train: 'all', test: 'all' });
  train
    .option('--out <dir>', 'run directory (default results/train/<run>)')
    .option('--overwrite', 'delete the run --out holds (another run) and start again')
    .action(async (options: TrainCommandOptions) => {
      const { trainCommand } = await import('./train.js');
      const result = await trainCommand(options);
      console.log(`${result.id}: test accuracy ${(100 * result.testAccuracy).toFixed(2)} %`);
    });

  program
    .command('eval')
    .description("test loss and accuracy of a run directory's checkpoint")
    .argument('<run-dir>', 'a directory written by `se-zoo train`, `bench` or `ablate`')
    .option('--data-dir <dir>', "directory with the dataset's standard files")
    .addOption(
      numberOption(
        'testLimit',
        'evaluate on the first n test images (default: those the run was tested on)',
      ),
    )
    .action(async (dir: string, options: { dataDir?: string; testLimit?: number }) => {
      const { evalCommand } = await import('./train.js');
      const { loss, accuracy, images } = await evalCommand(dir, options.dataDir, options.testLimit);
      console.log(
        `test loss ${loss.toFixed(4)}, test accuracy ${(100 * accuracy).toFixed(2)} % on ${images} test images`,
      );
    });
}

/** Adds `se-zoo convert`. */
function declareConvert(program: Command): void {
  program
    .command('convert')
    .description('convert a timm safetensors checkpoint into a tfjs model directory')
    .argument('<safetensors>', 'a timm state_dict saved with safetensors')
    .requiredOption('--model <name>', 'the registered model it belongs to, e.g. seresnet50')
    .requiredOption('--out <dir>', 'output directory (model.json + weights.bin)')
    .addOption(numberOption('inputSize', 'fixed input size (default: the model’s own)'))
    .addHelpText(
      'after',
      "\nThe model uses SE Zoo's custom layers (SqueezeExcite, BatchNorm, …): it loads in plain\n" +
        "TensorFlow.js only after `import '@se/core'` and its family package (e.g.\n" +
        "`import '@se/resnet'`), which register them; then tf.loadLayersModel('file://<out>/model.json').",
    )
    .action(async (file: string, options: { model: string; out: string; inputSize?: number }) => {
      const { convertCommand, loadHint } = await import('./convert.js');
      const modelJson = await convertCommand(file, options.model, options.out, options.inputSize);
      console.log(`wrote ${modelJson}: ${loadHint(options.model, modelJson)}`);
    });
}

/** Adds `se-zoo export`. */
function declareExport(program: Command): void {
  program
    .command('export')
    .description(
      "write a run's checkpoint as a timm state_dict (safetensors), to continue training with timm",
    )
    .argument('<run-dir>', 'a directory written by `se-zoo train`, `bench` or `ablate`')
    .requiredOption('--out <file>', 'the .safetensors file to write')
    .option('--data-dir <dir>', "directory with the run's dataset files")
    .action(async (runDir: string, options: { out: string; dataDir?: string }) => {
      const { exportCommand } = await import('./export.js');
      await exportCommand(runDir, options.out, options);
    });
}

/** Adds `se-zoo predict` and `se-zoo download`. */
function declarePredict(program: Command): void {
  program
    .command('predict')
    .description(
      "classify images with timm's pretrained ImageNet weights (downloaded once, cached)",
    )
    .argument('<images...>', 'JPEG or PNG files')
    .requiredOption(
      '--model <name>',
      "pretrained model, e.g. seresnet50 (timm's default tag) or seresnet50.a1_in1k",
    )
    .addOption(numberOption('top', 'classes per image (default 5)'))
    .option('--json', 'print only {"model", "predictions"} as JSON on stdout')
    .action(async (images: string[], options: PredictOptions) => {
      const { predictCommand } = await import('./predict.js');
      await predictCommand(images, options);
    });

  program
    .command('download')
    .description('download and check pretrained weights into the cache, for offline use')
    .argument('<names...>', 'pretrained models, e.g. seresnet50.a1_in1k resnet50')
    .action(async (names: string[]) => {
      const { downloadCommand } = await import('./predict.js');
      await downloadCommand(names);
    });
}

/**
 * Adds `se-zoo models`. It lists the zoo from the generated tables (models-table.ts), loading
 * neither tfjs nor the families; only where they lack a model (a stale table) does it load the
 * registry and build that model on the cpu backend.
 */
function declareModels(program: Command, context: CommandContext): void {
  program
    .command('models')
    .description(
      'list the registered models with their parameters, MACs at their default input size, ' +
        'and the overhead of SE over the plain twin',
    )
    .argument('[filter]', "substring or glob of the names, e.g. 'seresnet*'")
    .option(
      '--pretrained',
      "list timm's pretrained checkpoints (name.tag) instead, with their top-1",
    )
    .action(
      async (filter: string | undefined, options: { pretrained?: boolean }, command: Command) => {
        if (options.pretrained) {
          const { formatPretrainedTable } = await import('./predict.js');
          console.log(formatPretrainedTable(filter));
          return;
        }
        const { tabulatedModelsCommand } = await import('./models-table.js');
        const tabulated = tabulatedModelsCommand(filter);
        if (tabulated) {
          console.log(tabulated.text);
          return;
        }
        await context.useCpu(command);
        const { modelsCommand } = await import('./models.js');
        const progress = process.stderr.isTTY
          ? (name: string, index: number, total: number) =>
              process.stderr.write(`\rbuilding ${name} (${index + 1}/${total})…\x1b[K`)
          : undefined;
        const { text } = modelsCommand(filter, progress ? { onProgress: progress } : {});
        if (progress) process.stderr.write('\r\x1b[K');
        console.log(text);
      },
    );
}

/** Adds `se-zoo summary`. */
function declareSummary(program: Command): void {
  program
    .command('summary')
    .description("print a model's layers with their output shapes, parameters and MACs")
    .argument('<model>', 'registered model name, e.g. seresnet50')
    .option('--input <shape>', "input size 'height,width,channels' (default: the model's own)")
    .option('--all', 'list every layer, not only those with parameters or MACs')
    .action(async (name: string, options: { input?: string; all?: boolean }) => {
      const { summaryCommand } = await import('./summary.js');
      console.log(summaryCommand(name, options).text);
    });
}

/** Adds every command to `program`, in the order `se-zoo --help` lists them. */
export function declareCommands(program: Command, context: CommandContext): void {
  declareBench(program);
  declareAblate(program);
  declareExcitations(program);
  declareTrain(program);
  declareConvert(program);
  declareExport(program);
  declarePredict(program);
  declareModels(program, context);
  declareSummary(program);
}
