// A tiled matrix product C[M,N] = Σ_k A[m,k]·B[k,n] as a WGSL compute shader, where A is read
// through conv-specific index code (implicit GEMM: the im2col matrix is never written) and B is a
// dense row-major [K, N] buffer. Each 16×16 workgroup computes one TM×TN tile of C, staging
// TK-deep slices of A and B in workgroup memory; each thread keeps a (TM/16)×(TN/16) block of C
// in registers. When the M×N tiles are too few to fill the GPU (filter gradients: M = kh·kw·Cin,
// N = Cout, but K = batch·Ho·Wo is huge), K is split across workgroups (split-K) into a
// [splits, M, N] buffer that a second shader sums.
import type * as tf from '@tensorflow/tfjs';
import type { Uniform, WebGPUBackendLike, WebGPUProgramLike } from './program.js';

/** Threads per workgroup side: 16×16 = 256 threads. */
const WG = 16;
/** Depth of the K slice staged in workgroup memory per step. */
const TK = 16;

/** Shape of the C tile one workgroup computes. */
export interface GemmTile {
  /** Rows of C per workgroup (a multiple of 64: 4 or 8 rows per thread). */
  tm: 64 | 128;
  /** Columns of C per workgroup (a multiple of 64). */
  tn: 64 | 128;
}

/**
 * The conv geometry the A readers use, 16 integers whose meaning each reader defines, passed as
 * uniforms (`uniforms.g0` … `uniforms.g3`, four vec4<i32>) so that one compiled shader serves
 * every layer shape.
 */
export type Geometry = number[];

/**
 * How A is read: WGSL functions, given as source text, that the GEMM shader calls.
 * `rowInfo(m) -> vec4<i32>` is evaluated once per thread and row (a row's decoded coordinates);
 * a column k is decoded once, `kInfo(k) -> vec4<i32>` (mixed-radix digits, least significant in
 * `.z`), then advanced by each K step without division: `.z` += 16, carrying into `.y` when it
 * reaches `kRadix.z` and from `.y` into `.x` when that reaches `kRadix.y`; and
 * `readA(row : vec4<i32>, col : vec4<i32>, inK : bool) -> f32` reads one element (0 outside).
 */
export interface ASource {
  /** The functions' WGSL source. */
  code: string;
  /** WGSL expressions of the radices of `kInfo`'s `.z` and `.y` digits. */
  kRadix: { z: string; y: string };
  /** Which index of A is contiguous in memory: threads next to each other load along it. */
  contiguous: 'm' | 'k';
  /** Names the reader (part of the shader cache key). */
  key: string;
  /**
   * Where row m of C goes in the output, `fn rowOut(m : i32) -> i32` (WGSL source), when the
   * rows are scattered (the stride phases of an input gradient); default: row m.
   */
  rowOut?: string;
}

/** What {@link runGemm} computes. */
export interface GemmSpec {
  /** Rows, columns and depth of the product. */
  m: number;
  n: number;
  k: number;
  /** How A is read (from the first input). */
  a: ASource;
  /** Output shape (its size must be m·n, row-major [m, n], unless `a.rowOut` scatters rows). */
  outputShape: number[];
  /** The geometry uniforms `a`'s code reads (at most 16 numbers). */
  geometry: Geometry;
}

/** Tuning of {@link runGemm}, shared by every kernel. */
export interface GemmTuning {
  /** Tile choice: `'auto'` takes 128×128 when M and N are both ≥ 128, else 64×64. */
  tile: 'auto' | '64x64' | '128x128';
  /** Split K until the grid has about this many workgroups. */
  targetWorkgroups: number;
  /** Never give a split fewer than this many K steps (of 16). */
  minStepsPerSplit: number;
}

/** The current tuning (see {@link GemmTuning}). */
export const gemmTuning: GemmTuning = {
  tile: 'auto',
  targetWorkgroups: 512,
  minStepsPerSplit: 16,
};

