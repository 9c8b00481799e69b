/**
 * The `se-zoo` command line: its global options and its commands, declared in
 * commands/declarations.ts, each of which loads its implementation (commands/) when it runs. With
 * no command it runs the main job, the zoo benchmark (`bench` with its defaults). Building the
 * program loads neither tfjs nor any command: `--help`, `--version` and `se-zoo models` (which
 * reads generated tables) start in a fraction of a second.
 */
import { createRequire } from 'node:module';
import type { BackendName } from '@se/backends';
import { Command, Option } from 'commander';
import { declareCommands, runMainJob } from './commands/declarations.js';
import { CliError } from './errors.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** Commands that only build, count, convert or render: they need no fast backend. */
const LIGHT_COMMANDS = new Set(['models', 'summary', 'convert', 'report', 'download']);

/**
 * Commands that start a backend themselves, only if they need one: `models` lists the zoo from
 * generated tables and builds a model (on the cpu backend) only where they lack it.
 */
const BACKEND_ON_DEMAND = new Set(['models']);

/** Settings of {@link createProgram}. */
export interface ProgramSettings {
  /** tfjs production mode when tfjs is loaded (the CLI's: no advice to install tfjs-node). */
  prodMode?: boolean;
}

/** Loads @se/backends (and with it tfjs), in production mode if `settings` ask for it. */
async function loadBackends(settings: ProgramSettings): Promise<typeof import('@se/backends')> {
  const backends = await import('@se/backends');
  if (settings.prodMode) (await import('@tensorflow/tfjs')).enableProdMode();
  return backends;
}

/**
 * The program; `cli.ts` runs it, tests parse arguments with it in-process. `configure` runs
 * before the commands are added, so that what it sets (e.g. `exitOverride`) reaches them too.
 */
export function createProgram(
  configure?: (program: Command) => void,
  settings: ProgramSettings = {},
): Command {
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
      const asked = command.getOptionValueSource('backend') !== 'default';
      if (BACKEND_ON_DEMAND.has(action.name()) && !asked) return;
      const { BackendError, setBackend } = await loadBackends(settings);
      // Counting and converting run on the cpu backend unless a backend was asked for, so that
      // they never start a GPU (or probe one) for nothing.
      if (LIGHT_COMMANDS.has(action.name()) && !asked) {
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
      await runMainJob();
    });
  declareCommands(cli, {
    // `models` building a model the tables lack, when no --backend was given (the preAction
    // hook started the one asked for).
    useCpu: async (command) => {
      const root = command.parent ?? command;
      if (root.getOptionValueSource('backend') !== 'default') return;
      const { setBackend } = await loadBackends(settings);
      await setBackend('cpu', { quiet: true });
    },
  });
  return cli;
}
