// Drives the built demo (apps/demo/dist, made by `vite build`) in headless Chromium: builds
// se_cnn, trains it a few steps and charts an SE block's excitations, checking the numbers the
// page shows; then classifies a photo with a pretrained model whose (random) weights a local
// Hub-shaped server serves, and again from Cache Storage once that server is gone. Uses Debian's
// Chromium (/usr/bin/chromium, or $CHROMIUM_PATH) through playwright-core; skipped, saying so,
// where there is none.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ClassProbability,
  countMacs,
  countParams,
  createModel,
  exportPyTorchWeights,
  findPretrained,
  getModelInfo,
  IMAGENET_CLASSES,
  modelName,
  pretrainedConfig,
  WEIGHTS_FILE,
} from '@se/core';
import '@se/resnet';
import '@se/resnext';
import '@se/vgg';
import { type HubServer, startHubServer } from '@se/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
/** Screenshots of the page (gitignored), for a person to look at: CI prints their paths. */
const SCREENSHOTS = fileURLToPath(new URL('../test-results/screenshots/', import.meta.url));
const STEPS = 10;
/** `DEMO_BACKEND=webgpu` (webgl, wasm, cpu) makes the page use that backend instead of choosing. */
const BACKEND = process.env.DEMO_BACKEND;
/** The smallest pretrained network the page offers: its 47 MB of weights keep the test quick. */
const PRETRAINED_MODEL = pretrainedConfig('resnet18');
const PHOTO = fileURLToPath(
  new URL('../../../packages/core/test/fixtures/preprocess/photo.jpg', import.meta.url),
);

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

/** A GPU emulated on the CPU, by its renderer or adapter name (as @se/backends judges it). */
const SOFTWARE_GPU = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render driver/i;

/** The page's GPUs as the browser reports them: WebGPU's adapter and WebGL's renderer, or null. */
function gpusOf(page: Page): Promise<{ webgpu: string | null; webgl: string | null }> {
  return page.evaluate(async () => {
    const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    const adapter = (await gpu?.requestAdapter().catch(() => null)) as {
      info?: Record<string, string>;
      isFallbackAdapter?: boolean;
    } | null;
    const info = adapter?.info;
    const webgpu = adapter
      ? `${adapter.isFallbackAdapter || info?.isFallbackAdapter ? 'software ' : ''}${[info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ')}`
      : null;
    const gl = document.createElement('canvas').getContext('webgl');
    const ext = gl?.getExtension('WEBGL_debug_renderer_info');
    const webgl = gl
      ? String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER))
      : null;
    return { webgpu, webgl };
  });
}

/** Saves a screenshot of the whole page (or of `selector`) and prints where. */
async function screenshot(page: Page, name: string, selector?: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, name);
  await (selector
    ? page.locator(selector).screenshot({ path })
    : page.screenshot({ path, fullPage: true }));
  console.log(`demo screenshot: ${path}`);
}

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

/** Waits for a classification's five rows (the page clears them when it starts one). */
async function classified(page: Page): Promise<ClassProbability[]> {
  await page.waitForFunction(
    () =>
      document.querySelectorAll('#predictions-body tr').length === 5 ||
      document.body.dataset.state === 'error',
    undefined,
    { timeout: 180_000 },
  );
  await idle(page);
  return page.$$eval('#predictions-body tr', (rows) =>
    rows.map((row) => {
      const data = (row as HTMLElement).dataset;
      return {
        index: Number(data.index),
        label: data.label ?? '',
        probability: Number(data.probability),
      };
    }),
  );
}

/** Five ImageNet classes, each with its own label and a probability in (0, 1], most probable first. */
function expectTop5(top: ClassProbability[]): void {
  expect(top).toHaveLength(5);
  for (const [rank, p] of top.entries()) {
    expect(p.label).toBe(IMAGENET_CLASSES[p.index]);
    expect(p.probability).toBeGreaterThan(0);
    expect(p.probability).toBeLessThanOrEqual(1);
    if (rank > 0) expect(p.probability).toBeLessThanOrEqual(top[rank - 1]?.probability ?? 0);
  }
  expect(new Set(top.map((p) => p.index)).size).toBe(5);
}

