// Grouped convolution on webgpu (@se/core's method 'kernel'): the forward pass and both gradients
// as direct WGSL kernels, NHWC, float32, filter [kh, kw, Cin/g, Cout], any stride, padding and
// dilation. ResNeXt's groups are tiny GEMMs (4 to 32 channels in and out, 32 or 64 groups): a
// tiled GEMM per group would leave its tiles mostly empty, and stacking the groups costs copies.
// Instead each thread keeps a 4-channel × 4-pixel block of its group's outputs in registers and
// loops over the kh·kw·Cin/g products that feed it; the filter gradient, a reduction over every
// output pixel of the batch, is split into chunks of pixels whose partial sums a second shader
// adds (WGSL has no float atomics), as the depthwise filter gradient does.
//
// Every size is a uniform, so one compiled shader per pass serves every layer shape.
import * as tf from '@tensorflow/tfjs';
import { convInfo } from './conv.js';
import { PIXEL_CHUNK_START, pixelChunks, sumSplits } from './gemm.js';
import {
  asWebGPU,
  type Uniform,
  type WebGPUBackendLike,
  type WebGPUProgramLike,
} from './program.js';

// @se/core's kernel names (GROUPED_CONV_KERNEL …), repeated because @se/core is no runtime
// dependency of this package; test/grouped.test.ts checks that they agree.
/** The forward kernel's name. */
export const GROUPED_CONV_KERNEL = 'SEZooGroupedConv2D';
/** The input gradient's kernel name. */
export const GROUPED_CONV_BACKPROP_INPUT_KERNEL = 'SEZooGroupedConv2DBackpropInput';
/** The filter gradient's kernel name. */
export const GROUPED_CONV_BACKPROP_FILTER_KERNEL = 'SEZooGroupedConv2DBackpropFilter';

/** Threads per workgroup. */
const WG = 64;
/** Output pixels per thread (forward: along a row; input gradient: one stride phase of a row). */
const PIXELS = 4;
/** Filter taps one filter-gradient thread accumulates (4 channels each, in registers). */
const MAX_TAPS = 9;

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/** The attributes of the three kernels (@se/core's `GroupedConvKernelAttrs`). */
interface GroupedAttrs {
  groups: number;
  strides: number | [number, number];
  pad: 'valid' | 'same' | tf.backend_util.ExplicitPadding;
  dilations: number | [number, number];
}

/**
 * The geometry every grouped shader reads, as five vec4<i32> uniforms:
 * g0 = (H, W, C, Cout), g1 = (Ho, Wo, sh, sw), g2 = (pad top, pad left, dh, dw),
 * g3 = (Cin/g, Cout/g, groups, 0), g4 = (kh, kw, 0, 0).
 */
function geometry(c: Conv2DInfo, groups: number): Uniform[] {
  return [
    [c.inHeight, c.inWidth, c.inChannels, c.outChannels],
    [c.outHeight, c.outWidth, c.strideHeight, c.strideWidth],
    [c.padInfo.top, c.padInfo.left, c.dilationHeight, c.dilationWidth],
    [c.inChannels / groups, c.outChannels / groups, groups, 0],
    [c.filterHeight, c.filterWidth, 0, 0],
  ].map((data) => ({ type: 'int32', data }));
}

const GEOMETRY_UNIFORMS =
  'g0 : vec4<i32>, g1 : vec4<i32>, g2 : vec4<i32>, g3 : vec4<i32>, g4 : vec4<i32>,';

/** The accumulators `acc0 … acc{n−1}`, vec4 each. */
const accumulators = (n: number) =>
  Array.from({ length: n }, (_, p) => `  var acc${p} = vec4<f32>(0.0);`).join('\n');

/** A program whose threads are numbered 0 … threads − 1 over a grid of up to 65535² workgroups. */
abstract class FlatProgram implements WebGPUProgramLike {
  abstract shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  abstract variableNames: string[];
  uniforms = `threads : i32, ${GEOMETRY_UNIFORMS}`;
  workgroupSize: [number, number, number] = [WG, 1, 1];

