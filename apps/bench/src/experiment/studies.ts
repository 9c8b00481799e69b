/**
 * The ablation studies of the paper (Hu et al., journal version, arXiv 1709.01507, §6 Tables
 * 10–15, and Table 16 of §7.1) as lists of network configurations: each row of a table is a
 * {@link AblationVariant}, an `se` option of the registry's model factories.
 */
import type { SEConfig } from '@se/core';

/** One row of a study: a configuration of the studied model. */
export interface AblationVariant {
  /** Short name, used in run directories (`seresnet20-r8-seed1`). */
  key: string;
  /** The row's name as the paper's table prints it. */
  label: string;
  /** `false` for the plain network (the paper's baseline row), else the SE options. */
  se: false | SEConfig;
}

/** A study: the rows of one table of the paper. */
export interface AblationStudy {
  /** The `--study` name. */
  name: string;
  /** Where the paper reports it. */
  table: string;
  /** The table's caption, in short. */
  title: string;
  /** The variants, in the paper's row order. */
  variants: AblationVariant[];
  /** The row the others are compared with (the standard SE block of Fig. 2/3). */
  reference: string;
  /** How the study maps onto networks other than the paper's ResNet-50. */
  note: string;
}

const PLAIN: AblationVariant = { key: 'plain', label: 'plain (no SE)', se: false };

/** Every study, by `--study` name. */
export const STUDIES: readonly AblationStudy[] = [
  {
    name: 'reduction',
    table: 'Table 10',
    title: 'reduction ratio r of the excitation bottleneck',
    variants: [
      ...[2, 4, 8, 16, 32].map(
        (r): AblationVariant => ({
          key: `r${r}`,
          label: `r = ${r}`,
          se: { reduction: r, divisor: 1, minHidden: 1 },
        }),
      ),
      { ...PLAIN, label: 'original (no SE)' },
    ],
    reference: 'r16',
    note:
      'The hidden width is ⌊C/r⌋ as in the Caffe release (divisor 1), at least 1: on the CIFAR ' +
      'ResNets (16 channels in stage 1) r = 32 gives stage 1 one hidden unit, where ⌊16/32⌋ = 0 ' +
      'would leave none (on ResNet-50, whose narrowest SE block has 256 channels, it changes nothing).',
  },
  {
    name: 'squeeze',
    table: 'Tables 11 and 16',
    title: 'squeeze operator: global average, global max, or none (NoSqueeze)',
    variants: [
      { ...PLAIN, label: 'plain (no SE)' },
      { key: 'nosqueeze', label: 'NoSqueeze', se: { squeeze: 'none' } },
      { key: 'max', label: 'Max', se: { squeeze: 'max' } },
      { key: 'avg', label: 'Avg (SE)', se: { squeeze: 'avg' } },
    ],
    reference: 'avg',
    note:
      'NoSqueeze keeps the spatial map: its two FC layers act as 1×1 convolutions at every ' +
      'position (same parameters as SE, MACs multiplied by H·W).',
  },
  {
    name: 'excitation',
    table: 'Table 12',
    title: 'non-linearity of the excitation gate',
    variants: [
      { key: 'relu', label: 'ReLU', se: { gate: 'relu' } },
      { key: 'tanh', label: 'Tanh', se: { gate: 'tanh' } },
      { key: 'sigmoid', label: 'Sigmoid', se: { gate: 'sigmoid' } },
    ],
    reference: 'sigmoid',
    note: 'The gate replaces σ of Eq. 3; everything else is the standard block.',
  },
  {
    name: 'stages',
    table: 'Table 13',
    title: 'SE blocks in one stage only, or in all',
    variants: [
      { ...PLAIN, label: 'plain (no SE)' },
      // The registry's stage k follows the stem, like ResNet-50's conv(k+1)_x: the paper's
      // SE_Stage_2/3/4 are stages 1/2/3 here, for the ImageNet ResNets and the CIFAR ones alike.
      ...[1, 2, 3].map(
        (stage): AblationVariant => ({
          key: `stage${stage}`,
          label: `SE_Stage_${stage + 1} (stage ${stage})`,
          se: { stages: [stage] },
        }),
      ),
      { key: 'all', label: 'SE_All', se: {} },
    ],
    reference: 'all',
    note:
      "The paper names ResNet-50's stages after their conv(k)_x layers, so its SE_Stage_2/3/4 " +
      'are the first three residual stages (the registry’s stages 1/2/3, `layer1`–`layer3`); ' +
      'ResNet-50’s last stage (conv5_x) has no row of its own in Table 13. The CIFAR ResNets ' +
      'have three stages (16/32/64 channels): SE_Stage_4 is their last stage, and SE_All is ' +
      'SE in all three.',
  },
  {
    name: 'integration',
    table: 'Table 14',
    title: 'where the SE block sits in the residual unit (Fig. 5)',
    variants: [
      { key: 'standard', label: 'SE', se: { position: 'standard' } },
      { key: 'pre', label: 'SE-PRE', se: { position: 'pre' } },
      { key: 'post', label: 'SE-POST', se: { position: 'post' } },
      { key: 'identity', label: 'SE-Identity', se: { position: 'identity' } },
    ],
    reference: 'standard',
    note:
      'SE-PRE scales the unit’s input, so where a stage widens the channels (its first unit) ' +
      'the block has the narrower input width; SE-Identity scales the (projected) shortcut.',
  },
  {
    name: '3x3',
    table: 'Table 15',
    title: 'SE block after the 3×3 convolution of the residual branch',
    variants: [
      { key: 'standard', label: 'SE', se: { position: 'standard' } },
      { key: '3x3', label: 'SE_3×3', se: { position: '3x3' } },
    ],
    reference: 'standard',
    note:
      'In a bottleneck unit (ResNet-50) the 3×3 convolution has a quarter of the output ' +
      'channels, hence the paper’s smaller SE_3×3. A CIFAR ResNet’s basic block has two 3×3 ' +
      'convolutions of equal width: SE_3×3 sits after the first one (and its BN and ReLU), with ' +
      'the same channels, parameters and MACs as the standard block; only the position differs.',
  },
];

/** The names of the studies, for `--list` and errors. */
export const STUDY_NAMES: readonly string[] = STUDIES.map((s) => s.name);

/** The study called `name`; an unknown name throws an error listing the studies. */
export function getStudy(name: string): AblationStudy {
  const study = STUDIES.find((s) => s.name === name);
  if (!study) {
    throw new Error(`unknown study '${name}'; choose one of ${STUDY_NAMES.join(', ')}`);
  }
  return study;
}

/** The studies as text lines for `se-zoo ablate --list`. */
export function formatStudyList(): string {
  return STUDIES.map(
    (s) =>
      `${s.name.padEnd(12)} ${s.table.padEnd(17)} ${s.title}: ${s.variants.map((v) => v.label).join(', ')}`,
  ).join('\n');
}
