import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  bottleneckWidth,
  countParams,
  RESIDUAL_LAYOUTS,
  residualBottleneck,
  residualStem,
  resolveResidualSE,
} from '../src/index.js';

describe('the shared residual builder', () => {
  it('bottleneck widths: ResNet, ResNeXt 32×4d, SENet-154', () => {
    expect([64, 128, 256, 512].map((p) => bottleneckWidth(p, 1, 64))).toEqual([64, 128, 256, 512]);
    expect([64, 128, 256, 512].map((p) => bottleneckWidth(p, 32, 4))).toEqual([
      128, 256, 512, 1024,
    ]);
    expect(bottleneckWidth(64, 64, 4)).toBe(256);
  });
  it('stems: names and output shapes of both layouts and both kinds', () => {
    const input = tf.input({ shape: [64, 64, 3] });
    const timm = residualStem(input, 'timm');
    const caffe = residualStem(input, 'caffe', { kind: '3x3', width: 128 });
    expect(timm.shape).toEqual([null, 16, 16, 64]);
    expect(caffe.shape).toEqual([null, 16, 16, 128]);
    const model = tf.model({ inputs: input, outputs: [timm, caffe] });
    const names = model.layers.map((l) => l.name);
    expect(names).toContain('conv1');
    expect(names).toContain('maxpool');
    expect(names).toEqual(expect.arrayContaining(['layer0.conv3', 'layer0.bn3', 'pool0']));
    expect(RESIDUAL_LAYOUTS.caffe.stem(2)).toEqual({
      conv: 'layer0.conv2',
      bn: 'layer0.bn2',
      act: 'layer0.relu2',
    });
  });
  it('a grouped bottleneck counts 1×1 + grouped 3×3 + 1×1, BNs, SE and projection', () => {
    const x = tf.input({ shape: [8, 8, 256] });
    const y = residualBottleneck(x, {
      name: 'layer2.0',
      planes: 128,
      stride: 2,
      layout: 'caffe',
      se: resolveResidualSE('caffe', true, true),
      groups: 32,
      baseWidth: 4,
      strideOn: '3x3',
    });
    expect(y.shape).toEqual([null, 4, 4, 512]);
    const convs = 256 * 256 + 9 * 8 * 256 + 256 * 512 + 256 * 512;
    const bns = 2 * (256 + 256 + 512 + 512);
    const se = 2 * 512 * 32 + 32 + 512;
    expect(countParams(tf.model({ inputs: x, outputs: y }))).toBe(convs + bns + se);
  });
});