  constructor(
    backend: WebGPUBackendLike,
    readonly outputShape: number[],
    threads: number,
  ) {
    const workgroups = Math.ceil(threads / WG);
    const x = Math.min(workgroups, backend.device.limits.maxComputeWorkgroupsPerDimension);
    // A [x, y] grid: tfjs then numbers the threads (y · x + workgroup x) · WG + local index.
    this.dispatch = [x, Math.ceil(workgroups / x), 1];
  }

  abstract getUserCode(): string;
}

/**
 * Forward: thread = (batch, output row, block of 4 output columns, group, block of 4 of the
 * group's output channels); loops over the taps and the group's input channels.
 */
class GroupedForwardProgram extends FlatProgram {
  shaderKey = 'seGroupedConv';
  variableNames = ['x', 'W'];

  getUserCode(): string {
    const p = [...Array(PIXELS).keys()];
    return `
fn main(index : i32) {
  if (index >= uniforms.threads) { return; }
  let cin = uniforms.g3.x;
  let cout = uniforms.g3.y;
  let blocks = (cout + 3) / 4;
  let lanes = uniforms.g3.z * blocks;
  let colBlocks = (uniforms.g1.y + ${PIXELS - 1}) / ${PIXELS};
  let lane = index % lanes;
  var rest = index / lanes;
  let xb = rest % colBlocks;
  rest = rest / colBlocks;
  let oy = rest % uniforms.g1.x;
  let n = rest / uniforms.g1.x;
  let g = lane / blocks;
  let co0 = (lane - g * blocks) * 4;
  // Channels past the group's last are read clamped (and never stored): no branch in the loop.
  let last = cout - 1;
  let wc = vec4<i32>(co0, min(co0 + 1, last), min(co0 + 2, last), min(co0 + 3, last)) + g * cout;
  let c0 = g * cin;
  let ox0 = xb * ${PIXELS};
${accumulators(PIXELS)}
  for (var ky = 0; ky < uniforms.g4.x; ky = ky + 1) {
    let iy = oy * uniforms.g1.z - uniforms.g2.x + ky * uniforms.g2.z;
    if (u32(iy) >= u32(uniforms.g0.x)) { continue; }
    let row = (n * uniforms.g0.x + iy) * uniforms.g0.y;
    for (var kx = 0; kx < uniforms.g4.y; kx = kx + 1) {
      let ixBase = ox0 * uniforms.g1.w - uniforms.g2.y + kx * uniforms.g2.w;
${p
  .map(
    (i) => `      let ix${i} = ixBase + ${i} * uniforms.g1.w;
      let in${i} = u32(ix${i}) < u32(uniforms.g0.y);
      let m${i} = select(0.0, 1.0, in${i});
      let xb${i} = select(0, (row + ix${i}) * uniforms.g0.z + c0, in${i});`,
  )
  .join('\n')}
      let wb = (ky * uniforms.g4.y + kx) * cin * uniforms.g0.w;
      for (var ci = 0; ci < cin; ci = ci + 1) {
        let wr = wb + ci * uniforms.g0.w;
        let w = vec4<f32>(W[wr + wc.x], W[wr + wc.y], W[wr + wc.z], W[wr + wc.w]);
${p.map((i) => `        acc${i} = fma(vec4<f32>(x[xb${i} + ci] * m${i}), w, acc${i});`).join('\n')}
      }
    }
  }
  let valid = min(4, cout - co0);
${p
  .map(
    (i) => `  if (ox0 + ${i} < uniforms.g1.y) {
    let o = ((n * uniforms.g1.x + oy) * uniforms.g1.y + ox0 + ${i}) * uniforms.g0.w + g * cout + co0;
    for (var j = 0; j < valid; j = j + 1) { result[o + j] = acc${i}[j]; }
  }`,
  )
  .join('\n')}
}`;
  }
}

/**
 * Input gradient: thread = (batch, input row, stride phase r of the columns, block of 4 columns
 * of that phase, group, block of 4 of the group's input channels). The columns of one phase
 * (r + sw·j) meet the same taps, so no thread wastes work on taps that skip it.
 */
class GroupedInputGradProgram extends FlatProgram {
  shaderKey = 'seGroupedConvDx';
  variableNames = ['dy', 'W'];

