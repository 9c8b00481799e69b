// Drives the built demo (apps/demo/dist, made by `vite build`) in headless Chromium: builds
// se_cnn, trains it a few steps and charts an SE block's excitations, checking the numbers the
// page shows. Uses Debian's Chromium (/usr/bin/chromium, or $CHROMIUM_PATH) through
// playwright-core; skipped, saying so, where there is none.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countMacs, countParams, createModel } from '@se/core';
import '@se/vgg';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const RESULTS = fileURLToPath(new URL('../test-results/', import.meta.url));
const STEPS = 10;
/** `DEMO_BACKEND=webgpu` (webgl, wasm, cpu) makes the page use that backend instead of choosing. */
const BACKEND = process.env.DEMO_BACKEND;

// se_cnn at 28×28×1 with 10 classes, by hand: convolutions 3·3·1·32 + 32 = 320, 9,248, 18,496
// and 36,928; 28 → 26 → 13 → 11 → 5 leaves 5·5·64 = 1,600 features, so fc1 1,600·512 + 512 =
// 819,712 and fc 5,130; SE blocks (⌊C/16⌋ hidden, dense) 2·(32·2 + 2 + 2·32 + 32) = 2·162 and
// 2·(64·4 + 4 + 4·64 + 64) = 2·580.
const SE_CNN_PARAMS = 320 + 9_248 + 18_496 + 36_928 + 819_712 + 5_130 + 2 * 162 + 2 * 580;

const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
};

/** A static file server for dist/ on a free port. */
function serve(root: string): Promise<Server> {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    const file = join(root, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(root) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** se_cnn's MACs by hand: the convolutions 28²·32·9 + 26²·32·288 + 13²·64·288 + 11²·64·576, the
 * dense layers 1,600·512 + 512·10 and the SE blocks' FC layers 2·(32·2·2) + 2·(64·4·2). */
const SE_CNN_MACS =
  784 * 32 * 9 + 676 * 32 * 288 + 169 * 64 * 288 + 121 * 64 * 576 + 1_600 * 512 + 5_120 + 1_280;

/** Waits until the page is idle again, failing with the page's error message if it shows one. */
async function idle(page: Page, timeout = 180_000): Promise<void> {
  await page.waitForFunction(
    () => document.body.dataset.state === 'ready' || document.body.dataset.state === 'error',
    undefined,
    { timeout },
  );
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state === 'error') throw new Error(`the page shows: ${await page.textContent('#status')}`);
}

describe.skipIf(!existsSync(CHROMIUM))('the browser demo', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'index.html'))) {
      throw new Error('apps/demo/dist is missing: run `pnpm --filter @se/demo build` first');
    }
    server = await serve(DIST);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // WebGPU where Chromium can give it (SwiftShader on a GPU-less machine may not).
      args: ['--enable-unsafe-webgpu', '--enable-features=Vulkan'],
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    page.on('pageerror', (error) => errors.push(error.message));
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/${BACKEND ? `?backend=${BACKEND}` : ''}`);
    await idle(page, 60_000);
  });

  afterAll(async () => {
    if (page) {
      mkdirSync(RESULTS, { recursive: true });
      await page.screenshot({ path: join(RESULTS, 'demo.png'), fullPage: true });
    }
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  it('picks a backend and offers the small SE models', async () => {
    const backend = await page.getAttribute('#backend', 'data-backend');
    console.log(`demo backend: ${await page.textContent('#backend')}`);
    expect(BACKEND ? [BACKEND] : ['webgpu', 'webgl', 'wasm', 'cpu']).toContain(backend);
    const models = await page.$$eval('#model-select option', (options) =>
      options.map((o) => (o as HTMLOptionElement).value),
    );
    expect(models).toEqual(expect.arrayContaining(['se_cnn', 'cnn', 'seresnet20', 'resnet20']));
  });

  it('builds se_cnn and shows its exact parameter count and MACs', async () => {
    await page.selectOption('#model-select', 'se_cnn');
    await page.click('#build-button');
    await idle(page);
    expect(Number(await page.getAttribute('#params', 'data-value'))).toBe(SE_CNN_PARAMS);
    expect(await page.textContent('#params')).toBe('891,318');
    expect(Number(await page.getAttribute('#se-blocks', 'data-value'))).toBe(4);
    expect(Number(await page.getAttribute('#macs', 'data-value'))).toBe(SE_CNN_MACS);
    // The same model built in Node from the workspace's packages agrees.
    const model = createModel('se_cnn', { inputShape: [28, 28, 1], classes: 10 });
    expect([countParams(model), countMacs(model)]).toEqual([SE_CNN_PARAMS, SE_CNN_MACS]);
    model.dispose();
  });

  it(`trains ${STEPS} steps of its recipe and visibly learns`, async () => {
    // se_cnn's recipe (the Keras example's RMSprop, batch 32) fills the training options.
    expect(await page.textContent('#recipe')).toMatch(/^keras-cifar10-cnn: RMSprop ρ 0\.9/);
    expect(await page.inputValue('#lr')).toBe('0.001');
    expect(await page.inputValue('#batch')).toBe('32');
    await page.fill('#steps', String(STEPS));
    await page.click('#train-button');
    await idle(page);
    const losses = await page.$$eval('#loss-list li', (items) =>
      items.map((li) => Number((li as HTMLElement).dataset.loss)),
    );
    console.log(`demo losses: ${losses.map((l) => l.toFixed(4)).join(', ')}`);
    expect(losses).toHaveLength(STEPS);
    for (const loss of losses) {
      expect(Number.isFinite(loss)).toBe(true);
      expect(loss).toBeGreaterThan(0);
    }
    // Learning, not noise: the last three steps' loss well below the first three's (ln 10 = 2.30
    // at chance).
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)) - 0.2);
    expect(await page.$$eval('#loss-chart circle', (points) => points.length)).toBe(STEPS);
    const accuracy = Number(await page.getAttribute('#accuracy', 'data-value'));
    expect(accuracy).toBeGreaterThanOrEqual(0);
    expect(accuracy).toBeLessThanOrEqual(1);
  });

  it("charts the last SE block's 64 excitations, each in (0, 1)", async () => {
    expect(await page.inputValue('#block-select')).toBe('conv4_se');
    await page.click('#excite-button');
    await idle(page);
    const values = await page.$$eval('#excitation-chart rect', (bars) =>
      bars.map((bar) => Number((bar as SVGElement).dataset.value)),
    );
    expect(values).toHaveLength(64);
    for (const value of values) {
      expect(value).toBeGreaterThan(0);
      expect(value).toBeLessThan(1);
    }
    expect(errors).toEqual([]);
  });
});

if (!existsSync(CHROMIUM)) {
  console.log(
    `skipping the browser demo test: no Chromium at ${CHROMIUM} (apt-get install chromium)`,
  );
}