/** The tile {@link runGemm} uses for an M×N product. */
export function chooseTile(m: number, n: number): GemmTile {
  if (gemmTuning.tile === '64x64') return { tm: 64, tn: 64 };
  if (gemmTuning.tile === '128x128') return { tm: 128, tn: 128 };
  return m >= 128 && n >= 128 ? { tm: 128, tn: 128 } : { tm: 64, tn: 64 };
}

/** How many K splits an M×N×K product gets. */
export function chooseSplits(m: number, n: number, k: number, tile: GemmTile): number {
  const tiles = Math.ceil(m / tile.tm) * Math.ceil(n / tile.tn);
  const wanted = Math.ceil(gemmTuning.targetWorkgroups / tiles);
  const most = Math.max(1, Math.floor(k / (TK * gemmTuning.minStepsPerSplit)));
  return Math.max(1, Math.min(wanted, most));
}

/** One step's load slots: which (row-or-column group, depth) a thread fills. */
interface Slot {
  /** Group of 4 consecutive rows (A) or columns (B) of the tile. */
  q: string;
  /** Depth within the K slice. */
  kk: string;
}

/** The vec4 slots a thread loads per step, for a tile side of `side` and the given order. */
function slots(side: number, contiguous: 'outer' | 'k'): Slot[] {
  const groups = side / 4;
  const count = (groups * TK) / (WG * WG);
  const out: Slot[] = [];
  for (let s = 0; s < count; s++) {
    const lin = `(t + ${s * WG * WG})`;
    out.push(
      contiguous === 'outer'
        ? { q: `(${lin} % ${groups})`, kk: `(${lin} / ${groups})` }
        : { q: `(${lin} / ${TK})`, kk: `(${lin} % ${TK})` },
    );
  }
  return out;
}

class GemmProgram implements WebGPUProgramLike {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  variableNames = ['A', 'B'];
  uniforms =
    'M : i32, N : i32, K : i32, kChunk : i32, g0 : vec4<i32>, g1 : vec4<i32>, g2 : vec4<i32>, g3 : vec4<i32>,';
  workgroupSize: [number, number, number] = [WG, WG, 1];
  private readonly tile: GemmTile;
  private readonly a: ASource;
  /** Whether rows go where `a.rowOut` says (else densely: the partial products of split-K). */
  private readonly scatter: boolean;

  constructor(m: number, n: number, splits: number, tile: GemmTile, a: ASource) {
    this.tile = tile;
    this.a = a;
    this.scatter = splits === 1 && a.rowOut != null;
    this.outputShape = [splits, m, n];
    this.dispatch = [Math.ceil(n / tile.tn), Math.ceil(m / tile.tm), splits];
    this.shaderKey = `seGemm_${tile.tm}x${tile.tn}_${this.scatter}_${a.key}`;
  }

