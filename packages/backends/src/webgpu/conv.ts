// The two convolution gradients as implicit GEMMs (see gemm.ts), NHWC, float32, any stride and
// padding, dilation 1. Everything else goes to the stock webgpu kernel.
//
// Filter gradient: dW[ky,kx,ci,co] = Σ_{b,oy,ox} x[b, oy·sh − pt + ky, ox·sw − pl + kx, ci] ·
// dy[b,oy,ox,co], a product with M = kh·kw·Cin (rows ky,kx,ci: dW's own layout), N = Cout and
// K = batch·Ho·Wo, whose B is dy itself ([K, Cout] row-major) and whose A is im2col(x)ᵀ read in
// place. Input gradient: dx[b,iy,ix,ci] = Σ_{ky,kx,co} dy[b, oy, ox, co] · W[ky,kx,ci,co] over
// the taps where oy = (iy + pt − ky)/sh (and ox likewise) is a whole output row: M = batch·H·W,
// N = Cin, K = kh·kw·Cout, with B the filter transposed to [kh, kw, Cout, Cin].
import * as tf from '@tensorflow/tfjs';
import { originalKernel } from '../kernel-set.js';
import { type ASource, type Geometry, gemmFits, runGemm } from './gemm.js';
import { asWebGPU, type WebGPUBackendLike } from './program.js';

/**
 * Stock kernels SE Zoo replaced, so that a replacement can still call the original (for the
 * cases it does not handle) and `unregisterWebGPUKernels` can restore it.
 */
export const stockWebGPUKernels = new Map<string, tf.KernelConfig>();

/** The stock webgpu kernel `kernelName`, for what SE Zoo's kernels do not handle. */
export function stock(kernelName: string): tf.KernelFunc {
  return originalKernel(stockWebGPUKernels, kernelName, 'webgpu').kernelFunc;
}

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/** The attributes of tfjs's convolution-gradient kernels that fix their geometry. */
interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
  dataFormat?: 'NHWC' | 'NCHW';
}

/** tfjs's geometry of a convolution from its input and filter shapes and kernel attributes. */
export function convInfo(
  inShape: readonly number[],
  filterShape: readonly number[],
  attrs: ConvAttrs,
  depthwise = false,
): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat ?? 'NHWC'),
  );
}

/** Whether our kernels handle this convolution (else the stock kernel runs). */
function supported(c: Conv2DInfo, dtypes: tf.DataType[]): boolean {
  return (
    c.dataFormat === 'channelsLast' &&
    c.dilationHeight === 1 &&
    c.dilationWidth === 1 &&
    dtypes.every((d) => d === 'float32')
  );
}

// The readers below take the geometry as uniforms: g0 = (H, W, Cin, Cout) for all three.

/** A of the filter gradient: rows (ky, kx, ci), columns (b, oy, ox), values of x. */
const FILTER_GRAD_A: ASource = {
  key: 'dW',
  contiguous: 'm',
  kRadix: { z: 'uniforms.g1.y', y: 'uniforms.g1.x' },
  code: `
// g1 = (Ho, Wo, kh, kw), g2 = (sh, sw, pad top, pad left)
fn rowInfo(m : i32) -> vec4<i32> {
  let ci = uniforms.g0.z;
  let kwci = uniforms.g1.w * ci;
  if (m >= uniforms.g1.z * kwci) { return vec4<i32>(0, 0, 0, 0); }
  let ky = m / kwci;
  let r = m - ky * kwci;
  let kx = r / ci;
  return vec4<i32>(r - kx * ci, ky - uniforms.g2.z, kx - uniforms.g2.w, 1);
}
fn kInfo(k : i32) -> vec4<i32> {
  let hw = uniforms.g1.x * uniforms.g1.y;
  let b = k / hw;
  let r = k - b * hw;
  let oy = r / uniforms.g1.y;
  return vec4<i32>(b, oy, r - oy * uniforms.g1.y, 0);
}
fn readA(row : vec4<i32>, col : vec4<i32>, inK : bool) -> f32 {
  let iy = col.y * uniforms.g2.x + row.y;
  let ix = col.z * uniforms.g2.y + row.z;
  if (inK && row.w == 1 && u32(iy) < u32(uniforms.g0.x) && u32(ix) < u32(uniforms.g0.y)) {
    return A[((col.x * uniforms.g0.x + iy) * uniforms.g0.y + ix) * uniforms.g0.z + row.x];
  }
  return 0.0;
}`,
};

