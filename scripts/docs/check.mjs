#!/usr/bin/env node
// Checks the built documentation site (docs/site: `pnpm run docs` first), as CI's `docs-check`
// step does:
//
// 1. docs/guides/model-gallery.md is what scripts/gen-model-gallery.mjs generates from the built
//    packages (the registry, apps/bench's MODEL_COUNTS, @se/core's PRETRAINED).
// 2. In headless Chromium (Debian's /usr/bin/chromium, through playwright-core), the
//    landing page, a guide, the model gallery and a factory's page render: their content, the
//    sidebar (drawn by TypeDoc's script) with the guides' titles, no page errors. A full-page
//    screenshot of each is kept under docs/site-screenshots/ (gitignored; CI keeps it as an
//    artifact) and its path printed.
// 3. Every internal link and #anchor of the site resolves (linkinator, from index.html through
//    every page it reaches; every page must be reached). External links are not fetched (CI is
//    offline): they are listed.
//
//   node scripts/docs/check.mjs
//
// Serves docs/site from a local HTTP server on 127.0.0.1; idempotent (screenshots are replaced);
// timeouts are generous, so a busy machine is only slower.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LinkChecker } from 'linkinator';
import { chromium } from 'playwright-core';
import { MODEL_COUNTS } from '../../apps/bench/dist/commands/model-counts.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const site = join(root, 'docs/site');
const shots = join(root, 'docs/site-screenshots');
const CHROMIUM = '/usr/bin/chromium';
/** Per page load and per assertion; generous: CI's machine may be busy. */
const TIMEOUT_MS = 120_000;

const failures = [];
const fail = (message) => {
  failures.push(message);
  console.log(`  FAIL ${message}`);
};
const ok = (message) => console.log(`  ok   ${message}`);

/** Every .html file under `dir`, as site-relative paths with `/`. */
function htmlFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.html'))
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** A static server of `dir` on 127.0.0.1 (a random port). */
async function serve(dir) {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    let file = resolve(dir, `.${path}`);
    if (path.endsWith('/')) file = join(file, 'index.html');
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    response.writeHead(200, { 'content-type': type }).end(readFileSync(file));
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return server;
}

/** 1. The committed gallery is the generated one. */
function checkGallery() {
  console.log('==> model gallery: node scripts/gen-model-gallery.mjs --check');
  const run = spawnSync(
    process.execPath,
    [join(root, 'scripts/gen-model-gallery.mjs'), '--check'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  const output = `${run.stdout}${run.stderr}`.trim();
  if (run.status === 0) ok(output.split('\n').at(-1));
  else fail(`model gallery: ${output}`);
}

/** What each rendered page must show, besides the sidebar: `check` throws what is wrong. */
const PAGES = [
  {
    shot: 'landing.png',
    path: 'index.html',
    async check(page) {
      const titles = await page.locator('h1, h2').allTextContents();
      const seZoo = titles.filter((t) => t.trim() === 'SE Zoo').length;
      if (seZoo !== 1)
        throw new Error(`${seZoo} headings "SE Zoo" (one expected: the site's title)`);
      for (const h of ['Install', 'Build a model and count it', 'Guides']) {
        if (!titles.some((t) => t.trim() === h)) throw new Error(`no heading "${h}"`);
      }
      const examples = await page.locator('.tsd-typography pre code').count();
      if (examples < 4) throw new Error(`${examples} code examples (at least 4 expected)`);
      const gallery = page.locator('.tsd-typography a', { hasText: 'Model gallery' });
      const href = await gallery.first().getAttribute('href');
      if (!href?.includes('documents/'))
        throw new Error(`the "Model gallery" link goes to ${href}`);
      return `${titles.length} headings, ${examples} examples, guides linked`;
    },
  },
  {
    shot: 'guide-getting-started.png',
    path: 'documents/Getting_started.html',
    async check(page) {
      const h1 = (await page.locator('.tsd-typography h1').first().textContent()) ?? '';
      if (h1.trim() !== 'Getting started') throw new Error(`its first heading is "${h1}"`);
      const code = await page.locator('.tsd-typography pre code').count();
      if (code < 2) throw new Error(`${code} code blocks`);
      return `"${h1.trim()}", ${code} code blocks`;
    },
  },
  {
    shot: 'model-gallery.png',
    path: 'documents/Model_gallery.html',
    async check(page) {
      const tables = page
        .locator('.tsd-typography table')
        .filter({ has: page.locator('th', { hasText: /^model, factory$/ }) });
      const rows = await tables.locator('tbody tr').count();
      const factories = await tables
        .locator('tbody tr td:first-child a[href*="functions/"]')
        .count();
      const expected = Object.keys(MODEL_COUNTS).length;
      if (rows !== expected) throw new Error(`${rows} model rows (${expected} models registered)`);
      if (factories !== rows) throw new Error(`${factories} of ${rows} rows link their factory`);
      const row = tables.locator('tbody tr').filter({
        has: page.locator('td:first-child code', { hasText: /^seresnet50$/ }),
      });
      if ((await row.count()) !== 1) throw new Error('no row of seresnet50');
      const text = (await row.textContent()) ?? '';
      if (!/28,088,024/.test(text))
        throw new Error(`the seresnet50 row says ${JSON.stringify(text)}`);
      return `${rows} models, each linking its factory`;
    },
  },
  {
    shot: 'factory-seResNet50.png',
    path: 'functions/_se_resnet.seResNet50.html',
    async check(page) {
      const title = (await page.locator('.tsd-page-title h1').textContent()) ?? '';
      if (!/^Function seResNet50/.test(title.trim())) throw new Error(`its title is "${title}"`);
      const signature = (
        (await page.locator('.tsd-signature').first().textContent()) ?? ''
      ).replace(/\s+/g, '');
      if (signature !== 'seResNet50(options?:ModelOptions):LayersModel') {
        throw new Error(`its signature is ${signature}`);
      }
      const options = page.locator('.tsd-signature a', { hasText: 'ModelOptions' });
      const href = await options.first().getAttribute('href');
      if (!href?.includes('_se_core.ModelOptions'))
        throw new Error(`ModelOptions links to ${href}`);
      const example = await page.locator('.tsd-typography pre code').count();
      if (example < 1) throw new Error('no example');
      return 'seResNet50(options?: ModelOptions): LayersModel, options linked, an example';
    },
  },
];

/** 2. The pages render in headless Chromium; a screenshot of each. */
async function checkPages(base) {
  console.log(`==> rendering in headless Chromium (${CHROMIUM}); screenshots in ${shots}`);
  if (!existsSync(CHROMIUM)) {
    fail(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
    return;
  }
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, timeout: TIMEOUT_MS });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(TIMEOUT_MS);
    for (const spec of PAGES) {
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (error) => errors.push(error.message));
      // Every request the page makes must succeed (Chromium's own favicon request aside).
      page.on('response', (response) => {
        const url = new URL(response.url());
        if (response.status() >= 400 && url.pathname !== '/favicon.ico') {
          errors.push(`HTTP ${response.status()} for ${url.pathname}`);
        }
      });
      page.on('requestfailed', (request) => {
        errors.push(`${request.failure()?.errorText ?? 'failed'}: ${request.url()}`);
      });
      try {
        const response = await page.goto(`${base}/${spec.path}`, { waitUntil: 'load' });
        if (!response?.ok()) throw new Error(`HTTP ${response?.status()}`);
        // TypeDoc's script shows the page once it is set up, and draws the sidebar.
        await page.waitForFunction(() => document.body.style.display !== 'none');
        await page.locator('.site-menu nav a', { hasText: 'Model gallery' }).first().waitFor();
        const sidebar = await page.locator('.site-menu nav a').allTextContents();
        for (const guide of ['Getting started', 'Model gallery', 'Pretrained models']) {
          if (!sidebar.some((line) => line.trim() === guide)) {
            throw new Error(`the sidebar has no "${guide}"`);
          }
        }
        const result = await spec.check(page);
        const file = join(shots, spec.shot);
        await page.screenshot({ path: file, fullPage: true });
        if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
        ok(`${spec.path}: ${result}`);
        console.log(`       screenshot ${relative(root, file)}`);
      } catch (error) {
        fail(`${spec.path}: ${error instanceof Error ? error.message : String(error)}`);
        await page
          .screenshot({ path: join(shots, spec.shot), fullPage: true })
          .catch(() => undefined);
      } finally {
        await page.close();
      }
    }
  } finally {
    await browser.close();
  }
}