  getUserCode(): string {
    const { tm, tn } = this.tile;
    const rm = tm / WG / 4; // vec4 row groups per thread
    const rn = tn / WG / 4; // vec4 column groups per thread
    const aSlots = slots(tm, this.a.contiguous === 'm' ? 'outer' : 'k');
    const bSlots = slots(tn, 'outer');
    const lines: string[] = [];
    const emit = (s: string) => lines.push(s);

    emit(this.a.code);
    if (this.scatter) emit(this.a.rowOut as string);
    emit(`var<workgroup> As : array<vec4<f32>, ${(TK * tm) / 4}>;`);
    emit(`var<workgroup> Bs : array<vec4<f32>, ${(TK * tn) / 4}>;`);
    emit('fn main() {');
    emit('  let t = i32(localIndex);');
    emit('  let tx = i32(localId.x);');
    emit('  let ty = i32(localId.y);');
    emit(`  let m0 = i32(workgroupId.y) * ${tm};`);
    emit(`  let n0 = i32(workgroupId.x) * ${tn};`);
    emit('  let split = i32(workgroupId.z);');
    emit('  let kBegin = split * uniforms.kChunk;');
    emit('  let kEnd = min(uniforms.K, kBegin + uniforms.kChunk);');
    // Rows of A each slot loads are fixed for the whole K loop: decode them once.
    aSlots.forEach((s, i) => {
      emit(`  let aq${i} = ${s.q};`);
      emit(`  let ak${i} = ${s.kk};`);
      for (let r = 0; r < 4; r++) emit(`  let ar${i}_${r} = rowInfo(m0 + aq${i} * 4 + ${r});`);
      // The column this slot loads, decoded once and then stepped (no division in the loop).
      emit(`  var kc${i} = kInfo(kBegin + ak${i});`);
    });
    emit(`  let radixZ = ${this.a.kRadix.z};`);
    emit(`  let radixY = ${this.a.kRadix.y};`);
    bSlots.forEach((s, i) => {
      emit(`  let bq${i} = ${s.q};`);
      emit(`  let bk${i} = ${s.kk};`);
      emit(`  let bn${i} = n0 + bq${i} * 4;`);
    });
    for (let i = 0; i < rm * 4; i++) {
      for (let j = 0; j < rn; j++) emit(`  var c${i}_${j} = vec4<f32>(0.0);`);
    }
    // The loop count must be uniform (workgroupBarrier): every split runs kChunk / TK steps,
    // and the loads past kEnd read zeros.
    emit(`  for (var step = 0; step < uniforms.kChunk / ${TK}; step = step + 1) {`);
    emit(`    let k0 = kBegin + step * ${TK};`);
    aSlots.forEach((_, i) => {
      emit(`    {`);
      emit(`      let k = k0 + ak${i};`);
      emit('      let inK = k < kEnd;');
      const v = [0, 1, 2, 3].map((r) => `readA(ar${i}_${r}, kc${i}, inK)`).join(', ');
      emit(`      As[ak${i} * ${tm / 4} + aq${i}] = vec4<f32>(${v});`);
      emit(`      kc${i}.z = kc${i}.z + ${TK};`);
      emit(
        `      while (kc${i}.z >= radixZ) { kc${i}.z = kc${i}.z - radixZ; kc${i}.y = kc${i}.y + 1; }`,
      );
      emit(
        `      while (kc${i}.y >= radixY) { kc${i}.y = kc${i}.y - radixY; kc${i}.x = kc${i}.x + 1; }`,
      );
      emit('    }');
    });
    bSlots.forEach((_, i) => {
      emit('    {');
      emit(`      let k = k0 + bk${i};`);
      emit(`      var v = vec4<f32>(0.0);`);
      emit('      if (k < kEnd) {');
      emit(`        let base = k * uniforms.N + bn${i};`);
      emit(`        if (bn${i} + 3 < uniforms.N) {`);
      emit('          v = vec4<f32>(B[base], B[base + 1], B[base + 2], B[base + 3]);');
      emit('        } else {');
      for (let c = 0; c < 4; c++) {
        emit(`          if (bn${i} + ${c} < uniforms.N) { v[${c}] = B[base + ${c}]; }`);
      }
      emit('        }');
      emit('      }');
      emit(`      Bs[bk${i} * ${tn / 4} + bq${i}] = v;`);
      emit('    }');
    });
    emit('    workgroupBarrier();');
    emit(`    for (var kk = 0; kk < ${TK}; kk = kk + 1) {`);
    // Thread rows are 4-row groups ty, ty + 16, …; columns likewise: neighbouring threads read
    // neighbouring vec4s of workgroup memory (no bank conflicts).
    for (let i = 0; i < rm; i++) emit(`      let a${i} = As[kk * ${tm / 4} + ty + ${i * WG}];`);
    for (let j = 0; j < rn; j++) emit(`      let b${j} = Bs[kk * ${tn / 4} + tx + ${j * WG}];`);
    for (let i = 0; i < rm; i++) {
      for (let r = 0; r < 4; r++) {
        const comp = 'xyzw'[r];
        for (let j = 0; j < rn; j++) {
          const c = `c${i * 4 + r}_${j}`;
          emit(`      ${c} = fma(vec4<f32>(a${i}.${comp}), b${j}, ${c});`);
        }
      }
    }
    emit('    }');
    emit('    workgroupBarrier();');
    emit('  }');
    emit('  let out0 = split * uniforms.M * uniforms.N;');
    for (let i = 0; i < rm; i++) {
      for (let r = 0; r < 4; r++) {
        emit('  {');
        emit(`    let m = m0 + (ty + ${i * WG}) * 4 + ${r};`);
        emit('    if (m < uniforms.M) {');
        for (let j = 0; j < rn; j++) {
          const c = `c${i * 4 + r}_${j}`;
          emit(`      let col${j} = n0 + (tx + ${j * WG}) * 4;`);
          const row = this.scatter ? 'rowOut(m)' : 'm';
          emit(`      let dst${j} = out0 + ${row} * uniforms.N + col${j};`);
          for (let e = 0; e < 4; e++) {
            emit(`      if (col${j} + ${e} < uniforms.N) { result[dst${j} + ${e}] = ${c}[${e}]; }`);
          }
        }
        emit('    }');
        emit('  }');
      }
    }
    emit('}');
    return lines.join('\n');
  }
}

