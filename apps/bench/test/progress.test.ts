import { describe, expect, it } from 'vitest';
import { epochEta, formatDuration } from '../src/experiment/progress.js';
import { createProgram } from '../src/program.js';

describe('the progress line', () => {
  it('has no ETA until two steps are done (the first includes set-up), then the mean step time', () => {
    expect(epochEta({ step: 1, steps: 16, seconds: 3 })).toBe('—');
    // 2 steps in 4 s: 2 s a step, 14 left.
    expect(epochEta({ step: 2, steps: 16, seconds: 4 })).toBe('28s');
    expect(epochEta({ step: 16, steps: 16, seconds: 30 })).toBe('0s');
  });
  it('writes durations as a person would', () => {
    expect([42.4, 65, 3599, 3600, 1_737_060].map(formatDuration)).toEqual([
      '42s',
      '1m05s',
      '59m59s',
      '1h00m',
      '482h31m',
    ]);
  });
});

describe('help', () => {
  it('bench --help shows every default', () => {
    const help = createProgram()
      .commands.find((c) => c.name() === 'bench')
      ?.helpInformation();
    for (const text of [
      '(default resnet20; --full resnet20,resnet56,resnet110)',
      '(default 2; --full 3)',
      '(default 3; --full 30)',
      "(default: the recipe's)",
      '(default 2048; --full all)',
      '(default results/bench-<dataset>[-full])',
    ]) {
      expect(help?.replace(/\s+/g, ' ')).toContain(text);
    }
  });
});
