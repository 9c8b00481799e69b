import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

// The test drives the built site (dist/) in Chromium, and checks its numbers against the built
// packages (not the shared source aliases: the page runs what `pnpm build` made).
export default defineProject({
  test: {
    setupFiles: [fileURLToPath(new URL('../../tools/vitest-setup.ts', import.meta.url))],
    include: ['test/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
