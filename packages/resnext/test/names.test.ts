import { getModelInfo, listModels, type ModelName } from '@se/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { RESNEXT_MODEL_NAMES, type ResNeXtModelName } from '../src/index.js';

describe('model names as types', () => {
  it("ModelName is the package's registered names, no more, no less", () => {
    expectTypeOf<ModelName>().toEqualTypeOf<ResNeXtModelName>();
    expectTypeOf<ResNeXtModelName>().toEqualTypeOf<
      | `${'' | 'se'}resnext${50 | 101}_32x4d`
      | `legacy_seresnext${26 | 50 | 101}_32x4d`
      | 'legacy_senet154'
      | 'senet154'
    >();
    const registered = listModels((m) => m.package === '@se/resnext').map((m) => m.name);
    expect(registered).toEqual(
      [...RESNEXT_MODEL_NAMES].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
    );
    // @ts-expect-error: not a ModelName
    expect(() => getModelInfo('seresnext50_32x4')).toThrow(/Did you mean 'seresnext50_32x4d'/);
  });
});