  getUserCode(): string {
    const p = [...Array(PIXELS).keys()];
    return `
fn main(index : i32) {
  if (index >= uniforms.threads) { return; }
  let cin = uniforms.g3.x;
  let cout = uniforms.g3.y;
  let sh = uniforms.g1.z;
  let sw = uniforms.g1.w;
  let blocks = (cin + 3) / 4;
  let lanes = uniforms.g3.z * blocks;
  let colBlocks = (uniforms.g0.y + sw * ${PIXELS} - 1) / (sw * ${PIXELS});
  let lane = index % lanes;
  var rest = index / lanes;
  let phase = rest % sw;
  rest = rest / sw;
  let xb = rest % colBlocks;
  rest = rest / colBlocks;
  let iy = rest % uniforms.g0.x;
  let n = rest / uniforms.g0.x;
  let g = lane / blocks;
  let ci0 = (lane - g * blocks) * 4;
  let last = cin - 1;
  let ci = vec4<i32>(ci0, min(ci0 + 1, last), min(ci0 + 2, last), min(ci0 + 3, last));
  let ix0 = xb * sw * ${PIXELS} + phase;
  let gc = g * cout;
${accumulators(PIXELS)}
  for (var ky = 0; ky < uniforms.g4.x; ky = ky + 1) {
    let ny = iy + uniforms.g2.x - ky * uniforms.g2.z;
    // Output row oy = ny / sh reaches this row only if sh divides ny.
    if (ny < 0 || ny % sh != 0) { continue; }
    let oy = ny / sh;
    if (oy >= uniforms.g1.x) { continue; }
    let row = (n * uniforms.g1.x + oy) * uniforms.g1.y;
    for (var kx = 0; kx < uniforms.g4.y; kx = kx + 1) {
      let nx = ix0 + uniforms.g2.y - kx * uniforms.g2.w;
      if (nx % sw != 0) { continue; }
      // The phase's columns ix0 + sw·p meet output columns nx / sw + p.
      let ox0 = nx / sw;
${p
  .map(
    (i) => `      let in${i} = u32(ox0 + ${i}) < u32(uniforms.g1.y);
      let m${i} = select(0.0, 1.0, in${i});
      let db${i} = select(0, (row + ox0 + ${i}) * uniforms.g0.w + gc, in${i});`,
  )
  .join('\n')}
      let wb = (ky * uniforms.g4.y + kx) * cin;
      let wr = (ci + wb) * uniforms.g0.w + gc;
      for (var co = 0; co < cout; co = co + 1) {
        let w = vec4<f32>(W[wr.x + co], W[wr.y + co], W[wr.z + co], W[wr.w + co]);
${p.map((i) => `        acc${i} = fma(vec4<f32>(dy[db${i} + co] * m${i}), w, acc${i});`).join('\n')}
      }
    }
  }
  let valid = min(4, cin - ci0);
${p
  .map(
    (i) => `  {
    let ix = ix0 + ${i} * sw;
    if (ix < uniforms.g0.y) {
      let o = ((n * uniforms.g0.x + iy) * uniforms.g0.y + ix) * uniforms.g0.z + g * cin + ci0;
      for (var j = 0; j < valid; j = j + 1) { result[o + j] = acc${i}[j]; }
    }
  }`,
  )
  .join('\n')}
}`;
  }
}

/**
 * Filter gradient, partial sums: thread = (chunk of up to {@link MAX_TAPS} taps, input channel
 * of the group, group, block of 4 of the group's output channels), over the output pixels of
 * one split (workgroup z); writes `[splits, kh·kw·Cin/g, Cout]`.
 */
class GroupedFilterGradProgram implements WebGPUProgramLike {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  variableNames = ['x', 'dy'];
  uniforms = `threads : i32, K : i32, kChunk : i32, ${GEOMETRY_UNIFORMS}`;
  workgroupSize: [number, number, number] = [WG, 1, 1];
  private readonly taps: number;