function filterGradGeometry(c: Conv2DInfo): Geometry {
  return [
    ...[c.inHeight, c.inWidth, c.inChannels, c.outChannels],
    ...[c.outHeight, c.outWidth, c.filterHeight, c.filterWidth],
    ...[c.strideHeight, c.strideWidth, c.padInfo.top, c.padInfo.left],
  ];
}

/** A of the input gradient at stride 1: rows (b, iy, ix), columns (ky, kx, co), values of dy. */
const INPUT_GRAD_A: ASource = {
  key: 'dX',
  contiguous: 'k',
  kRadix: { z: 'uniforms.g0.w', y: 'uniforms.g1.w' },
  code: `
// g1 = (Ho, Wo, kh, kw), g2 = (pad top, pad left, 0, 0)
fn rowInfo(m : i32) -> vec4<i32> {
  if (m >= uniforms.M) { return vec4<i32>(0, 0, 0, 0); }
  let hw = uniforms.g0.x * uniforms.g0.y;
  let b = m / hw;
  let r = m - b * hw;
  let iy = r / uniforms.g0.y;
  return vec4<i32>(b * uniforms.g1.x, iy + uniforms.g2.x, r - iy * uniforms.g0.y + uniforms.g2.y, 1);
}
fn kInfo(k : i32) -> vec4<i32> {
  let co = uniforms.g0.w;
  let kwco = uniforms.g1.w * co;
  let ky = k / kwco;
  let r = k - ky * kwco;
  let kx = r / co;
  return vec4<i32>(ky, kx, r - kx * co, 0);
}
fn readA(row : vec4<i32>, col : vec4<i32>, inK : bool) -> f32 {
  let oy = row.y - col.x;
  let ox = row.z - col.y;
  if (inK && row.w == 1 && u32(oy) < u32(uniforms.g1.x) && u32(ox) < u32(uniforms.g1.y)) {
    return A[((row.x + oy) * uniforms.g1.y + ox) * uniforms.g0.w + col.z];
  }
  return 0.0;
}`,
};

function inputGradGeometry(c: Conv2DInfo): Geometry {
  return [
    ...[c.inHeight, c.inWidth, c.inChannels, c.outChannels],
    ...[c.outHeight, c.outWidth, c.filterHeight, c.filterWidth],
    ...[c.padInfo.top, c.padInfo.left, 0, 0],
  ];
}

/** One stride phase of the input gradient: the input pixels (py + sh·jy, px + sw·jx). */
interface Phase {
  py: number;
  px: number;
  /** Rows and columns of the phase's pixels. */
  hp: number;
  wp: number;
  /** First tap (ky0 + sh·t, kx0 + sw·u) that reaches them, and how many taps per axis. */
  ky0: number;
  kx0: number;
  tky: number;
  tkx: number;
  /** oy = jy + cy − t, ox = jx + cx − u. */
  cy: number;
  cx: number;
}

/**
 * The stride phases of an input gradient. With stride s, input row iy only meets the taps ky
 * with ky ≡ iy + pt (mod s): splitting the pixels by (iy mod sh, ix mod sw) gives sh·sw dense
 * GEMMs over their own taps, instead of one GEMM over every tap of which (s−1)/s per axis read
 * zero.
 */
