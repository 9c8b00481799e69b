/**
 * What the three Inception networks share beyond @se/core's `convNormAct`, `concatBranches`,
 * `seAt` and `checkInputSizes`: the SE options of the family.
 */

import { type ModelOptions, type ResolvedSE, resolveFamilySE } from '@se/core';

/**
 * The family's SE settings for the `se` option: reduction 16 with the hidden width ⌊C/16⌋ and
 * FC biases, as the Caffe release's SE-BN-Inception (`inception_3a_1x1_down` 256 → 16). The
 * three "stages" are the networks' three resolutions of Inception modules (BN-Inception 3x/4x/5x,
 * Inception-v3 Mixed_5x/6x/7x, Inception-ResNet-v2 Block35/17/8). Only the paper's standard
 * position exists here: SE after each module's concatenation (Fig. 2), or on the residual branch
 * of an Inception-ResNet block (Fig. 3).
 *
 * @param enabledByDefault Whether the model has SE when `se` is undefined.
 *
 * @example
 * ```ts
 * import { resolveInceptionSE } from '@se/inception';
 *
 * resolveInceptionSE({ stages: [3] }, true)?.stages; // [3]
 * resolveInceptionSE(undefined, false); // null: the plain network
 * ```
 */
export function resolveInceptionSE(
  se: ModelOptions['se'],
  enabledByDefault: boolean,
): ResolvedSE | null {
  return resolveFamilySE(se, enabledByDefault, {
    stages: 3,
    positions: ['standard'],
    why: ' (the Inception networks put SE after each module, or on the residual branch)',
  });
}