  constructor(
    backend: WebGPUBackendLike,
    outputShape: number[],
    threads: number,
    splits: number,
    taps: number,
  ) {
    this.outputShape = outputShape;
    this.taps = taps;
    const workgroups = Math.ceil(threads / WG);
    const x = Math.min(workgroups, backend.device.limits.maxComputeWorkgroupsPerDimension);
    this.dispatch = [x, Math.ceil(workgroups / x), splits];
    this.shaderKey = `seGroupedConvDw_${taps}`;
  }

  getUserCode(): string {
    const t = [...Array(this.taps).keys()];
    return `
fn main() {
  let index = i32((workgroupId.y * numWorkgroups.x + workgroupId.x) * ${WG}u + localIndex);
  if (index >= uniforms.threads) { return; }
  let cin = uniforms.g3.x;
  let cout = uniforms.g3.y;
  let blocks = (cout + 3) / 4;
  let lanes = uniforms.g3.z * blocks;
  let lane = index % lanes;
  let rest = index / lanes;
  let ci = rest % cin;
  let chunk = rest / cin;
  let g = lane / blocks;
  let co0 = (lane - g * blocks) * 4;
  let last = cout - 1;
  let dc = vec4<i32>(co0, min(co0 + 1, last), min(co0 + 2, last), min(co0 + 3, last)) + g * cout;
  let xc = g * cin + ci;
  let taps = uniforms.g4.x * uniforms.g4.y;
${t
  .map(
    (i) => `  let t${i} = chunk * ${this.taps} + ${i};
  let ky${i} = min(t${i}, taps - 1) / uniforms.g4.y;
  let kx${i} = min(t${i}, taps - 1) - ky${i} * uniforms.g4.y;
  let oy${i} = ky${i} * uniforms.g2.z - uniforms.g2.x;
  let ox${i} = kx${i} * uniforms.g2.w - uniforms.g2.y;`,
  )
  .join('\n')}
${accumulators(this.taps)}
${PIXEL_CHUNK_START}
  for (var k = kBegin; k < kEnd; k = k + 1) {
    let d = k * uniforms.g0.w;
    let gv = vec4<f32>(dy[d + dc.x], dy[d + dc.y], dy[d + dc.z], dy[d + dc.w]);
    let row = b * uniforms.g0.x;
    let iy0 = oy * uniforms.g1.z;
    let ix0 = ox * uniforms.g1.w;
${t
  .map(
    (i) => `    {
      let iy = iy0 + oy${i};
      let ix = ix0 + ox${i};
      if (u32(iy) < u32(uniforms.g0.x) && u32(ix) < u32(uniforms.g0.y)) {
        acc${i} = fma(vec4<f32>(x[((row + iy) * uniforms.g0.y + ix) * uniforms.g0.z + xc]), gv, acc${i});
      }
    }`,
  )
  .join('\n')}
    ox = ox + 1;
    if (ox == uniforms.g1.y) {
      ox = 0;
      oy = oy + 1;
      if (oy == uniforms.g1.x) { oy = 0; b = b + 1; }
    }
  }
  let out0 = split * taps * cin * uniforms.g0.w + g * cout + co0;
  let valid = min(4, cout - co0);
${t
  .map(
    (i) => `  if (t${i} < taps) {
    let o = out0 + (t${i} * cin + ci) * uniforms.g0.w;
    for (var j = 0; j < valid; j = j + 1) { result[o + j] = acc${i}[j]; }
  }`,
  )
  .join('\n')}
}`;
  }
}

/** The geometry of one call, checked: float32, and every index within an i32. */
function grouped(
  kernelName: string,
  inShape: readonly number[],
  filterShape: readonly number[],
  attrs: GroupedAttrs,
  tensors: tf.TensorInfo[],
): Conv2DInfo {
  const c = convInfo(inShape, filterShape, { ...attrs, dataFormat: 'NHWC' });
  const { groups } = attrs;
  if (
    !Number.isInteger(groups) ||
    groups < 1 ||
    c.inChannels !== groups * (filterShape[2] as number) ||
    c.outChannels % groups !== 0
  ) {
    throw new Error(
      `SE Zoo ${kernelName}: groups ${groups} does not fit input channels ${c.inChannels} and filter ${filterShape.join('×')} ([kh, kw, C_in / groups, C_out])`,
    );
  }
  const dtype = tensors.find((t) => t.dtype !== 'float32')?.dtype;
  if (dtype) throw new Error(`SE Zoo ${kernelName}: float32 only, got ${dtype}`);
  const sizes = [inShape, filterShape, [c.batchSize, c.outHeight, c.outWidth, c.outChannels]];
  if (sizes.some((s) => tf.util.sizeFromShape(s as number[]) >= 2 ** 31)) {
    throw new Error(`SE Zoo ${kernelName}: tensors of 2^31 elements or more`);
  }
  return c;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs: tf.NamedAttrMap };

