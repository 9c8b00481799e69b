import { createModel, getModelInfo, isModelName, listModels, type ModelName } from '@se/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CIFAR_RESNET_MODEL_NAMES,
  type CifarResNetModelName,
  RESNET_MODEL_NAMES,
  type ResNetModelName,
} from '../src/index.js';

const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

describe('model names as types', () => {
  it("ModelName is the package's registered names, no more, no less", () => {
    expectTypeOf<ModelName>().toEqualTypeOf<ResNetModelName | CifarResNetModelName>();
    expectTypeOf<ResNetModelName>().toEqualTypeOf<`${'' | 'se' | 'legacy_se'}resnet${18 | 34 | 50 | 101 | 152}`>();
    expectTypeOf<CifarResNetModelName>().toEqualTypeOf<
      `${'' | 'se'}resnet${20 | 32 | 44 | 56 | 110 | 164}` | 'wrn16_8' | 'se_wrn16_8'
    >();
    const registered = listModels((m) => m.package === '@se/resnet').map((m) => m.name);
    expect(registered).toEqual([...RESNET_MODEL_NAMES, ...CIFAR_RESNET_MODEL_NAMES].sort(byName));
    expect(registered).toHaveLength(15 + 14);
  });

  it('a misspelt name does not compile, and still fails at run time', () => {
    // @ts-expect-error: 'seresnet5O' (letter O) is not a ModelName
    expect(() => getModelInfo('seresnet5O')).toThrow(/Did you mean 'seresnet50'/);
    const typed: string = 'legacy_seresnet50';
    if (!isModelName(typed)) throw new Error('not registered');
    expect(createModel(typed, { inputShape: [32, 32, 3], classes: 2 }).name).toBe(typed);
  });
});
