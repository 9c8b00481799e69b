import { fileURLToPath } from 'node:url';
import type { UserWorkspaceConfig } from 'vitest/config';

const source = (pkg: string): string =>
  fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

/**
 * Test configuration shared by every package: workspace packages resolve to their TypeScript
 * sources, so a test never runs against a stale `dist/`.
 */
export const sharedTestConfig: UserWorkspaceConfig = {
  resolve: {
    alias: {
      '@se/backends': source('backends'),
      '@se/core': source('core'),
      '@se/resnet': source('resnet'),
      '@se/resnext': source('resnext'),
      '@se/inception': source('inception'),
      '@se/mobilenet': source('mobilenet'),
      '@se/shufflenet': source('shufflenet'),
      '@se/vgg': source('vgg'),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: [fileURLToPath(new URL('./tools/vitest-setup.ts', import.meta.url))],
    // A guard against hangs, not a speed limit: on a 2-core CI box, two packages' suites share
    // the cores and the cpu backend's convolution gradients of a whole network take minutes.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
    passWithNoTests: true,
  },
};