function phases(c: Conv2DInfo): Phase[] {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = c;
  const out: Phase[] = [];
  for (let py = 0; py < Math.min(sh, c.inHeight); py++) {
    for (let px = 0; px < Math.min(sw, c.inWidth); px++) {
      const ky0 = (py + c.padInfo.top) % sh;
      const kx0 = (px + c.padInfo.left) % sw;
      out.push({
        py,
        px,
        hp: Math.ceil((c.inHeight - py) / sh),
        wp: Math.ceil((c.inWidth - px) / sw),
        ky0,
        kx0,
        tky: ky0 < kh ? Math.ceil((kh - ky0) / sh) : 0,
        tkx: kx0 < kw ? Math.ceil((kw - kx0) / sw) : 0,
        cy: (py + c.padInfo.top - ky0) / sh,
        cx: (px + c.padInfo.left - kx0) / sw,
      });
    }
  }
  return out;
}

/** The decode of a phase's row m into (b, jy, jx), shared by its reader and its row map. */
const PHASE_ROW = `
  let hw = uniforms.g1.z * uniforms.g1.w;
  let b = m / hw;
  let r = m - b * hw;
  let jy = r / uniforms.g1.w;
  let jx = r - jy * uniforms.g1.w;`;

/** A of one stride phase: rows (b, jy, jx), columns (t, u, co), values of dy. */
const PHASE_A: ASource = {
  key: 'dXp',
  contiguous: 'k',
  kRadix: { z: 'uniforms.g0.w', y: 'max(1, uniforms.g2.y)' },
  code: `
// g1 = (Ho, Wo, Hp, Wp), g2 = (taps y, taps x, cy, cx), g3 = (py, px, sh, sw)
fn rowInfo(m : i32) -> vec4<i32> {
  if (m >= uniforms.M) { return vec4<i32>(0, 0, 0, 0); }${PHASE_ROW}
  return vec4<i32>(b * uniforms.g1.x, jy + uniforms.g2.z, jx + uniforms.g2.w, 1);
}
fn kInfo(k : i32) -> vec4<i32> {
  let co = uniforms.g0.w;
  // A phase without taps (K = 0) still decodes: keep the divisor non-zero.
  let tco = max(1, uniforms.g2.y) * co;
  let t = k / tco;
  let r = k - t * tco;
  let u = r / co;
  return vec4<i32>(t, u, r - u * co, 0);
}
fn readA(row : vec4<i32>, col : vec4<i32>, inK : bool) -> f32 {
  let oy = row.y - col.x;
  let ox = row.z - col.y;
  if (inK && row.w == 1 && u32(oy) < u32(uniforms.g1.x) && u32(ox) < u32(uniforms.g1.y)) {
    return A[((row.x + oy) * uniforms.g1.y + ox) * uniforms.g0.w + col.z];
  }
  return 0.0;
}`,
  rowOut: `
fn rowOut(m : i32) -> i32 {${PHASE_ROW}
  return (b * uniforms.g0.x + uniforms.g3.x + uniforms.g3.z * jy) * uniforms.g0.y + uniforms.g3.y +
    uniforms.g3.w * jx;
}`,
};

function phaseGeometry(c: Conv2DInfo, p: Phase): Geometry {
  return [
    ...[c.inHeight, c.inWidth, c.inChannels, c.outChannels],
    ...[c.outHeight, c.outWidth, p.hp, p.wp],
    ...[p.tky, p.tkx, p.cy, p.cx],
    ...[p.py, p.px, c.strideHeight, c.strideWidth],
  ];
}

/**
 * The input gradient of a strided convolution, phase by phase (see {@link phases}), written
 * into one output.
 */
