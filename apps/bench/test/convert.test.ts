import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '@se/backends';
import { createModel, exportPyTorchWeights, loadPyTorchWeights, RECIPES } from '@se/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCommand, loadHint } from '../src/commands/convert.js';
import { exportCommand, timmUse } from '../src/commands/export.js';
import { evalCommand, trainCommand } from '../src/commands/train.js';
import { recipeSpec } from '../src/experiment/bench.js';
import { createProgram } from '../src/program.js';
import { openRun } from '../src/train/open.js';
import { buildRunModel } from '../src/train/trainer.js';

let dir = '';
beforeAll(async () => {
  await setBackend('wasm', { quiet: true });
  dir = await mkdtemp(join(tmpdir(), 'se-zoo-convert-'));
});
afterAll(async () => {
  await tf.setBackend('cpu');
  await rm(dir, { recursive: true, force: true });
});

describe('se-zoo convert and eval', () => {
  it('turns a timm-style safetensors file into a tfjs model that predicts the same', async () => {
    // A "timm checkpoint": the state_dict of a seresnet18 with logits, as timm would save it.
    const source = createModel('seresnet18', {
      inputShape: [32, 32, 3],
      classifierActivation: 'linear',
    });
    const file = join(dir, 'seresnet18.safetensors');
    await writeFile(file, exportPyTorchWeights(source));
    const modelJson = await convertCommand(file, 'seresnet18', join(dir, 'tfjs'), 32);
    expect(modelJson).toBe(join(dir, 'tfjs', 'model.json'));
    const loaded = await tf.loadLayersModel(`file://${modelJson}`);
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 4);
    const expected = (source.predict(x) as tf.Tensor).dataSync();
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(expected));
  });
  it('says, when it writes the model and in its help, that tfjs loads it after the SE Zoo imports', () => {
    expect(loadHint('seresnet18', '/models/seresnet18/model.json')).toBe(
      "it loads in TensorFlow.js after import '@se/core'; import '@se/resnet' (they register SE Zoo's custom layers): await tf.loadLayersModel('file:///models/seresnet18/model.json')",
    );
    expect(loadHint('se_cnn', '/m/model.json')).toContain("import '@se/core'; import '@se/vgg'");
    const program = createProgram();
    let help = '';
    const convert = program.commands.find((command) => command.name() === 'convert');
    convert?.configureOutput({
      writeOut: (text) => {
        help += text;
      },
    });
    convert?.outputHelp();
    expect(help).toContain("only after `import '@se/core'` and its family package");
  });
  it('names a checkpoint that does not fit the model', async () => {
    const file = join(dir, 'resnet18.safetensors');
    await writeFile(
      file,
      exportPyTorchWeights(createModel('resnet18', { inputShape: [32, 32, 3] })),
    );
    // Eight basic blocks, each SE block with four tensors.
    await expect(convertCommand(file, 'seresnet18', join(dir, 'bad'), 32)).rejects.toThrow(
      /PyTorch weights are missing 32 tensor\(s\) the model needs: layer1\.0\.se\.fc1\.weight/,
    );
  });
  it('evaluates the checkpoint of a trained run to the accuracy the run reported', {
    timeout: 120_000,
  }, async () => {
    const out = join(dir, 'run');
    const result = await trainCommand({
      model: 'cnn',
      dataset: 'synthetic',
      epochs: 1,
      batch: 32,
      trainLimit: 64,
      testLimit: 128,
      out,
    });
    // eval reads the full synthetic test split (128 images), as the run did.
    const { accuracy, loss } = await evalCommand(out);
    expect(accuracy).toBe(result.testAccuracy);
    expect(loss).toBeCloseTo(result.testLoss, 5);
  });
});

describe('se-zoo export: a run back to a timm state_dict', () => {
  it('writes the checkpoint bit-exactly, BatchNorm statistics included, and says how timm loads it', {
    timeout: 300_000,
  }, async () => {
    const run = join(dir, 'export-run');
    await trainCommand({
      model: 'seresnet20',
      dataset: 'synthetic',
      epochs: 1,
      batch: 16,
      trainLimit: 32,
      testLimit: 16,
      out: run,
      log: () => {},
    });
    const file = join(dir, 'seresnet20.safetensors');
    const lines: string[] = [];
    const use = await exportCommand(run, file, { log: (l) => lines.push(l) });
    expect(use).toBe(
      'seresnet20 has no timm twin (timm has no CIFAR ResNets); the file loads back into SE Zoo with loadPyTorchWeights or `se-zoo convert --model seresnet20`',
    );
    expect(lines).toEqual([`wrote ${file}: ${use}`]);
    const trained = await openRun(run);
    const fresh = buildRunModel(trained.spec, trained.dataset);
    const { loaded, missing, unexpected } = loadPyTorchWeights(fresh, await readFile(file));
    expect([missing, unexpected]).toEqual([[], []]);
    expect(loaded.length).toBeGreaterThan(0);
    trained.model.weights.forEach((w, i) => {
      const back = fresh.weights[i] as tf.LayerVariable;
      expect(back.originalName).toBe(w.originalName);
      expect(Array.from(back.read().dataSync())).toEqual(Array.from(w.read().dataSync()));
    });
    trained.model.dispose();
    fresh.dispose();
    await expect(exportCommand(run, join(dir, 'x.bin'))).rejects.toThrow(
      `--out ${join(dir, 'x.bin')}: give a .safetensors file`,
    );
  });

  it('names the timm model, or why timm cannot load the run', () => {
    const spec = recipeSpec(RECIPES['hu2018-imagenet'], {
      model: 'seresnet50',
      se: true,
      seed: 1,
      epochs: 1,
    });
    expect(timmUse(spec, 10, [64, 64, 3])).toBe(
      "timm model seresnet50: model = timm.create_model('seresnet50', num_classes=10); model.load_state_dict(safetensors.torch.load_file(path)) (input 64×64×3)",
    );
    expect(timmUse({ ...spec, se: { reduction: 8 } }, 10, [64, 64, 3])).toMatch(
      /^the run's SE options \(\{"reduction":8\}\) differ from seresnet50's own, so timm's seresnet50 cannot load it/,
    );
  });
});