/** Sums a [splits, size] buffer over its first axis. */
class SplitSumProgram implements WebGPUProgramLike {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['P'];
  uniforms = 'N : i32, g0 : vec4<i32>, g1 : vec4<i32>, g2 : vec4<i32>, g3 : vec4<i32>,';
  workgroupSize: [number, number, number] = [256, 1, 1];
  size = true;
  private readonly rowOut: string | undefined;

  /** `outputShape` is [m, n] (tfjs takes `size` from it); rows go where `rowOut` says. */
  constructor(m: number, n: number, rowOut: string | undefined, key: string) {
    this.outputShape = [m, n];
    this.rowOut = rowOut;
    this.dispatch = [Math.ceil((m * n) / 256), 1, 1];
    this.shaderKey = `seSplitSum_${rowOut ? key : ''}`;
  }

  getUserCode(): string {
    const store = this.rowOut
      ? 'let m = index / uniforms.N;\n    result[rowOut(m) * uniforms.N + index - m * uniforms.N] = s;'
      : 'setOutputAtIndex(index, s);';
    return `
${this.rowOut ?? ''}
fn main(index : i32) {
  if (index < uniforms.size) {
    var s = 0.0;
    for (var p = 0; p < uniforms.pShape[0]; p = p + 1) {
      s = s + P[p * uniforms.size + index];
    }
    ${store}
  }
}`;
  }
}

/**
 * Whether {@link runGemm} can run an M×N product here: the grid must fit the device's
 * workgroups-per-dimension limit and every index must fit an i32.
 */
export function gemmFits(backend: WebGPUBackendLike, m: number, n: number, k: number): boolean {
  const tile = chooseTile(m, n);
  const limit = backend.device.limits.maxComputeWorkgroupsPerDimension;
  return (
    Math.ceil(m / tile.tm) <= limit &&
    Math.ceil(n / tile.tn) <= limit &&
    m * n * chooseSplits(m, n, k, tile) < 2 ** 31 &&
    k * n < 2 ** 31
  );
}

/**
 * Runs the implicit GEMM `spec` with A from `a` (read by `spec.a`'s code) and B, a dense [K, N]
 * row-major tensor; returns a new tensor of `spec.outputShape`, or writes into `output` (rows
 * where `spec.a.rowOut` puts them) and returns it.
 */
