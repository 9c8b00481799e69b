import { getModelInfo, listModels, type ModelName } from '@se/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { INCEPTION_MODEL_NAMES, type InceptionModelName } from '../src/index.js';

describe('model names as types', () => {
  it("ModelName is the package's registered names, no more, no less", () => {
    const names = [
      'bninception',
      'se_bninception',
      'inception_v3',
      'se_inception_v3',
      'inception_resnet_v2',
      'se_inception_resnet_v2',
    ] as const;
    expectTypeOf<ModelName>().toEqualTypeOf<InceptionModelName>();
    expectTypeOf<InceptionModelName>().toEqualTypeOf<(typeof names)[number]>();
    expect([...INCEPTION_MODEL_NAMES].sort()).toEqual([...names].sort());
    expect(listModels((m) => m.package === '@se/inception').map((m) => m.name)).toEqual(
      [...names].sort(),
    );
    // @ts-expect-error: not a ModelName
    expect(() => getModelInfo('inception_v4')).toThrow(/Did you mean 'inception_v3'/);
  });
});
