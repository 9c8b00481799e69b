// The benchmarks' command-line options: `--name value` pairs, read where they are used (each
// script documents its own in its header; a flag without a value is `process.argv.includes`).

/** The value after `--name` on the command line, or `fallback`. */
export function argument(name: string, fallback: string): string;
/** The value after `--name` on the command line, or undefined. */
export function argument(name: string): string | undefined;
export function argument(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
