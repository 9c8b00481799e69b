/**
 * An option that SE Zoo cannot build a model from. The message names the field and the value,
 * and says what would have been accepted.
 *
 * @example
 * ```ts
 * import '@se/resnet';
 * import { ConfigError, createModel } from '@se/core';
 *
 * try {
 *   createModel('seresnet50', { se: { reduction: 0 } });
 * } catch (error) {
 *   if (error instanceof ConfigError) console.log(error.field); // 'se.reduction'
 * }
 * ```
 */
export class ConfigError extends Error {
  /** Dotted path of the offending option, e.g. `se.reduction`. */
  readonly field: string;
  /** The value that was rejected. */
  readonly value: unknown;

  constructor(field: string, value: unknown, expected: string) {
    super(`Invalid ${field}: ${describeValue(value)}. Expected ${expected}.`);
    this.name = 'ConfigError';
    this.field = field;
    this.value = value;
  }
}

/**
 * Renders a rejected value the way a user typed it (strings quoted, arrays bracketed).
 *
 * @internal
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Returns `value` if it is an integer in `[min, max]` (`max` default +∞); otherwise throws a
 * {@link ConfigError} for `field`.
 *
 * @example
 * ```ts
 * import { checkInteger } from '@se/core';
 *
 * checkInteger('classes', 10, 1); // 10
 * checkInteger('classes', 0, 1); // throws: Invalid classes: 0. Expected an integer ≥ 1.
 * ```
 *
 * @internal Exported for the family packages' option checks.
 */
export function checkInteger(
  field: string,
  value: unknown,
  min: number,
  max = Number.POSITIVE_INFINITY,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new ConfigError(field, value, `an integer ${range}`);
  }
  return value;
}

/**
 * Returns `value`, typed as one of `choices`, if it is one; otherwise throws a
 * {@link ConfigError} for `field`.
 *
 * @example
 * ```ts
 * import { checkChoice } from '@se/core';
 *
 * const pooling = checkChoice('pooling', 'avg', ['avg', 'max'] as const); // 'avg' | 'max'
 * ```
 *
 * @internal Exported for the family packages' option checks.
 */
export function checkChoice<T extends string>(
  field: string,
  value: unknown,
  choices: readonly T[],
): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new ConfigError(field, value, `one of ${choices.map((c) => `'${c}'`).join(', ')}`);
  }
  return value as T;
}

/**
 * Throws a {@link ConfigError} for `field` unless `groups` divides `count` (`what` names the
 * count, e.g. "input channels").
 *
 * @internal
 */
export function checkDivides(field: string, groups: number, count: number, what: string): void {
  if (count % groups !== 0) {
    throw new ConfigError(field, groups, `a divisor of the ${count} ${what}`);
  }
}