export function runGemm(
  backend: WebGPUBackendLike,
  spec: GemmSpec,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  output?: tf.TensorInfo,
): tf.TensorInfo {
  const tile = chooseTile(spec.m, spec.n);
  const splits = chooseSplits(spec.m, spec.n, spec.k, tile);
  const steps = Math.max(1, Math.ceil(spec.k / TK));
  const kChunk = Math.ceil(steps / splits) * TK;
  // The last splits can be empty after rounding the chunk up to whole steps: drop them. (K = 0,
  // a stride phase without taps, runs one masked step and writes zeros.)
  const used = Math.max(1, Math.ceil(spec.k / kChunk));
  const program = new GemmProgram(spec.m, spec.n, used, tile, spec.a);
  if (spec.geometry.length > 16) throw new Error('SE Zoo: at most 16 geometry uniforms');
  const g = [...spec.geometry, ...new Array<number>(16 - spec.geometry.length).fill(0)];
  const geometry: Uniform[] = [0, 4, 8, 12].map((i) => ({
    type: 'int32',
    data: g.slice(i, i + 4),
  }));
  const uniforms: Uniform[] = [
    { type: 'int32', data: [spec.m] },
    { type: 'int32', data: [spec.n] },
    { type: 'int32', data: [spec.k] },
    { type: 'int32', data: [kChunk] },
    ...geometry,
  ];
  if (used === 1) {
    const out = backend.runWebGPUProgram(program, [a, b], 'float32', uniforms, output);
    return output ?? { dataId: out.dataId, shape: spec.outputShape, dtype: 'float32' };
  }
  const partial = backend.runWebGPUProgram(program, [a, b], 'float32', uniforms);
  const sum = new SplitSumProgram(spec.m, spec.n, spec.a.rowOut, spec.a.key);
  const sumUniforms: Uniform[] = [{ type: 'int32', data: [spec.n] }, ...geometry];
  const out = backend.runWebGPUProgram(sum, [partial], 'float32', sumUniforms, output);
  backend.disposeData(partial.dataId);
  return output ?? { dataId: out.dataId, shape: spec.outputShape, dtype: 'float32' };
}

/** Fewest output pixels a chunk of a pixel-split reduction gets. */
const MIN_CHUNK_PIXELS = 256;

/**
 * Splits a reduction over `pixels` output pixels into chunks (one per workgroup z) until the grid
 * has about {@link gemmTuning}'s target of workgroups, given `workgroups` per chunk: the filter
 * gradients of the depthwise and grouped convolutions, whose few outputs alone would leave most
 * of a GPU idle. `kChunk` pixels per chunk, `splits` chunks.
 */
export function pixelChunks(
  backend: WebGPUBackendLike,
  pixels: number,
  workgroups: number,
): { kChunk: number; splits: number } {
  const wanted = Math.ceil(gemmTuning.targetWorkgroups / workgroups);
  const limit = backend.device.limits.maxComputeWorkgroupsPerDimension;
  const splits = Math.max(1, Math.min(wanted, Math.floor(pixels / MIN_CHUNK_PIXELS), limit));
  const kChunk = Math.ceil(pixels / splits);
  return { kChunk, splits: Math.ceil(pixels / kChunk) };
}

/**
 * WGSL: the first output pixel (b, oy, ox) of this workgroup's chunk, and the chunk's bounds
 * `kBegin … kEnd`, from uniforms `K` (pixels), `kChunk` and `g1` = (Ho, Wo, …).
 */
export const PIXEL_CHUNK_START = `  let split = i32(workgroupId.z);
  let kBegin = split * uniforms.kChunk;
  let kEnd = min(uniforms.K, kBegin + uniforms.kChunk);
  let hw = uniforms.g1.x * uniforms.g1.y;
  var b = kBegin / hw;
  var oy = (kBegin - b * hw) / uniforms.g1.y;
  var ox = kBegin - b * hw - oy * uniforms.g1.y;`;

/**
 * Sums a [splits, m, n] buffer of split-K partial products over its first axis into a new
 * tensor of `outputShape` (m·n elements), and frees the buffer.
 */
export function sumSplits(
  backend: WebGPUBackendLike,
  partial: tf.TensorInfo,
  m: number,
  n: number,
  outputShape: number[],
): tf.TensorInfo {
  const [splits] = partial.shape as [number];
  if (splits === 1) return { dataId: partial.dataId, shape: outputShape, dtype: 'float32' };
  const sum = new SplitSumProgram(m, n, undefined, '');
  const zeros: Uniform[] = [0, 1, 2, 3].map(() => ({ type: 'int32', data: [0, 0, 0, 0] }));
  const uniforms: Uniform[] = [{ type: 'int32', data: [n] }, ...zeros];
  const out = backend.runWebGPUProgram(sum, [partial], 'float32', uniforms);
  backend.disposeData(partial.dataId);
  return { dataId: out.dataId, shape: outputShape, dtype: 'float32' };
}
