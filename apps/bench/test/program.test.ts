// The command line's declarations (src/program.ts, src/commands/declarations.ts) load no command's
// implementation and no tfjs, yet show what the implementations use: the copies in
// src/commands/defaults.ts and models-table.ts agree with the originals.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatCount, formatMacs, listModels, RECIPE_NAMES } from '@se/core';
import { describe, expect, it } from 'vitest';
import '../src/zoo.js';
import {
  ABLATE_DEFAULTS,
  BENCH_PROTOCOLS,
  DATASET_NAMES,
  RECIPE_CHOICES,
} from '../src/commands/defaults.js';
import {
  matchesFilter,
  formatCount as tableFormatCount,
  formatMacs as tableFormatMacs,
} from '../src/commands/models-table.js';
import { DATASETS } from '../src/data/sources.js';
import { QUICK_ABLATION } from '../src/experiment/ablation.js';
import { PROTOCOLS } from '../src/experiment/bench.js';
import { createProgram } from '../src/program.js';

const src = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * The modules `entry` loads when imported: relative static imports followed through the
 * sources, package imports listed (type-only imports and `import()` are not followed).
 */
function staticImports(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(
      /^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm,
    )) {
      const [, typeOnly, specifier] = match;
      if (typeOnly || !specifier) continue;
      if (specifier.startsWith('.')) {
        visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      } else {
        packages.add(specifier);
      }
    }
  };
  visit(entry);
  return { files, packages };
}

const HEAVY = /^@tensorflow\/|^@se\//;

describe('the program loads only declarations', () => {
  it('building it (--help, --version) imports neither tfjs nor @se packages nor a command', () => {
    const { files, packages } = staticImports(join(src, 'program.ts'));
    expect([...packages].filter((p) => HEAVY.test(p))).toEqual([]);
    const commands = [...files]
      .map((f) => f.slice(src.length))
      .filter((f) => f.startsWith('commands/'));
    expect(commands.sort()).toEqual([
      'commands/declarations.ts',
      'commands/defaults.ts',
      'commands/options.ts',
    ]);
  });

  it('`se-zoo models` lists the zoo from the generated tables, without tfjs or the families', () => {
    const { packages } = staticImports(join(src, 'commands/models-table.ts'));
    expect([...packages].sort()).toEqual(['cli-table3']);
  });

  it('the declarations show the values the implementations use', () => {
    expect(DATASET_NAMES).toEqual(DATASETS);
    expect(RECIPE_CHOICES).toEqual(RECIPE_NAMES);
    expect(BENCH_PROTOCOLS).toEqual(PROTOCOLS);
    expect(ABLATE_DEFAULTS).toEqual(QUICK_ABLATION);
  });

  it('lists every option of every command in its --help', () => {
    const program = createProgram();
    expect(program.commands.map((c) => c.name())).toEqual([
      'bench',
      'report',
      'ablate',
      'excitations',
      'train',
      'eval',
      'convert',
      'export',
      'predict',
      'download',
      'models',
      'summary',
    ]);
    for (const command of program.commands) {
      const help = command.helpInformation();
      for (const option of command.options) expect(help, command.name()).toContain(option.flags);
    }
    expect(program.commands.find((c) => c.name() === 'models')?.helpInformation()).toContain(
      '--pretrained',
    );
  });
});

describe("models-table.ts's copies of @se/core", () => {
  it('format counts and MACs as @se/core does', () => {
    for (const n of [0, 7, 999, 1_000, 11_689_512, 1_814_073_344, 9.99e8, 1e9, 5.6e8, 3.87e9]) {
      expect(tableFormatCount(n)).toBe(formatCount(n));
      expect(tableFormatMacs(n)).toBe(formatMacs(n));
    }
  });

  it('match a filter as listModels does', () => {
    const names = listModels().map((info) => info.name);
    for (const filter of [
      'resnet',
      'seresnet*',
      '*50',
      'se*net*',
      'resnet18',
      'a.b',
      'x(',
      '*',
      '',
    ]) {
      const expected = listModels(filter).map((info) => info.name);
      expect(
        names.filter((name) => matchesFilter(name, filter)),
        filter,
      ).toEqual(expected);
    }
  });
});
