// Kernel micro-benchmark: each kernel SE Zoo registers on wasm against the stock one, and each
// method of the convolution kernels (SE Zoo's WebAssembly `native`, the XNNPACK-based `conv`,
// `gemm`, `gemmT` and their cost model `xnnpack`, and `auto`), on the shapes of the benchmark's
// models.
//   node benchmarks/dist/kernels.js [--threads 1]
import {
  type ConvMethod,
  convMethods,
  registerGradients,
  registerWasmKernels,
  setBackend,
  unregisterGradients,
  unregisterWasmKernels,
} from '@se/backends';
import * as tf from '@tensorflow/tfjs';

const argThreads = process.argv.indexOf('--threads');
const threads = argThreads >= 0 ? Number(process.argv[argThreads + 1]) : 1;

/** Best of `reps` runs in ms (the minimum is the least disturbed by other load). */
function time(f: () => tf.Tensor | tf.Tensor[], reps = 7): number {
  for (let i = 0; i < 2; i++) tf.dispose(f());
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    tf.dispose(f());
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

/** Runs `f` with the stock wasm kernels and gradients, and returns its time. */
function stock(f: () => tf.Tensor | tf.Tensor[], reps = 3): number | null {
  unregisterWasmKernels();
  unregisterGradients();
  try {
    return time(f, reps);
  } catch {
    return null;
  } finally {
    registerGradients();
    registerWasmKernels();
  }
}

const fmt = (v: number | null) => (v == null ? 'missing' : v.toFixed(1));

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
const CONVS: [string, number[], number[], number, Pad][] = [
  ['small CNN stage 1', [64, 32, 32, 32], [3, 3, 32, 32], 1, 'same'],
  ['small CNN stage 2', [64, 16, 16, 64], [3, 3, 64, 64], 1, 'same'],
  ['SE-ResNet-20 stage 1', [64, 32, 32, 16], [3, 3, 16, 16], 1, 'same'],
  [
    'SE-ResNet-20 downsampling',
    [64, 32, 32, 16],
    [3, 3, 16, 32],
    2,
    [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  ],
  ['SE-ResNet-18 layer1', [64, 8, 8, 64], [3, 3, 64, 64], 1, 'same'],
  ['SE-ResNet-18 layer3', [64, 2, 2, 256], [3, 3, 256, 256], 1, 'same'],
  ['SE-ResNet-18 layer4', [64, 1, 1, 512], [3, 3, 512, 512], 1, 'same'],
  ['SE-ResNet-18 layer4.0', [64, 4, 4, 256], [3, 3, 256, 512], 2, 'valid'],
  ['SE-ResNet-18 stem', [64, 38, 38, 3], [7, 7, 3, 64], 2, 'valid'],
  ['SE-ResNet-20 28² stage 1', [64, 28, 28, 16], [3, 3, 16, 16], 1, 'same'],
  ['SE-ResNet-20 28² stage 3', [64, 7, 7, 64], [3, 3, 64, 64], 1, 'same'],
  ['SE-ResNet-50 64² layer3', [16, 4, 4, 256], [3, 3, 256, 256], 1, 'same'],
  ['SE-ResNet-50 64² layer4 1×1', [16, 2, 2, 2048], [1, 1, 2048, 512], 1, 'valid'],
];

async function main() {
  tf.enableProdMode();
  const info = await setBackend('wasm', { threads, quiet: true });
  console.log(`wasm, ${info.threads} thread(s); best of 7 runs, ms; fresh weights every call`);
  console.log('');
  console.log(
    '| convolution | kernel | stock wasm | native | conv | gemm | gemmT | xnnpack | auto |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, xs, fs, s, p] of CONVS) {
    const x = tf.randomNormal(xs);
    const w = tf.randomNormal(fs);
    const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, p);
    const kinds = {
      forward: () => {
        const fresh = tf.add(w, 0) as tf.Tensor4D;
        const out = tf.conv2d(x as tf.Tensor4D, fresh, s, p);
        fresh.dispose();
        return out;
      },
      input: () => {
        const fresh = tf.add(w, 0) as tf.Tensor4D;
        const out = tf.conv2dTranspose(
          y as tf.Tensor4D,
          fresh,
          xs as [number, number, number, number],
          s,
          p,
        );
        fresh.dispose();
        return out;
      },
      filter: () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x, dy: y },
            { strides: s, pad: p, dataFormat: 'NHWC', filterShape: fs },
          ) as tf.Tensor,
    } as const;
    for (const kind of ['forward', 'input', 'filter'] as const) {
      const row: (number | null)[] = [stock(kinds[kind])];
      for (const method of ['native', 'conv', 'gemm', 'gemmT', 'xnnpack', 'auto'] as ConvMethod[]) {
        const allowed =
          method === 'auto' ||
          method === 'native' ||
          method === 'xnnpack' ||
          (kind === 'forward' && method !== 'gemmT') ||
          kind === 'input' ||
          (kind === 'filter' && method !== 'gemm');
        convMethods[kind] = method;
        row.push(allowed ? time(kinds[kind], 5) : null);
      }
      convMethods[kind] = 'auto';
      const label = {
        forward: 'Conv2D',
        input: 'Conv2DBackpropInput',
        filter: 'Conv2DBackpropFilter',
      }[kind];
      console.log(
        `| ${name} ${xs.join('×')} * ${fs.join('×')} /${s} | ${label} | ${row.map((v, i) => (v == null ? (i === 0 ? 'missing' : '') : fmt(v))).join(' | ')} |`,
      );
    }
    tf.dispose([x, w, y]);
  }

  console.log('');
  console.log('| kernel | case | stock wasm | SE Zoo |');
  console.log('| --- | --- | ---: | ---: |');
  const x = tf.randomNormal([64, 32, 32, 32]);
  const pooled = tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');
  const stem = tf.randomNormal([64, 18, 18, 64]);
  const stemPooled = tf.maxPool(stem as tf.Tensor4D, 3, 2, 'valid');
  const cases: [string, string, () => tf.Tensor | tf.Tensor[]][] = [
    [
      'MaxPoolGrad',
      '64×32×32×32, 2×2/2',
      () =>
        tf
          .engine()
          .runKernel(
            'MaxPoolGrad',
            { dy: pooled, input: x, output: pooled },
            { filterSize: 2, strides: 2, pad: 'valid' },
          ) as tf.Tensor,
    ],
    [
      'MaxPoolGrad',
      '64×18×18×64, 3×3/2',
      () =>
        tf
          .engine()
          .runKernel(
            'MaxPoolGrad',
            { dy: stemPooled, input: stem, output: stemPooled },
            { filterSize: 3, strides: 2, pad: 'valid' },
          ) as tf.Tensor,
    ],
    [
      'AvgPoolGrad',
      '64×32×32×32, 2×2/2',
      () =>
        tf
          .engine()
          .runKernel(
            'AvgPoolGrad',
            { dy: pooled, input: x },
            { filterSize: 2, strides: 2, pad: 'valid' },
          ) as tf.Tensor,
    ],
    ['Sum', '64×32×32×32 over N·H·W', () => tf.sum(x, [0, 1, 2])],
    ['Mean', '64×32×32×32 over H·W', () => tf.mean(x, [1, 2])],
    ['Tile', '[1,1,1,32] to 64×32×32×32', () => tf.tile(tf.ones([1, 1, 1, 32]), [64, 32, 32, 1])],
    ['Identity', 'clone of 64×32×32×32', () => tf.clone(x)],
    [
      'BatchMatMul',
      '[64,512]ᵀ·[64,512] (dense gradient)',
      () => tf.matMul(tf.ones([64, 512]), tf.ones([64, 512]), true, false),
    ],
    [
      'batch-norm gradient',
      'moments + batchNorm, 64×32×32×32',
      () =>
        tf.grads((v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          const { mean, variance } = tf.moments(v, [0, 1, 2]);
          return tf.batchNorm(v, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5);
        })([x, tf.ones([32]), tf.zeros([32])]),
    ],
    [
      'DepthwiseConv2dNative gradients',
      '64×16×16×64, 3×3',
      () =>
        tf.grads((v: tf.Tensor, k: tf.Tensor) =>
          tf.depthwiseConv2d(v as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'),
        )([tf.ones([64, 16, 16, 64]), tf.ones([3, 3, 64, 1])]),
    ],
  ];
  for (const [kernel, shape, f] of cases) {
    console.log(`| ${kernel} | ${shape} | ${fmt(stock(f))} | ${fmt(time(f))} |`);
  }
  process.exit(0);
}

await main();
