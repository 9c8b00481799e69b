/** An error the CLI prints as a message alone (no stack trace) before exiting with code 1. */
export class CliError extends Error {
  override name = 'CliError';
}
