#!/usr/bin/env node
/**
 * `se-zoo`: the SE Zoo command line. With no command it runs the main job; `models` lists the
 * registry and `summary` prints one model's layers; `ablate` and `excitations` run the paper's
 * ablation studies and excitation analysis.
 */
import { createRequire } from 'node:module';
import { type BackendName, setBackend } from '@se/backends';
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { ablateCommand } from './ablate/ablate.js';
import { excitationsCommand } from './ablate/excitations.js';
import { formatStudyList, STUDY_NAMES } from './ablate/studies.js';
import {
  benchCommand,
  convertCommand,
  evalCommand,
  formatSummaryLines,
  reportCommand,
  trainCommand,
} from './bench/commands.js';
import { CliError, mainJob, modelsCommand, summaryCommand } from './commands.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const RESUME_HELP =
  'continue the killed run in --out (an error if it holds none); rerunning the same command continues it too: finished runs and epochs are never redone';

function program(): Command {
  const cli = new Command('se-zoo')
    .description('Squeeze-and-Excitation networks for TensorFlow.js: the SE Zoo command line.')
    .version(version)
    .option(
      '--backend <name>',
      'tfjs backend: auto (the fastest available), wasm, cpu, webgpu, webgl or tensorflow (tfjs-node)',
      'auto',
    )
    .hook('preAction', async (command) => {
      const { backend } = command.opts<{ backend: BackendName }>();
      // Report what was chosen on stderr, so that stdout stays the command's own output.
      await setBackend(backend, { log: (line) => console.error(line) });
    })
    .showHelpAfterError()
    .allowExcessArguments()
    .action(async (_options: unknown, command: Command) => {
      const [unknown] = command.args;
      if (unknown !== undefined) command.error(`error: unknown command '${unknown}'`);
      // The main job: the default SE-against-plain benchmark.
      await benchCommand();
    });

  const int = (value: string) => Number.parseInt(value, 10);
  cli
    .command('bench')
    .description('train each model with and without SE over several seeds and compare them')
    .option('--models <names>', 'comma-separated models (each compared with its SE/plain twin)')
    .option('--seeds <n>', 'number of seeds', int)
    .option('--epochs <n>', 'epochs per run', int)
    .option('--batch <n>', 'batch size', int)
    .option('--lr <rate>', 'peak learning rate (cosine schedule)', Number.parseFloat)
    .option('--train-limit <n>', 'train on the first n training images', int)
    .option('--test-limit <n>', 'evaluate on the first n test images', int)
    .option('--dataset <name>', 'fashion-mnist (default), mnist, cifar10, cifar100 or synthetic')
    .option('--data-dir <dir>', "directory with the dataset's standard files")
    .option('--out <dir>', 'results directory (default results/bench-<dataset>)')
    .option('--full', 'the real protocol: all images, three seeds, ResNet-20/56/110, 30 epochs')
    .option('--resume', RESUME_HELP)
    .action(async (options) => {
      await benchCommand(options);
    });

  cli
    .command('train')
    .description('train one model; rerunning the same command resumes it')
    .requiredOption('--model <name>', 'registered model, e.g. seresnet20')
    .option('--no-se', 'train the model without its SE blocks')
    .option('--seed <n>', 'seed', int)
    .option('--epochs <n>', 'epochs', int)
    .option('--batch <n>', 'batch size', int)
    .option('--lr <rate>', 'peak learning rate', Number.parseFloat)
    .option('--train-limit <n>', 'train on the first n training images', int)
    .option('--test-limit <n>', 'evaluate on the first n test images', int)
    .option('--dataset <name>', 'fashion-mnist (default), mnist, cifar10, cifar100 or synthetic')
    .option('--data-dir <dir>', "directory with the dataset's standard files")
    .option('--out <dir>', 'run directory (default results/train/<run>)')
    .action(async (options) => {
      const result = await trainCommand(options);
      console.log(`${result.id}: test accuracy ${(100 * result.testAccuracy).toFixed(2)} %`);
    });

  cli
    .command('eval')
    .description("test loss and accuracy of a run directory's checkpoint")
    .argument('<run-dir>', 'a directory written by `se-zoo train` or `se-zoo bench`')
    .option('--data-dir <dir>', "directory with the dataset's standard files")
    .action(async (dir: string, options: { dataDir?: string }) => {
      const { loss, accuracy } = await evalCommand(dir, options.dataDir);
      console.log(`test loss ${loss.toFixed(4)}, test accuracy ${(100 * accuracy).toFixed(2)} %`);
    });

  cli
    .command('ablate')
    .description("run one of the paper's ablation studies (Tables 10–16) and print its table")
    .option('--study <name>', `the study: ${STUDY_NAMES.join(', ')}`)
    .option('--list', 'list the studies and their rows')
    .option('--model <name>', 'registered model whose SE options vary (default seresnet20)')
    .option('--seeds <n>', 'number of seeds (default 2)', int)
    .option('--epochs <n>', 'epochs per run (default 2)', int)
    .option('--batch <n>', 'batch size (default 64)', int)
    .option('--lr <rate>', 'peak learning rate, cosine schedule (default 0.05)', Number.parseFloat)
    .option('--train-limit <n>', 'train on the first n training images (default 1024)', int)
    .option('--test-limit <n>', 'evaluate on the first n test images (default 1000)', int)
    .option('--image-size <n>', 'resize the images to n×n, e.g. 224 for --model seresnet50', int)
    .option('--no-bias', 'drop the biases of the excitation FC layers (paper §6 on ResNets)')
    .option('--dataset <name>', 'fashion-mnist (default), mnist, cifar10, cifar100 or synthetic')
    .option('--data-dir <dir>', "directory with the dataset's standard files")
    .option('--out <dir>', 'results directory (default results/ablate-<study>-<dataset>)')
    .option('--resume', RESUME_HELP)
    .action(async (options: { study?: string; list?: boolean } & Record<string, unknown>) => {
      if (options.list) {
        console.log(formatStudyList());
        return;
      }
      if (!options.study) {
        throw new CliError(
          `ablate needs --study <name>, one of ${STUDY_NAMES.join(', ')} (--list describes them)`,
        );
      }
      await ablateCommand({ ...options, study: options.study });
    });

  cli
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
    .option('--test-limit <n>', 'use the first n test images', int)
    .option('--data-dir <dir>', "directory with the dataset's standard files")
    .option('--out <dir>', 'output directory (default <run>/excitations)')
    .action(async (options: { model: string }) => {
      await excitationsCommand(options);
    });

  cli
    .command('report')
    .description('re-render summary.json and report.html of a benchmark directory')
    .argument('<dir>', 'a directory written by `se-zoo bench`')
    .option('--data-dir <dir>', "directory with the dataset's standard files")
    .action(async (dir: string, options: { dataDir?: string }) => {
      console.log(formatSummaryLines(await reportCommand(dir, options.dataDir)).join('\n'));
    });

  cli
    .command('convert')
    .description('convert a timm safetensors checkpoint into a tfjs model directory')
    .argument('<safetensors>', 'a timm state_dict saved with safetensors')
    .requiredOption('--model <name>', 'the registered model it belongs to, e.g. seresnet50')
    .requiredOption('--out <dir>', 'output directory (model.json + weights.bin)')
    .option('--input-size <n>', 'fixed input size (default: the model’s own)', int)
    .action(async (file: string, options: { model: string; out: string; inputSize?: number }) => {
      console.log(
        `wrote ${await convertCommand(file, options.model, options.out, options.inputSize)}`,
      );
    });

  cli
    .command('demo')
    .description('build SE-ResNet-50 and ResNet-50 and print their sizes and the cost of SE')
    .action(() => {
      console.log(mainJob().text);
    });

  cli
    .command('models')
    .description(
      'list the registered models with their parameters, MACs at their default input size, ' +
        'and the overhead of SE over the plain twin',
    )
    .argument('[filter]', "substring or glob of the names, e.g. 'seresnet*'")
    .action((filter: string | undefined) => {
      const progress = process.stderr.isTTY
        ? (name: string, index: number, total: number) =>
            process.stderr.write(`\rbuilding ${name} (${index + 1}/${total})…\x1b[K`)
        : undefined;
      const { text } = modelsCommand(filter, progress ? { onProgress: progress } : {});
      if (progress) process.stderr.write('\r\x1b[K');
      console.log(text);
    });

  cli
    .command('summary')
    .description("print a model's layers with their output shapes, parameters and MACs")
    .argument('<model>', 'registered model name, e.g. seresnet50')
    .option('--input <shape>', "input size 'height,width,channels' (default: the model's own)")
    .option('--all', 'list every layer, not only those with parameters or MACs')
    .action((name: string, options: { input?: string; all?: boolean }) => {
      console.log(summaryCommand(name, options).text);
    });

  return cli;
}

async function main(): Promise<void> {
  // tfjs-node is optional and not a dependency (--backend picks wasm, with SE Zoo's training
  // kernels, when it is absent). Production mode silences tfjs's advice to install tfjs-node.
  tf.enableProdMode();
  await program().parseAsync(process.argv);
}

main()
  // The wasm backend's worker threads would keep Node alive after the command is done.
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((error: unknown) => {
    if (error instanceof CliError) {
      console.error(`se-zoo: ${error.message}`);
    } else if (error instanceof Error) {
      // Configuration errors from @se/core explain themselves; a stack trace adds nothing.
      console.error(`se-zoo: ${error.message}`);
      if (process.env.SE_ZOO_DEBUG) console.error(error.stack);
    } else {
      console.error('se-zoo:', error);
    }
    process.exit(1);
  });