/** 3. Internal links and anchors (linkinator); external ones listed, not fetched. */
async function checkLinks(base) {
  console.log('==> links: linkinator over the site (internal links and #anchors)');
  const external = new Set();
  const checker = new LinkChecker();
  const result = await checker.check({
    path: `${base}/`,
    recurse: true,
    checkFragments: true,
    concurrency: 8,
    timeout: TIMEOUT_MS,
    linksToSkip: async (link) => {
      const url = new URL(link);
      if (url.host === new URL(base).host) return false;
      external.add(link);
      return true;
    },
  });
  const broken = result.links.filter((l) => l.state === 'BROKEN');
  for (const link of broken) {
    const detail = link.failureDetails?.find((d) => d instanceof Error || d?.message)?.message;
    fail(
      `broken link ${link.url.replace(base, '')} (on ${link.parent?.replace(base, '') ?? '?'}): ${detail ?? `HTTP ${link.status}`}`,
    );
  }
  const reached = new Set(
    result.links
      .filter((l) => l.state === 'OK' && l.url.startsWith(base))
      .map((l) => new URL(l.url).pathname.replace(/^\//, '')),
  );
  const pages = htmlFiles(site);
  const unreached = pages.filter(
    (p) => !reached.has(p) && !(p === 'index.html' && reached.has('')),
  );
  if (unreached.length > 0) fail(`pages no link reaches: ${unreached.join(', ')}`);
  const checked = result.links.filter((l) => l.state === 'OK').length;
  if (broken.length === 0) {
    ok(
      `${checked} internal links and anchors resolve, ${pages.length - unreached.length} of ${pages.length} pages reached`,
    );
  }
  console.log(`  external links, not fetched (${external.size}):`);
  for (const link of [...external].sort()) console.log(`       ${link}`);
}

const start = Date.now();
if (!existsSync(join(site, 'index.html'))) {
  console.error('docs/site is missing: run `pnpm run docs` first');
  process.exit(1);
}
checkGallery();
const server = await serve(site);
const base = `http://127.0.0.1:${server.address().port}`;
try {
  await checkPages(base);
  await checkLinks(base);
} finally {
  server.close();
}
const seconds = ((Date.now() - start) / 1000).toFixed(1);
if (failures.length > 0) {
  console.log(`docs check: ${failures.length} failed (${seconds} s)`);
  process.exit(1);
}
console.log(`docs check: passed (${seconds} s); screenshots in ${relative(root, shots)}/`);