/** The download progress the page shows. */
function progressOf(page: Page): Promise<{ value: number; max: number; source: string }> {
  return page.$eval('#download-progress', (node) => {
    const progress = node as HTMLProgressElement;
    return { value: progress.value, max: progress.max, source: progress.dataset.source ?? '' };
  });
}

describe.skipIf(!existsSync(CHROMIUM))('the browser demo', () => {
  let server: Server;
  let hub: HubServer | null = null;
  let url = '';
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  /** What the page logged as errors and warnings (a failed backend start would log its stack). */
  const logged: string[] = [];
  let firstTop: ClassProbability[] = [];

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'index.html'))) {
      throw new Error('apps/demo/dist is missing: run `pnpm --filter @se/demo build` first');
    }
    server = await serve(DIST);
    // The Hub (or a mirror) for the classify section: another origin, as huggingface.co is.
    hub = await startHubServer();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // WebGPU where Chromium can give it (SwiftShader on a GPU-less machine may not).
      args: ['--enable-unsafe-webgpu', '--enable-features=Vulkan'],
    });
    // A context of our own (browser.newPage's cannot open a second page): the offline check
    // opens another page that shares its Cache Storage.
    const context = await browser.newContext({ viewport: { width: 1100, height: 1400 } });
    page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        logged.push(`${message.type()}: ${message.text()}`);
      }
    });
    const { port } = server.address() as AddressInfo;
    const query = new URLSearchParams({
      hub: hub.endpoint,
      ...(BACKEND ? { backend: BACKEND } : {}),
    });
    url = `http://127.0.0.1:${port}/?${query}`;
    await page.goto(url);
    await idle(page, 60_000);
  });

  afterAll(async () => {
    if (page) await screenshot(page, 'demo.png');
    await browser?.close();
    await hub?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  it('picks a backend, wasm over a software GPU, quietly, and offers the small SE models', async () => {
    const backend = await page.getAttribute('#backend', 'data-backend');
    console.log(`demo backend: ${await page.textContent('#backend')}`);
    console.log(`demo backend note: ${await page.textContent('#backend-note')}`);
    const gpus = await gpusOf(page);
    console.log(`demo GPUs: WebGPU ${gpus.webgpu}, WebGL ${gpus.webgl}`);
    if (BACKEND) {
      expect(backend).toBe(BACKEND);
    } else {
      const hardware = [gpus.webgpu, gpus.webgl].some((gpu) => gpu && !SOFTWARE_GPU.test(gpu));
      // Headless Chromium without a GPU has SwiftShader (WebGL, maybe WebGPU): wasm is faster.
      expect(hardware ? ['webgpu', 'webgl'] : ['wasm']).toContain(backend);
      if (!hardware && gpus.webgl) {
        expect(await page.textContent('#backend-note')).toMatch(/webgl: software GPU \(.+\)/);
      }
    }
    // No stack trace of a failed WebGPU or WebGL start, nor any other error or warning.
    expect(logged).toEqual([]);
    const models = await page.$$eval('#model-select option', (options) =>
      options.map((o) => (o as HTMLOptionElement).value),
    );
    expect(models).toEqual(expect.arrayContaining(['se_cnn', 'cnn', 'seresnet20', 'resnet20']));
    // The default model is se_cnn, the one the next tests train.
    expect(await page.inputValue('#model-select')).toBe('se_cnn');
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
    // The chart (Vega-Lite, SVG): a point per step, the values it was given, axes with ticks.
    expect(await page.$$eval('#loss-chart .mark-symbol path', (points) => points.length)).toBe(
      STEPS,
    );
    expect(JSON.parse((await page.getAttribute('#loss-chart', 'data-values')) ?? '[]')).toEqual(
      losses,
    );
    const axes = await page.$$eval('#loss-chart .role-axis-title text', (titles) =>
      titles.map((t) => t.textContent),
    );
    expect(axes.sort()).toEqual(['loss', 'training step']);
    const ticks = await page.$$eval('#loss-chart .role-axis-label text', (labels) => labels.length);
    expect(ticks).toBeGreaterThan(4);
    const accuracy = Number(await page.getAttribute('#accuracy', 'data-value'));
    expect(accuracy).toBeGreaterThanOrEqual(0);
    expect(accuracy).toBeLessThanOrEqual(1);
  });

  it("charts the last SE block's 64 excitations, each in (0, 1)", async () => {
    expect(await page.inputValue('#block-select')).toBe('conv4_se');
    await page.click('#excite-button');
    await idle(page);
    const values = JSON.parse(
      (await page.getAttribute('#excitation-chart', 'data-values')) ?? '[]',
    ) as number[];
    expect(values).toHaveLength(64);
    expect(await page.$$eval('#excitation-chart .mark-rect path', (bars) => bars.length)).toBe(64);
    expect(await page.getAttribute('#excitation-chart', 'data-block')).toBe('conv4_se');
    const axes = await page.$$eval('#excitation-chart .role-axis-title text', (titles) =>
      titles.map((t) => t.textContent),
    );
    expect(axes.sort()).toEqual(['channel of conv4_se', 'mean excitation']);
    for (const value of values) {
      expect(value).toBeGreaterThan(0);
      expect(value).toBeLessThan(1);
    }
    expect(errors).toEqual([]);
  });

  it('offers the pretrained SE models with Hub weights, and twins without SE', async () => {
    const groups = await page.$$eval('#pretrained-select optgroup', (nodes) =>
      nodes.map((node) => Array.from(node.querySelectorAll('option'), (option) => option.value)),
    );
    const [se = [], plain = []] = groups;
    expect(se[0]).toBe('seresnet50.a1_in1k'); // timm's default, chosen first
    expect(se).toEqual(
      expect.arrayContaining(['seresnext50_32x4d.racm_in1k', 'seresnext101_32x4d.gluon_in1k']),
    );
    expect(plain).toEqual(expect.arrayContaining([PRETRAINED_MODEL.name, 'resnet50.a1_in1k']));
    for (const name of [...se, ...plain]) {
      const config = findPretrained(name);
      expect(config.hubRepo, name).not.toBeNull();
      expect(getModelInfo(modelName(config.model)).se, name).toBe(se.includes(name));
    }
  });

  it(`classifies a photo with ${PRETRAINED_MODEL.name} from the Hub server, showing the download`, async () => {
    // Random weights in timm's layout, served as timm/<model>.<tag>/model.safetensors.
    const model = createModel(modelName(PRETRAINED_MODEL.model), {
      classifierActivation: 'linear',
    });
    const weights = exportPyTorchWeights(model);
    model.dispose();
    const repo = PRETRAINED_MODEL.hubRepo ?? '';
    hub?.addFile(repo, WEIGHTS_FILE, weights);
    await page.selectOption('#pretrained-select', PRETRAINED_MODEL.name);
    await page.setInputFiles('#image-input', PHOTO);
    firstTop = await classified(page);
    console.log(`demo classify: ${await page.textContent('#classify-timing')}`);
    expectTop5(firstTop);
    expect(await progressOf(page)).toEqual({
      value: weights.byteLength,
      max: weights.byteLength,
      source: 'hub',
    });
    expect(await page.textContent('#download-text')).toMatch(/\(100 %\)$/);
    // One download, cross-origin (the server's CORS headers let the page read the checks').
    expect(hub?.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', `/${repo}/resolve/main/${WEIGHTS_FILE}`, 200],
    ]);
    await screenshot(page, 'classify.png', '#classify-section');
    expect(errors).toEqual([]);
  });

  it('classifies it again offline, from Cache Storage, once the Hub server is gone', async () => {
    await hub?.close();
    hub = null;
    // A fresh page of the same browser context: nothing in memory, the same Cache Storage.
    const offline = await page.context().newPage();
    offline.on('pageerror', (error) => errors.push(error.message));
    try {
      await offline.goto(url);
      await idle(offline, 60_000);
      await offline.selectOption('#pretrained-select', PRETRAINED_MODEL.name);
      await offline.waitForFunction(() =>
        document.getElementById('pretrained-description')?.textContent?.includes('Cache Storage'),
      );
      await offline.setInputFiles('#image-input', PHOTO);
      const top = await classified(offline);
      expect(await progressOf(offline)).toEqual({ value: 1, max: 1, source: 'cache' });
      // The same weights and image: the same classes and probabilities.
      expect(top.map((p) => p.index)).toEqual(firstTop.map((p) => p.index));
      for (const [i, p] of top.entries()) {
        expect(p.probability).toBeCloseTo(firstTop[i]?.probability ?? Number.NaN, 6);
      }
      // A checkpoint never downloaded has nowhere to come from now: the page says why.
      await offline.selectOption('#pretrained-select', 'seresnet50.a1_in1k');
      await offline.click('#classify-button');
      await offline.waitForFunction(() => document.body.dataset.state !== 'busy', undefined, {
        timeout: 60_000,
      });
      expect(await offline.getAttribute('body', 'data-state')).toBe('error');
      expect(await offline.textContent('#status')).toMatch(
        /^Could not reach http:\/\/127\.0\.0\.1:\d+\/timm\/seresnet50\.a1_in1k\//,
      );
      expect(await offline.textContent('#download-text')).toMatch(/^failed/);
      expect(errors).toEqual([]);
    } finally {
      await offline.close();
    }
  });

  it('auto with a navigator.gpu that gives no adapter takes wasm without a stack trace', async () => {
    // The reported case: WebGPU exposed but unable to start; tfjs logged its failed start.
    const other = await page.context().newPage();
    const warnings: string[] = [];
    other.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') warnings.push(message.text());
    });
    try {
      await other.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'gpu', {
          get: () => ({
            requestAdapter: async () => null,
            getPreferredCanvasFormat: () => 'bgra8unorm',
          }),
        });
      });
      const query = new URL(url);
      query.searchParams.delete('backend');
      await other.goto(query.href);
      await idle(other, 60_000);
      if (!BACKEND) {
        expect(await other.textContent('#backend-note')).toContain('webgpu: no WebGPU adapter');
      }
      expect(warnings).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('?backend=webgpu where WebGPU is missing says so in the page, and how to go on', async () => {
    const other = await page.context().newPage();
    other.on('pageerror', (error) => errors.push(error.message));
    try {
      // A browser without WebGPU: no navigator.gpu.
      await other.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined });
      });
      const query = new URL(url);
      query.searchParams.set('backend', 'webgpu');
      await other.goto(query.href);
      await other.waitForFunction(() => document.body.dataset.state === 'error', undefined, {
        timeout: 60_000,
      });
      expect(await other.textContent('#backend')).toBe('webgpu: not available');
      expect(await other.isVisible('#backend-help')).toBe(true);
      expect(await other.textContent('#backend-help')).toBe(
        'The webgpu backend could not start here. Try the fastest available or wasm.',
      );
      expect(await other.getAttribute('#backend-help a:last-child', 'href')).toMatch(
        /[?&]backend=wasm/,
      );
      expect(await other.textContent('#status')).toMatch(/^backend 'webgpu' is not available: /);
      // The page still lists what it would build, but builds nothing.
      expect(await other.$$eval('#model-select option', (o) => o.length)).toBeGreaterThan(0);
      expect(await other.isDisabled('#build-button')).toBe(true);
      await screenshot(other, 'backend-error.png');
      expect(errors).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

if (!existsSync(CHROMIUM)) {
  console.log(
    `skipping the browser demo test: no Chromium at ${CHROMIUM} (apt-get install chromium)`,
  );
}
