#!/usr/bin/env node
// Writes docs/guides/model-gallery.md, the TypeDoc site's table of every registered model: family,
// package, factory (a link to its API page), parameters and MACs at the default input, SE's
// overhead against the plain twin, default input, and timm's pretrained checkpoints with their
// top-1 (the default's in the family's table, every one in a table of its own). Reads the built packages (the registry, PRETRAINED) and apps/bench's generated
// MODEL_COUNTS table (no model is built), so run `pnpm build` first.
//
//   node scripts/gen-model-gallery.mjs           # writes the page
//   node scripts/gen-model-gallery.mjs --check   # exits 1 if the committed page is not the generated one
//
// The factory of a model is the family package's export that *is* the registered factory (the
// same function object: registerFamily returns the functions it registers), found through the
// registry every copy of @se/core shares (globalThis[Symbol.for('se-zoo.registry')], version 1:
// a Map of { factory, info }). The models a family registers without exporting a factory per
// model (MobileNet's widths, ShuffleNet's groups and widths) link to the family's factory with
// the options that build them.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);
const page = fileURLToPath(new URL('docs/guides/model-gallery.md', root));

/** The family packages, in the gallery's order. */
const PACKAGES = ['resnet', 'resnext', 'inception', 'mobilenet', 'shufflenet', 'vgg'];

/** Each family's heading and one line on it, by `ModelInfo.family`, in the gallery's order. */
const FAMILIES = {
  resnet: {
    title: 'ResNet and SE-ResNet (ImageNet)',
    about:
      "ResNet-18…152 and SE-ResNet-18…152 exact to timm's `resnet*` / `seresnet*`, and the original Caffe release's SE-ResNets (timm's `legacy_seresnet*`).",
  },
  'cifar-resnet': {
    title: 'CIFAR ResNets',
    about:
      'The small-input ResNets of the CIFAR experiments: ResNet-20…110, pre-activation ResNet-164 and WRN-16-8, each with its SE twin.',
  },
  resnext: {
    title: 'ResNeXt, SE-ResNeXt and SENet-154',
    about:
      "ResNeXt 32×4d in timm's and the Caffe release's layouts, and SENet-154, the ILSVRC 2017 winner.",
  },
  inception: {
    title: 'Inception',
    about:
      "BN-Inception exact to the Caffe release's SE-BN-Inception, and timm's Inception-v3 and Inception-ResNet-v2, each plain and with SE.",
  },
  mobilenet: {
    title: 'MobileNet v1',
    about: "timm's MobileNet v1 at widths ×0.25–1, and SE-MobileNet (the paper's Table 3).",
  },
  shufflenet: {
    title: 'ShuffleNet v1',
    about:
      "megvii's ShuffleNet v1, groups 1–8 and widths ×0.5/1/2, and SE-ShuffleNet (the paper's Table 3).",
  },
  vgg: {
    title: 'VGG-16',
    about: "VGG-16-BN exact to timm's `vgg16_bn`, and SE-VGG-16 (the paper's Table 2).",
  },
  cnn: {
    title: 'Small CNN',
    about:
      "The small CNN of the Keras seed experiments (Keras's `cifar10_cnn`), plain and with SE.",
  },
};

/**
 * The factory of a model a family registers without exporting it: the family's configurable
 * factory and the options that give the registered model, or undefined.
 */
function familyFactory(name) {
  const alias = { senet154: 'legacy_senet154' }[name];
  if (alias) return { alias };
  const mobilenet = name.match(/^(se_)?mobilenetv1_(\d{3})$/);
  if (mobilenet) {
    return {
      exportName: mobilenet[1] ? 'seMobileNetV1' : 'mobileNetV1',
      options: `{ alpha: ${Number(mobilenet[2]) / 100} }`,
    };
  }
  const shufflenet = name.match(/^(se_)?shufflenet_v1_g(\d)(?:_(\d{3}))?$/);
  if (shufflenet) {
    const width = shufflenet[3] ? `, width: ${Number(shufflenet[3]) / 100}` : '';
    return {
      exportName: shufflenet[1] ? 'seShuffleNetV1' : 'shuffleNetV1',
      options: `{ groups: ${shufflenet[2]}${width} }`,
    };
  }
  return undefined;
}

