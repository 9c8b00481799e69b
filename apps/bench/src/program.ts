/**
 * The `se-zoo` command line: its global options and its commands, each of which lives in
 * commands/. With no command it runs the main job, the zoo benchmark (`bench` with its defaults).
 */
import { createRequire } from 'node:module';
import { BackendError, type BackendName, setBackend } from '@se/backends';
import { Command, Option } from 'commander';
import { addAblateCommand } from './commands/ablate.js';
import { addBenchCommands, runBenchAction } from './commands/bench.js';
import { addConvertCommand } from './commands/convert.js';
import { addExcitationsCommand } from './commands/excitations.js';
import { addExportCommand } from './commands/export.js';
import { addModelsCommand } from './commands/models.js';
import { addPredictCommands } from './commands/predict.js';
import { addSummaryCommand } from './commands/summary.js';
import { addTrainCommands } from './commands/train.js';
import { CliError } from './errors.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** Commands that only build, count, convert or render: they need no fast backend. */
const LIGHT_COMMANDS = new Set(['models', 'summary', 'convert', 'report', 'download']);

/**
 * The program; `cli.ts` runs it, tests parse arguments with it in-process. `configure` runs
 * before the commands are added, so that what it sets (e.g. `exitOverride`) reaches them too.
 */
export function createProgram(configure?: (program: Command) => void): Command {
  const cli = new Command('se-zoo');
  configure?.(cli);
  cli
    .description('Squeeze-and-Excitation networks for TensorFlow.js: the SE Zoo command line.')
    .version(version)
    .addOption(
      new Option(
        '--backend <name>',
        'tfjs backend: auto (the fastest available), wasm, cpu, webgpu, webgl or tensorflow (tfjs-node)',
      )
        .choices(['auto', 'wasm', 'cpu', 'webgpu', 'webgl', 'tensorflow'])
        .default('auto'),
    )
    .hook('preAction', async (command, action) => {
      const { backend } = command.opts<{ backend: BackendName }>();
      // Counting and converting run on the cpu backend unless a backend was asked for, so that
      // they never start a GPU (or probe one) for nothing.
      if (
        LIGHT_COMMANDS.has(action.name()) &&
        command.getOptionValueSource('backend') === 'default'
      ) {
        await setBackend('cpu', { quiet: true });
        return;
      }
      // Report what was chosen on stderr, so that stdout stays the command's own output.
      try {
        await setBackend(backend, { log: (line) => console.error(line) });
      } catch (error) {
        if (error instanceof BackendError)
          throw new CliError(`--backend ${backend}: ${error.message}`);
        throw error;
      }
    })
    .showHelpAfterError()
    .allowExcessArguments()
    .action(async (_options: unknown, command: Command) => {
      const [unknown] = command.args;
      if (unknown !== undefined) command.error(`error: unknown command '${unknown}'`);
      // The main job: the default SE-against-plain benchmark.
      await runBenchAction();
    });
  addBenchCommands(cli);
  addAblateCommand(cli);
  addExcitationsCommand(cli);
  addTrainCommands(cli);
  addConvertCommand(cli);
  addExportCommand(cli);
  addPredictCommands(cli);
  addModelsCommand(cli);
  addSummaryCommand(cli);
  return cli;
}
