#!/usr/bin/env node
// Makes the demo's small Fashion-MNIST sample, public/fashion-mnist-sample.bin, from the full
// dataset (Debian's dataset-fashion-mnist package installs it in /usr/share/datasets/fashion-mnist).
// Run once; the output is committed.
//
// Takes the first TRAIN images of each class, in turn, from the training set and TEST likewise
// from the test set, so that both parts are balanced (25.6 and 6.4 a class on average). Layout,
// all uint8: TRAIN labels, TRAIN images of 28×28 row-major pixels, TEST labels, TEST images.
//
//   node scripts/make-dataset.mjs [dataset directory]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const TRAIN = 256;
const TEST = 64;
const PIXELS = 28 * 28;
const dir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const out = fileURLToPath(new URL('../public/fashion-mnist-sample.bin', import.meta.url));

/** IDX files: images after a 16-byte header, labels after an 8-byte one. */
function read(prefix) {
  const images = gunzipSync(readFileSync(join(dir, `${prefix}-images-idx3-ubyte.gz`))).subarray(16);
  const labels = gunzipSync(readFileSync(join(dir, `${prefix}-labels-idx1-ubyte.gz`))).subarray(8);
  return { images, labels };
}

/** `count` examples taking classes 0, 1, …, 9, 0, 1, … in turn, each its next example in order. */
function balanced({ images, labels }, count) {
  const next = new Array(10).fill(0);
  const picked = [];
  for (let k = 0; picked.length < count; k++) {
    const label = k % 10;
    while (labels[next[label]] !== label) next[label]++;
    picked.push(next[label]++);
  }
  const outLabels = Uint8Array.from(picked, (i) => labels[i]);
  const outImages = new Uint8Array(count * PIXELS);
  for (const [j, i] of picked.entries()) {
    outImages.set(images.subarray(i * PIXELS, (i + 1) * PIXELS), j * PIXELS);
  }
  return [outLabels, outImages];
}

const parts = [...balanced(read('train'), TRAIN), ...balanced(read('t10k'), TEST)];
const bytes = Buffer.concat(parts);
writeFileSync(out, bytes);
console.log(`wrote ${out}: ${TRAIN} training and ${TEST} test images, ${bytes.length} bytes`);
