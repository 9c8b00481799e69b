import { listModels } from '@se/core';
import { describe, expect, it } from 'vitest';
import '../src/zoo.js';
import { MODEL_COUNTS } from '../src/commands/model-counts.js';
import { countModels } from '../src/commands/models.js';

describe('the generated table of model counts (src/commands/model-counts.ts)', () => {
  // Slow: builds all the zoo's models on the cpu backend (about two minutes on a 2-core box).
  // When it fails, regenerate the table: `pnpm --filter @se/bench gen:model-counts`.
  it('is complete and equals the counts of every registered model, built', () => {
    const infos = listModels();
    // Complete: `se-zoo models` builds no model of the zoo (it would for one missing here).
    expect(Object.keys(MODEL_COUNTS).sort()).toEqual(infos.map((info) => info.name).sort());
    // Exact: each model's (and each SE model's twin's) parameters and MACs.
    expect(countModels(infos)).toEqual(MODEL_COUNTS);
  }, 900_000);
});