function inputGradByPhase(
  backend: WebGPUBackendLike,
  kernelBackend: tf.KernelBackend,
  c: Conv2DInfo,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  inputShape: number[],
): tf.TensorInfo {
  const dx = backend.makeTensorInfo(inputShape, 'float32');
  for (const p of phases(c)) {
    const m = c.batchSize * p.hp * p.wp;
    const k = p.tky * p.tkx * c.outChannels;
    const spec = {
      m,
      n: c.inChannels,
      k,
      a: PHASE_A,
      outputShape: inputShape,
      geometry: phaseGeometry(c, p),
    };
    if (k === 0) {
      // No tap reaches these pixels (a kernel smaller than the stride): they get zeros, from a
      // masked GEMM step (B is never read).
      runGemm(backend, { ...spec, k }, dy, filter, dx);
      continue;
    }
    // B = the phase's taps of the filter, [tky, tkx, Cout, Cin] = [K, N].
    const taps = stock('StridedSlice')({
      inputs: { x: filter },
      backend: kernelBackend,
      attrs: {
        begin: [p.ky0, p.kx0, 0, 0],
        end: [c.filterHeight, c.filterWidth, c.inChannels, c.outChannels],
        strides: [c.strideHeight, c.strideWidth, 1, 1],
        beginMask: 0,
        endMask: 0,
        ellipsisMask: 0,
        newAxisMask: 0,
        shrinkAxisMask: 0,
      },
    }) as tf.TensorInfo;
    const b = stock('Transpose')({
      inputs: { x: taps },
      backend: kernelBackend,
      attrs: { perm: [0, 1, 3, 2] },
    }) as tf.TensorInfo;
    runGemm(backend, spec, dy, b, dx);
    backend.disposeData(taps.dataId);
    backend.disposeData(b.dataId);
  }
  return dx;
}

/** `Conv2DBackpropFilter` on webgpu: the implicit GEMM above, else the stock kernel. */
export function conv2dBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const backend = asWebGPU(args.backend);
  const c = convInfo(x.shape, attrs.filterShape, attrs);
  const m = c.filterHeight * c.filterWidth * c.inChannels;
  const n = c.outChannels;
  const k = c.batchSize * c.outHeight * c.outWidth;
  if (!supported(c, [x.dtype, dy.dtype]) || !fits(backend, m, n, k, x)) {
    return stock('Conv2DBackpropFilter')(
      args as unknown as Parameters<tf.KernelFunc>[0],
    ) as tf.TensorInfo;
  }
  return runGemm(
    backend,
    {
      m,
      n,
      k,
      a: FILTER_GRAD_A,
      outputShape: [...attrs.filterShape],
      geometry: filterGradGeometry(c),
    },
    x,
    dy,
  );
}

/** `Conv2DBackpropInput` on webgpu: the implicit GEMM above, else the stock kernel. */
export function conv2dBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const backend = asWebGPU(args.backend);
  const c = convInfo(attrs.inputShape, filter.shape, attrs);
  const m = c.batchSize * c.inHeight * c.inWidth;
  const n = c.inChannels;
  const k = c.filterHeight * c.filterWidth * c.outChannels;
  if (!supported(c, [dy.dtype, filter.dtype]) || !fits(backend, m, n, k, dy)) {
    return stock('Conv2DBackpropInput')(
      args as unknown as Parameters<tf.KernelFunc>[0],
    ) as tf.TensorInfo;
  }
  if (c.strideHeight > 1 || c.strideWidth > 1) {
    const kernelBackend = args.backend as tf.KernelBackend;
    return inputGradByPhase(backend, kernelBackend, c, dy, filter, [...attrs.inputShape]);
  }
  // B must be [K, N] = [kh·kw·Cout, Cin]: the filter with its last two axes swapped (small).
  const transposed = stock('Transpose')({
    inputs: { x: filter },
    backend: args.backend as tf.KernelBackend,
    attrs: { perm: [0, 1, 3, 2] },
  }) as tf.TensorInfo;
  const out = runGemm(
    backend,
    {
      m,
      n,
      k,
      a: INPUT_GRAD_A,
      outputShape: [...attrs.inputShape],
      geometry: inputGradGeometry(c),
    },
    dy,
    transposed,
  );
  backend.disposeData(transposed.dataId);
  return out;
}

/** The product fits the device's grid, and every index of the read tensor fits an i32. */
function fits(
  backend: WebGPUBackendLike,
  m: number,
  n: number,
  k: number,
  read: tf.TensorInfo,
): boolean {
  return gemmFits(backend, m, n, k) && tf.util.sizeFromShape(read.shape) < 2 ** 31;
}
