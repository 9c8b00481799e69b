// The depthwise convolution's filter gradient. Stock tfjs-webgpu gives each filter element one
// thread that loops over every output pixel of the batch (kh·kw·C threads for, e.g., 64·112²
// pixels each: the GPU sits nearly idle). Here a thread owns one channel and accumulates all
// kh·kw taps in registers over a chunk of the pixels; the chunks (split-K) spread the batch over
// the GPU, and a second shader sums them.
import type * as tf from '@tensorflow/tfjs';
import { convInfo, stock } from './conv.js';
import { PIXEL_CHUNK_START, pixelChunks, sumSplits } from './gemm.js';
import { asWebGPU, type Uniform, type WebGPUProgramLike } from './program.js';

/** Channels (one thread each) per workgroup. */
const WG = 64;

class DepthwiseFilterGradProgram implements WebGPUProgramLike {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  variableNames = ['x', 'dy'];
  uniforms =
    'K : i32, kChunk : i32, g0 : vec4<i32>, g1 : vec4<i32>, g2 : vec4<i32>, g3 : vec4<i32>,';
  workgroupSize: [number, number, number] = [WG, 1, 1];
  private readonly kh: number;
  private readonly kw: number;

  constructor(kh: number, kw: number, channels: number, splits: number) {
    this.kh = kh;
    this.kw = kw;
    this.outputShape = [splits, kh * kw, channels];
    this.dispatch = [Math.ceil(channels / WG), 1, splits];
    this.shaderKey = `seDepthwiseFilter_${kh}x${kw}`;
  }

  getUserCode(): string {
    const taps: string[] = [];
    const sums: string[] = [];
    const stores: string[] = [];
    for (let ky = 0; ky < this.kh; ky++) {
      for (let kx = 0; kx < this.kw; kx++) {
        const t = ky * this.kw + kx;
        sums.push(`  var s${t} = 0.0;`);
        taps.push(`
      {
        let iy = iy0 + ${ky} * uniforms.g2.z;
        let ix = ix0 + ${kx} * uniforms.g2.w;
        if (u32(iy) < u32(uniforms.g0.x) && u32(ix) < u32(uniforms.g0.y)) {
          s${t} = fma(x[((row + iy) * uniforms.g0.y + ix) * uniforms.g0.z + d1], g, s${t});
        }
      }`);
        stores.push(`  result[(split * ${this.kh * this.kw} + ${t}) * cm + d2] = s${t};`);
      }
    }
    // g0 = (H, W, C, C·mul), g1 = (Ho, Wo, sh, sw), g2 = (pad top, pad left, dh, dw), g3.x = mul
    return `
fn main() {
  let cm = uniforms.g0.w;
  let d2 = i32(workgroupId.x) * ${WG} + i32(localId.x);
  if (d2 >= cm) { return; }
  let d1 = d2 / uniforms.g3.x;
${PIXEL_CHUNK_START}
${sums.join('\n')}
  for (var k = kBegin; k < kEnd; k = k + 1) {
    let g = dy[k * cm + d2];
    if (g != 0.0) {
      let row = b * uniforms.g0.x;
      let iy0 = oy * uniforms.g1.z - uniforms.g2.x;
      let ix0 = ox * uniforms.g1.w - uniforms.g2.y;${taps.join('')}
    }
    ox = ox + 1;
    if (ox == uniforms.g1.y) {
      ox = 0;
      oy = oy + 1;
      if (oy == uniforms.g1.x) { oy = 0; b = b + 1; }
    }
  }
${stores.join('\n')}
}`;
  }
}

/** `DepthwiseConv2dNativeBackpropFilter` on webgpu (float32; any stride, padding, dilation). */
export function depthwiseBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const backend = asWebGPU(args.backend);
  const c = convInfo(x.shape, attrs.filterShape, { ...attrs, dataFormat: 'NHWC' }, true);
  const cm = c.outChannels;
  const pixels = c.batchSize * c.outHeight * c.outWidth;
  const taps = c.filterHeight * c.filterWidth;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || taps > 64 || pixels * cm >= 2 ** 31) {
    return stock('DepthwiseConv2dNativeBackpropFilter')(
      args as unknown as Parameters<tf.KernelFunc>[0],
    ) as tf.TensorInfo;
  }
  const { kChunk, splits: used } = pixelChunks(backend, pixels, Math.ceil(cm / WG));
  const program = new DepthwiseFilterGradProgram(c.filterHeight, c.filterWidth, cm, used);
  const uniforms: Uniform[] = [
    { type: 'int32', data: [pixels] },
    { type: 'int32', data: [kChunk] },
    { type: 'int32', data: [c.inHeight, c.inWidth, c.inChannels, cm] },
    { type: 'int32', data: [c.outHeight, c.outWidth, c.strideHeight, c.strideWidth] },
    { type: 'int32', data: [c.padInfo.top, c.padInfo.left, c.dilationHeight, c.dilationWidth] },
    { type: 'int32', data: [cm / c.inChannels, 0, 0, 0] },
  ];
  const partial = backend.runWebGPUProgram(program, [x, dy], 'float32', uniforms);
  return sumSplits(backend, partial, taps, cm, [...attrs.filterShape]);
}