/**
 * A family's models in the registry's order, each plain model followed by its SE twin, and the
 * models without a twin (the Caffe release's) last.
 */
function pairUp(infos) {
  const byName = new Map(infos.map((m) => [m.name, m]));
  const paired = [];
  for (const info of infos) {
    if (info.se || info.twin === undefined) continue;
    paired.push(info);
    const twin = byName.get(info.twin);
    if (twin) paired.push(twin);
  }
  return [...paired, ...infos.filter((m) => !paired.includes(m))];
}

/** `1,234,567`. */
function count(n) {
  return n.toLocaleString('en-US');
}

/** Millions or billions of MACs with three significant figures: `4.09 G`, `568 M`, `20.7 M`. */
function macs(n) {
  const [value, unit] = n >= 1e9 ? [n / 1e9, 'G'] : [n / 1e6, 'M'];
  return `${value.toPrecision(3)}\u00a0${unit}`;
}

/** `+9.9 %` (one decimal; two under 1 %, one significant digit under 0.005 %). */
function percent(part, whole) {
  const p = (100 * part) / whole;
  if (p > 0 && p < 0.005) return `+${p.toPrecision(1)}\u00a0%`;
  return `+${p.toFixed(Math.abs(p) < 1 ? 2 : 1)}\u00a0%`;
}

