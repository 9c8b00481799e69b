/**
 * The table `se-zoo models` prints, and its rows from the generated tables (model-infos.ts and
 * model-counts.ts) alone: listing the zoo loads neither tfjs nor a model family. models.ts builds
 * the same rows from the registry (for models the tables lack).
 */
import Table from 'cli-table3';
import { CliError } from '../errors.js';
import { MODEL_COUNTS, type ModelCounts } from './model-counts.js';
import { type ListedModel, MODEL_INFOS } from './model-infos.js';

/** `[height, width, channels]`. */
export type Shape3 = [number, number, number];

/** One row of `se-zoo models`. */
export interface ModelRow {
  name: string;
  family: string;
  package: string;
  se: boolean;
  twin?: string;
  /** The model's `defaultInputShape`, at which `macs` is counted. */
  inputShape: Shape3;
  params: number;
  macs: number;
  /** For an SE model whose twin is registered: what SE adds over the twin, in percent. */
  overhead?: { params: number; macs: number };
}

/** Relative increase of `value` over `base`, in percent. */
export function overheadPercent(value: number, base: number): number {
  return base === 0 ? 0 : ((value - base) / base) * 100;
}

function formatPercent(percent: number): string {
  return `${percent >= 0 ? '+' : ''}${percent.toFixed(2)}%`;
}

export function formatShape(shape: readonly number[]): string {
  return shape.join('×');
}

/** @se/core's `formatCount` (test/program.test.ts checks they agree): `1,234,567`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** @se/core's `formatMacs` (test/program.test.ts checks they agree): `3.87 G`, `560.0 M`. */
export function formatMacs(macs: number): string {
  return macs >= 1e9 ? `${(macs / 1e9).toFixed(2)} G` : `${(macs / 1e6).toFixed(1)} M`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Whether `name` matches `filter` as @se/core's `listModels` matches it: a substring, or with a
 * `*` a glob of the whole name.
 */
export function matchesFilter(name: string, filter: string | undefined): boolean {
  if (filter === undefined) return true;
  if (!filter.includes('*')) return new RegExp(escapeRegExp(filter)).test(name);
  return new RegExp(`^${filter.split('*').map(escapeRegExp).join('.*')}$`).test(name);
}

/** The message of a filter that matches none of `registered` models. */
export function noMatchMessage(filter: string | undefined, registered: number): string {
  return registered === 0
    ? 'No models are registered.'
    : `No registered model matches '${filter}' (${registered} models are registered; ` +
        'run `se-zoo models` to list them).';
}

/** The row of `info` from its counts (and its twin's, for the overhead). */
export function modelRow(info: ListedModel, counts: ModelCounts): ModelRow {
  const row: ModelRow = {
    name: info.name,
    family: info.family,
    package: info.package,
    se: info.se,
    inputShape: [...counts.input],
    params: counts.params,
    macs: counts.macs,
  };
  if (info.twin) row.twin = info.twin;
  if (counts.twin) {
    row.overhead = {
      params: overheadPercent(counts.params, counts.twin.params),
      macs: overheadPercent(counts.macs, counts.twin.macs),
    };
  }
  return row;
}

/**
 * The counts of `info` in `table`, unless the table lacks it or was made for another input size
 * or twin (`twin`: the twin `se-zoo models` compares it with, an SE model's registered twin).
 */
export function tabulatedCounts(
  table: Readonly<Record<string, ModelCounts>>,
  info: ListedModel,
  twin: string | undefined,
): ModelCounts | undefined {
  const entry = Object.hasOwn(table, info.name) ? table[info.name] : undefined;
  if (
    !entry ||
    formatShape(entry.input) !== formatShape(info.defaultInputShape) ||
    entry.twin?.name !== twin
  ) {
    return undefined;
  }
  return entry;
}

/**
 * The rows of `se-zoo models [filter]` from the generated tables alone, or `undefined` where they
 * do not hold one of the matching models (then models.ts counts it from the registry).
 */
export function tabulatedRows(
  infos: readonly ListedModel[],
  counts: Readonly<Record<string, ModelCounts>>,
  filter?: string,
): ModelRow[] | undefined {
  const names = new Set(infos.map((info) => info.name));
  const rows: ModelRow[] = [];
  for (const info of infos) {
    if (!matchesFilter(info.name, filter)) continue;
    const twin = info.se && info.twin && names.has(info.twin) ? info.twin : undefined;
    const entry = tabulatedCounts(counts, info, twin);
    if (!entry) return undefined;
    rows.push(modelRow(info, entry));
  }
  return rows;
}

/** The table `se-zoo models` prints. */
export function formatModelsTable(rows: readonly ModelRow[]): string {
  const table = new Table({
    head: ['Model', 'Family', 'SE', 'Input', 'Params', 'MACs', 'SE overhead (params / MACs)'],
    colAligns: ['left', 'left', 'left', 'left', 'right', 'right', 'right'],
    style: { head: [], border: [], compact: true },
  });
  for (const row of rows) {
    table.push([
      row.name,
      row.family,
      row.se ? 'yes' : 'no',
      formatShape(row.inputShape),
      formatCount(row.params),
      formatMacs(row.macs),
      row.overhead
        ? `${formatPercent(row.overhead.params)} / ${formatPercent(row.overhead.macs)} vs ${row.twin}`
        : '',
    ]);
  }
  return `${table.toString()}\n${rows.length} model${rows.length === 1 ? '' : 's'}`;
}

/**
 * `se-zoo models [filter]` from the generated tables: the rows and the table, or `undefined` where
 * the tables lack one of the matching models. A filter that matches none is a {@link CliError}.
 */
export function tabulatedModelsCommand(
  filter?: string,
): { rows: ModelRow[]; text: string } | undefined {
  const rows = tabulatedRows(MODEL_INFOS, MODEL_COUNTS, filter);
  if (!rows) return undefined;
  if (rows.length === 0) throw new CliError(noMatchMessage(filter, MODEL_INFOS.length));
  return { rows, text: formatModelsTable(rows) };
}
