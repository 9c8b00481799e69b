#!/usr/bin/env node
// Prints the Markdown table of timm's pretrained checkpoints that @se/core records (for
// docs/guides/pretrained-models.md), from the built package: `pnpm --filter @se/core build` first.
//
//   node scripts/gen-pretrained-table.mjs
import { PRETRAINED } from '../packages/core/dist/index.js';

const rows = [
  '| checkpoint | input | resize, crop | download | timm top-1 (%) | licence |',
  '| --- | --- | --- | ---: | ---: | --- |',
];
for (const [model, entry] of Object.entries(PRETRAINED)) {
  for (const c of entry.tags) {
    const name = `\`${c.name}\`${c.tag === entry.defaultTag ? ' (default)' : ''}`;
    // float32 safetensors: 4 bytes a parameter (timm's counts, in millions, leave out BN statistics).
    const size = c.paramCountM === null ? '—' : `${Math.round(c.paramCountM * 4)} MB`;
    const hub = c.hubRepo ? '' : ' (not on the Hub)';
    rows.push(
      `| ${name}${hub} | ${c.inputSize[1]}×${c.inputSize[2]} | ${c.interpolation}, ${c.cropPct} | ${size} | ${c.top1 ?? '—'} | ${c.license} |`,
    );
  }
  void model;
}
console.log(rows.join('\n'));
