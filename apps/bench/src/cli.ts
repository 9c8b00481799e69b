#!/usr/bin/env node
/**
 * `se-zoo`: the SE Zoo command line. With no command it runs the main job; `models` lists the
 * registry and `summary` prints one model's layers.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { CliError, mainJob, modelsCommand, summaryCommand } from './commands.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

function program(): Command {
  const cli = new Command('se-zoo')
    .description('Squeeze-and-Excitation networks for TensorFlow.js: the SE Zoo command line.')
    .version(version)
    .showHelpAfterError()
    .allowExcessArguments()
    .action((_options: unknown, command: Command) => {
      const [unknown] = command.args;
      if (unknown !== undefined) command.error(`error: unknown command '${unknown}'`);
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
  // tfjs-node is optional and not a dependency: the CLI runs on the pure-JS cpu backend. Production
  // mode silences tfjs's advice to install tfjs-node on the first tensor it writes.
  tf.enableProdMode();
  await tf.setBackend('cpu');
  await program().parseAsync(process.argv);
}

main().catch((error: unknown) => {
  if (error instanceof CliError) {
    console.error(`se-zoo: ${error.message}`);
  } else if (error instanceof Error) {
    // Configuration errors from @se/core explain themselves; a stack trace adds nothing.
    console.error(`se-zoo: ${error.message}`);
    if (process.env.SE_ZOO_DEBUG) console.error(error.stack);
  } else {
    console.error('se-zoo:', error);
  }
  process.exitCode = 1;
});