/** `SEZooGroupedConv2D` on webgpu: inputs `{ x, filter }`. */
export function groupedConv2d(args: KernelArgs): tf.TensorInfo {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as GroupedAttrs;
  const backend = asWebGPU(args.backend);
  const c = grouped(GROUPED_CONV_KERNEL, x.shape, filter.shape, attrs, [x, filter]);
  const outputShape = [c.batchSize, c.outHeight, c.outWidth, c.outChannels];
  const cout = c.outChannels / attrs.groups;
  const threads =
    c.batchSize * c.outHeight * Math.ceil(c.outWidth / PIXELS) * attrs.groups * Math.ceil(cout / 4);
  const program = new GroupedForwardProgram(backend, outputShape, threads);
  const uniforms: Uniform[] = [{ type: 'int32', data: [threads] }, ...geometry(c, attrs.groups)];
  return backend.runWebGPUProgram(program, [x, filter], 'float32', uniforms);
}

/** `SEZooGroupedConv2DBackpropInput` on webgpu: inputs `{ dy, filter }`, attribute `inputShape`. */
export function groupedConv2dBackpropInput(args: KernelArgs): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as GroupedAttrs & { inputShape: number[] };
  const backend = asWebGPU(args.backend);
  const name = GROUPED_CONV_BACKPROP_INPUT_KERNEL;
  const c = grouped(name, attrs.inputShape, filter.shape, attrs, [dy, filter]);
  const cin = c.inChannels / attrs.groups;
  const sw = c.strideWidth;
  const threads =
    c.batchSize *
    c.inHeight *
    Math.ceil(c.inWidth / (sw * PIXELS)) *
    sw *
    attrs.groups *
    Math.ceil(cin / 4);
  const program = new GroupedInputGradProgram(backend, [...attrs.inputShape], threads);
  const uniforms: Uniform[] = [{ type: 'int32', data: [threads] }, ...geometry(c, attrs.groups)];
  return backend.runWebGPUProgram(program, [dy, filter], 'float32', uniforms);
}

/** `SEZooGroupedConv2DBackpropFilter` on webgpu: inputs `{ x, dy }`, attribute `filterShape`. */
export function groupedConv2dBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as GroupedAttrs & { filterShape: number[] };
  const backend = asWebGPU(args.backend);
  const name = GROUPED_CONV_BACKPROP_FILTER_KERNEL;
  const c = grouped(name, x.shape, attrs.filterShape, attrs, [x, dy]);
  const cin = c.inChannels / attrs.groups;
  const cout = c.outChannels / attrs.groups;
  const taps = c.filterHeight * c.filterWidth;
  const tapsPerThread = Math.min(taps, MAX_TAPS);
  const threads = Math.ceil(taps / tapsPerThread) * cin * attrs.groups * Math.ceil(cout / 4);
  const pixels = c.batchSize * c.outHeight * c.outWidth;
  const { kChunk, splits: used } = pixelChunks(backend, pixels, Math.ceil(threads / WG));
  const rows = taps * cin;
  const program = new GroupedFilterGradProgram(
    backend,
    [used, rows, c.outChannels],
    threads,
    used,
    tapsPerThread,
  );
  const uniforms: Uniform[] = [
    { type: 'int32', data: [threads] },
    { type: 'int32', data: [pixels] },
    { type: 'int32', data: [kChunk] },
    ...geometry(c, attrs.groups),
  ];
  const partial = backend.runWebGPUProgram(program, [x, dy], 'float32', uniforms);
  return sumSplits(backend, partial, rows, c.outChannels, [...attrs.filterShape]);
}