async function generate() {
  const core = await import(new URL('packages/core/dist/index.js', root).href);
  const modules = {};
  for (const pkg of PACKAGES) {
    modules[`@se/${pkg}`] = await import(new URL(`packages/${pkg}/dist/index.js`, root).href);
  }
  const { MODEL_COUNTS } = await import(
    new URL('apps/bench/dist/commands/model-counts.js', root).href
  );
  const registry = globalThis[Symbol.for('se-zoo.registry')];
  if (registry?.version !== 1 || !(registry.models instanceof Map)) {
    throw new Error('no SE Zoo model registry (version 1) on globalThis');
  }

  /** The export of `pkg` that is the registered factory of `name`. */
  const exportOf = (pkg, name) => {
    const factory = registry.models.get(name)?.factory;
    const found = Object.entries(modules[pkg] ?? {}).filter(([, value]) => value === factory);
    return found.length === 1 ? found[0][0] : undefined;
  };
  const factoryCell = (info) => {
    const link = (exportName, options = '') => {
      if (typeof modules[info.package]?.[exportName] !== 'function') {
        throw new Error(`${info.package} exports no function ${exportName} (for ${info.name})`);
      }
      const text = options ? `${exportName}(${options})` : exportName;
      return `{@link "${info.package}"!${exportName} \`${text}\`}`;
    };
    const exported = exportOf(info.package, info.name);
    if (exported) return link(exported);
    const fallback = familyFactory(info.name);
    if (fallback?.alias) {
      const aliased = exportOf(info.package, fallback.alias);
      if (aliased) return `${link(aliased)} (as \`${fallback.alias}\`)`;
    } else if (fallback) {
      return link(fallback.exportName, fallback.options);
    }
    throw new Error(
      `no factory of ${info.name} among ${info.package}'s exports: export it, or teach ` +
        'familyFactory() in scripts/gen-model-gallery.mjs how the family builds it',
    );
  };

  const models = core.listModels();
  const families = Object.keys(FAMILIES);
  for (const info of models) {
    if (!families.includes(info.family)) {
      throw new Error(`family ${info.family} (of ${info.name}) has no entry in FAMILIES`);
    }
  }
  const lines = [
    '---',
    'title: Model gallery',
    'group: Guides',
    '---',
    '',
    '<!-- Generated by scripts/gen-model-gallery.mjs (`node scripts/gen-model-gallery.mjs`) from',
    "     the registry, apps/bench's MODEL_COUNTS and @se/core's PRETRAINED: do not edit. -->",
    '',
    '# Model gallery',
    '',
    `Every model the family packages register: ${models.length} networks, each built by name with`,
    '`createModel(name, options)` once its package is imported, or by its factory (linked). Each',
    'factory takes the same {@link "@se/core"!ModelOptions | ModelOptions} (`includeTop`, `inputShape`,',
    '`pooling`, `classes`, `classifierActivation`, `name`, `se`).',
    '',
    "- **Parameters** and **MACs** (multiply–accumulates, what the paper's Table 2 calls FLOPs) are",
    '  PyTorch-style counts ({@link "@se/core"!countParams | countParams},',
    '  {@link "@se/core"!countMacs | countMacs}) of one image at the default input (height × width,',
    "  3 channels; the family's), with the default head: 1000 classes, 10 for the CIFAR networks and",
    '  the small CNN.',
    '- **SE adds** what the SE blocks cost against the plain twin, the row above, at the same input.',
    "- **timm top-1** is the ImageNet-1k top-1 accuracy (%) timm reports for the model's default",
    "  pretrained checkpoint, and how many checkpoints timm has; `loadModel('<model>.<tag>')` loads",
    '  one.',
    '  [Every checkpoint](#pretrained-checkpoints) is listed below, and',
    '  [Pretrained models](pretrained-models.md) tells how to use them.',
    '',
    '`se-zoo models` prints the counts from the command line.',
  ];
  for (const family of families) {
    const rows = pairUp(models.filter((m) => m.family === family));
    if (rows.length === 0) continue;
    const { title, about } = FAMILIES[family];
    const size = (info) => `${info.defaultInputShape[0]}×${info.defaultInputShape[1]}`;
    const sameInput = rows.every((m) => size(m) === size(rows[0]));
    lines.push(
      '',
      `## ${title}`,
      '',
      `${about} Package \`${rows[0].package}\`, family \`${family}\`${sameInput ? `, input ${size(rows[0])}` : ''}.`,
      '',
      `| model, factory | parameters | MACs | SE adds (params, MACs) |${sameInput ? '' : ' input |'} timm top-1 |`,
      `| --- | ---: | ---: | --- |${sameInput ? '' : ' --- |'} --- |`,
    );
    for (const info of rows) {
      const counts = MODEL_COUNTS[info.name];
      if (!counts) throw new Error(`MODEL_COUNTS has no ${info.name}: regenerate it`);
      const input = info.defaultInputShape;
      if (counts.input.join() !== input.join()) {
        throw new Error(`MODEL_COUNTS's input of ${info.name} is not its default input`);
      }
      if (input[2] !== 3) throw new Error(`${info.name} does not take 3-channel images`);
      const { twin } = counts;
      const overhead = twin
        ? `${percent(counts.params - twin.params, twin.params)}, ${percent(counts.macs - twin.macs, twin.macs)}`
        : '—';
      const tags = core.pretrainedTags(info.name);
      const top1 =
        tags.length > 0
          ? `${tags[0].top1 ?? '—'} (${tags.length}\u00a0checkpoint${tags.length > 1 ? 's' : ''})`
          : '—';
      const name = `\`${info.name}\``;
      lines.push(
        `| ${name}<br>${factoryCell(info)} | ${count(counts.params)} | ${macs(counts.macs)} | ${overhead} |${sameInput ? '' : ` ${size(info)} |`} ${top1} |`,
      );
    }
  }
  lines.push(
    '',
    '## Pretrained checkpoints',
    '',
    "timm's ImageNet-1k checkpoints of each model, the default first, with the top-1 accuracy (%)",
    "timm reports; `loadModel('<model>.<tag>')` loads one, `loadModel('<model>')` the default.",
    '',
    '| model | checkpoints (timm top-1 %) |',
    '| --- | --- |',
  );
  for (const info of models) {
    const tags = core.pretrainedTags(info.name);
    if (tags.length === 0) continue;
    const list = tags.map((c) => `\`${c.tag}\` ${c.top1 ?? '—'}`).join(', ');
    lines.push(`| \`${info.name}\` | ${list} |`);
  }
  return `${lines.join('\n')}\n`;
}

const text = await generate();
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(page, 'utf8');
  } catch {}
  if (committed !== text) {
    console.error(
      'docs/guides/model-gallery.md is not what scripts/gen-model-gallery.mjs generates: ' +
        'run `node scripts/gen-model-gallery.mjs` and commit the page',
    );
    process.exit(1);
  }
  console.log('docs/guides/model-gallery.md is up to date');
} else {
  writeFileSync(page, text);
  console.log(`wrote docs/guides/model-gallery.md (${text.split('\n').length} lines)`);
}
