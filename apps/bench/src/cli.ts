#!/usr/bin/env node
/** `se-zoo`: runs the command line of program.ts and turns errors into one-line messages. */
import { CliError } from './errors.js';
import { createProgram } from './program.js';

async function main(): Promise<void> {
  // tfjs-node is optional and not a dependency (--backend picks wasm, with SE Zoo's training
  // kernels, when it is absent). Production mode silences tfjs's advice to install tfjs-node;
  // the program loads tfjs only for a command that needs it.
  await createProgram(undefined, { prodMode: true }).parseAsync(process.argv);
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
