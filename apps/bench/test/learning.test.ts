// Fair recipes: under their families' default recipes, both twins of the Keras seed's small CNN
// and of CIFAR ResNet-20 learn on 1,024 real Fashion-MNIST images in 2 epochs, far above the
// 10 % of chance (the CLI's former SGD recipe left se_cnn at chance).
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '@se/backends';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchCommand } from '../src/commands/bench.js';
import { DEBIAN_FASHION_MNIST } from '../src/data/idx.js';

let dir = '';
beforeAll(async () => {
  await setBackend('wasm', { quiet: true });
  dir = await mkdtemp(join(tmpdir(), 'se-zoo-learning-'));
});
afterAll(async () => {
  await tf.setBackend('cpu');
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync(DEBIAN_FASHION_MNIST))('both twins learn under their recipes', () => {
  it('cnn / se_cnn and resnet20 / seresnet20 on 1,024 Fashion-MNIST images, 2 epochs', {
    timeout: 1_800_000,
  }, async () => {
    const lines: string[] = [];
    const { summary } = await benchCommand({
      models: 'cnn,resnet20',
      seeds: 1,
      epochs: 2,
      trainLimit: 1024,
      testLimit: 1000,
      out: join(dir, 'bench'),
      log: (line) => lines.push(line),
    });
    expect(lines).toContain(
      'Recipe of cnn / se_cnn: keras-cifar10-cnn: RMSprop ρ 0.9 ε 1e-7, learning rate 0.001 (constant), weight decay 0, batch 32, pad-3 random crops and horizontal flips',
    );
    expect(lines).toContain(
      'Recipe of resnet20 / seresnet20: he2016-cifar: SGD momentum 0.9, learning rate 0.05 (×0.1 at 50 %, 75 % of the epochs), weight decay 0.0001, batch 64, pad-2 random crops and horizontal flips',
    );
    const accuracy = Object.fromEntries(summary.runs.map((r) => [r.spec.model, r.testAccuracy]));
    console.log(`2-epoch test accuracies: ${JSON.stringify(accuracy)}`);
    expect(summary.failures).toEqual([]);
    expect(Object.keys(accuracy).sort()).toEqual(['cnn', 'resnet20', 'se_cnn', 'seresnet20']);
    // Chance is 0.1; every twin reaches three times that.
    for (const [model, value] of Object.entries(accuracy)) {
      expect(value, model).toBeGreaterThan(0.3);
    }
  });
});
