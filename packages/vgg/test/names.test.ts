import { getModelInfo, listModels, type ModelName } from '@se/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CNN_MODEL_NAMES,
  type CnnModelName,
  VGG_MODEL_NAMES,
  type VggModelName,
} from '../src/index.js';

describe('model names as types', () => {
  it("ModelName is the package's registered names, no more, no less", () => {
    const names = ['cnn', 'se_cnn', 'se_vgg16_bn', 'vgg16_bn'] as const;
    expectTypeOf<ModelName>().toEqualTypeOf<VggModelName | CnnModelName>();
    expectTypeOf<VggModelName | CnnModelName>().toEqualTypeOf<(typeof names)[number]>();
    expect([...VGG_MODEL_NAMES, ...CNN_MODEL_NAMES].sort()).toEqual(names);
    expect(listModels((m) => m.package === '@se/vgg').map((m) => m.name)).toEqual(names);
    // @ts-expect-error: not a ModelName
    expect(() => getModelInfo('vgg16')).toThrow(/Did you mean 'vgg16_bn'/);
  });
});
