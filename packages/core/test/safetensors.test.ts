import { describe, expect, it } from 'vitest';
import {
  type RawTensor,
  readSafetensors,
  type SafetensorsTensor,
  toFloat32,
  writeSafetensors,
} from '../src/io/safetensors.js';

/** Builds a file by hand: 8-byte little-endian header length, header text, data bytes. */
function buildFile(header: unknown, data: readonly number[] | Uint8Array, pad = 0): Uint8Array {
  const text = (typeof header === 'string' ? header : JSON.stringify(header)) + ' '.repeat(pad);
  const json = new TextEncoder().encode(text);
  const file = new Uint8Array(8 + json.length + data.length);
  const n = json.length;
  for (let i = 0; i < 8; i++) file[i] = Math.floor(n / 2 ** (8 * i)) & 0xff;
  file.set(json, 8);
  file.set(data, 8 + json.length);
  return file;
}

/** Header length and parsed header of a file. */
function headerOf(file: Uint8Array): { length: number; text: string } {
  const length = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  return { length, text: new TextDecoder().decode(file.subarray(8, 8 + length)) };
}

function get(file: { tensors: Map<string, RawTensor> }, name: string): RawTensor {
  const t = file.tensors.get(name);
  if (t === undefined) throw new Error(`missing tensor ${name}`);
  return t;
}

/** Float32 values of float16 bit patterns. */
function f16(...bits: number[]): number[] {
  return [...toFloat32({ dtype: 'F16', shape: [bits.length], data: new Uint16Array(bits) })];
}

/** Float32 values of bfloat16 bit patterns. */
function bf16(...bits: number[]): number[] {
  return [...toFloat32({ dtype: 'BF16', shape: [bits.length], data: new Uint16Array(bits) })];
}

describe('readSafetensors on hand-built files', () => {
  it('decodes every dtype to exact values, with metadata and a space-padded header', () => {
    const data = [
      // "f" F32 [2,2] @ 0..16: 1, -2.5, 0.15625, FLT_MAX (0x7F7FFFFF)
      0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0, 0x00, 0x00, 0x20, 0x3e, 0xff, 0xff, 0x7f,
      0x7f,
      // "d" F64 [1] @ 16..24: -0.1 (0xBFB999999999999A)
      0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0xbf,
      // "l" I64 [2] @ 24..40: -2, 2^40 + 5
      0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x05, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
      0x00,
      // "i" I32 [2] @ 40..48: -7, 65536
      0xf9, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0x00,
      // "s" I16 [2] @ 48..52: -300, 1
      0xd4, 0xfe, 0x01, 0x00,
      // "h" F16 [2] @ 52..56: 0x3C00 = 1, 0xC000 = -2
      0x00, 0x3c, 0x00, 0xc0,
      // "b" I8 [2] @ 56..58: -128, 127
      0x80, 0x7f,
      // "u" U8 [3] @ 58..61: 0, 200, 255
      0x00, 0xc8, 0xff,
      // "m" BOOL [2] @ 61..63: true, false
      0x01, 0x00,
    ];
    // Header key order deliberately differs from the data order.
    const header = {
      m: { dtype: 'BOOL', shape: [2], data_offsets: [61, 63] },
      __metadata__: { format: 'pt', note: 'hand built' },
      f: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
      d: { dtype: 'F64', shape: [1], data_offsets: [16, 24] },
      l: { dtype: 'I64', shape: [2], data_offsets: [24, 40] },
      i: { dtype: 'I32', shape: [2], data_offsets: [40, 48] },
      s: { dtype: 'I16', shape: [2], data_offsets: [48, 52] },
      h: { dtype: 'F16', shape: [2], data_offsets: [52, 56] },
      b: { dtype: 'I8', shape: [2], data_offsets: [56, 58] },
      u: { dtype: 'U8', shape: [3], data_offsets: [58, 61] },
    };
    const file = readSafetensors(buildFile(header, data, 5));

    expect(file.metadata).toEqual({ format: 'pt', note: 'hand built' });
    expect([...file.tensors.keys()]).toEqual(['f', 'd', 'l', 'i', 's', 'h', 'b', 'u', 'm']);

    const f = get(file, 'f');
    expect(f.dtype).toBe('F32');
    expect(f.shape).toEqual([2, 2]);
    expect(f.data).toBeInstanceOf(Float32Array);
    expect([...f.data]).toEqual([1, -2.5, 0.15625, 3.4028234663852886e38]);
    expect([...f.bytes]).toEqual(data.slice(0, 16));

    const d = get(file, 'd');
    expect(d.data).toBeInstanceOf(Float64Array);
    expect([...d.data]).toEqual([-0.1]);
    expect([...toFloat32(d)]).toEqual([Math.fround(-0.1)]);

    const l = get(file, 'l');
    expect(l.data).toBeInstanceOf(BigInt64Array);
    expect([...l.data]).toEqual([-2n, 1099511627781n]);
    expect([...toFloat32(l)]).toEqual([-2, Math.fround(1099511627781)]);

    expect([...get(file, 'i').data]).toEqual([-7, 65536]);
    expect([...get(file, 's').data]).toEqual([-300, 1]);
    expect([...get(file, 'h').data]).toEqual([0x3c00, 0xc000]);
    expect([...toFloat32(get(file, 'h'))]).toEqual([1, -2]);
    expect([...get(file, 'b').data]).toEqual([-128, 127]);
    expect([...toFloat32(get(file, 'b'))]).toEqual([-128, 127]);
    expect([...get(file, 'u').data]).toEqual([0, 200, 255]);
    expect([...toFloat32(get(file, 'u'))]).toEqual([0, 200, 255]);
    expect([...get(file, 'm').data]).toEqual([1, 0]);
    expect([...toFloat32(get(file, 'm'))]).toEqual([1, 0]);
  });

  it('copies each tensor into its own aligned buffer, even from an odd byte offset', () => {
    const file = buildFile(
      {
        a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
        b: { dtype: 'F64', shape: [1], data_offsets: [1, 9] },
      },
      [7, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f],
    );
    const host = new Uint8Array(file.length + 3);
    host.set(file, 3);
    const parsed = readSafetensors(host.subarray(3));
    const b = get(parsed, 'b');
    expect(b.data.byteOffset).toBe(0);
    expect(b.bytes.byteOffset).toBe(0);
    expect([...b.data]).toEqual([1]);
    // The result does not alias the input.
    host.fill(0);
    expect([...b.data]).toEqual([1]);
    expect([...get(parsed, 'a').data]).toEqual([7]);
  });

  it('copies out of a Node Buffer, whose slice() would alias the pooled memory', () => {
    const bytes = buildFile(
      {
        a: { dtype: 'I32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'U8', shape: [1], data_offsets: [8, 9] },
      },
      [0xfe, 0xff, 0xff, 0xff, 0x03, 0x00, 0x00, 0x00, 0x09],
    );
    const buffer = Buffer.from(bytes);
    const parsed = readSafetensors(buffer);
    const a = get(parsed, 'a');
    expect([...a.data]).toEqual([-2, 3]);
    expect(a.bytes.buffer.byteLength).toBe(8);
    expect([...get(parsed, 'b').data]).toEqual([9]);
    const raw = { dtype: 'I32', shape: [1], data: Buffer.from([5, 0, 0, 0]) } as const;
    expect([...toFloat32(raw)]).toEqual([5]);
  });

  it('accepts an ArrayBuffer, scalars, zero-size tensors and a file without metadata', () => {
    const file = buildFile(
      {
        empty: { dtype: 'F32', shape: [0, 3], data_offsets: [0, 0] },
        scalar: { dtype: 'I32', shape: [], data_offsets: [0, 4] },
      },
      [0x2a, 0, 0, 0],
    );
    const parsed = readSafetensors(file.slice().buffer);
    expect(parsed.metadata).toEqual({});
    expect(get(parsed, 'empty').data.length).toBe(0);
    expect(get(parsed, 'empty').shape).toEqual([0, 3]);
    expect(get(parsed, 'scalar').shape).toEqual([]);
    expect([...get(parsed, 'scalar').data]).toEqual([42]);
    expect(readSafetensors(buildFile({}, [])).tensors.size).toBe(0);
  });
});

describe('toFloat32', () => {
  it('decodes known float16 bit patterns exactly', () => {
    expect(f16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0xfc00)).toEqual([
      1,
      -2,
      65504,
      2 ** -24, // 5.960464477539063e-8, the smallest subnormal
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
    // Largest subnormal, smallest normal, 1/3 rounded, 1 + 2^-10, -0.
    expect(f16(0x03ff, 0x0400, 0x3555, 0x3c01)).toEqual([
      6.097555160522461e-5, 6.103515625e-5, 0.333251953125, 1.0009765625,
    ]);
    expect(Object.is(f16(0x8000)[0], -0)).toBe(true);
    expect(f16(0x7e00)[0]).toBeNaN();
  });

  it('agrees with an arithmetic reference on all 65536 float16 patterns', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const got = toFloat32({ dtype: 'F16', shape: [65536], data: all });
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const exponent = (h >> 10) & 0x1f;
      const fraction = h & 0x3ff;
      let want: number;
      if (exponent === 0x1f) want = fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
      else if (exponent === 0) want = sign * fraction * 2 ** -24;
      else want = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
      if (!Object.is(got[h], want)) throw new Error(`0x${h.toString(16)}: ${got[h]} != ${want}`);
    }
    // NaN payloads survive: 0x7E01 -> quiet NaN with the payload shifted into float32's fraction.
    const bits = new Uint32Array(f16Bits(0x7e01, 0xfd00));
    expect([...bits]).toEqual([0x7fc02000, 0xffa00000]);
  });

  it('decodes known bfloat16 bit patterns exactly', () => {
    expect(bf16(0x3f80, 0xc040, 0x4049, 0x7f80, 0xff80, 0x0001, 0x7f7f)).toEqual([
      1,
      -3,
      3.140625,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      2 ** -133,
      3.3895313892515355e38,
    ]);
    expect(Object.is(bf16(0x8000)[0], -0)).toBe(true);
    expect(bf16(0x7fc0)[0]).toBeNaN();
  });

  it('widens integers and booleans and rounds F64', () => {
    const cases: [SafetensorsTensor, number[]][] = [
      [{ dtype: 'I8', shape: [3], data: new Int8Array([-128, 0, 127]) }, [-128, 0, 127]],
      [{ dtype: 'I16', shape: [2], data: new Int16Array([-32768, 32767]) }, [-32768, 32767]],
      [
        { dtype: 'I32', shape: [3], data: new Int32Array([-2147483648, 16777217, 5]) },
        [-2147483648, 16777216, 5],
      ],
      [{ dtype: 'U8', shape: [2], data: new Uint8Array([0, 255]) }, [0, 255]],
      [{ dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) }, [1, 0]],
      [
        { dtype: 'F64', shape: [2], data: new Float64Array([0.1, 1e300]) },
        [0.10000000149011612, Infinity],
      ],
      [
        { dtype: 'I64', shape: [3], data: new BigInt64Array([-9007199254740991n, 0n, 3n]) },
        [-9007199254740992, 0, 3],
      ],
      // Raw little-endian bytes are accepted for any dtype.
      [{ dtype: 'I32', shape: [1], data: new Uint8Array([0xff, 0xff, 0xff, 0xff]) }, [-1]],
    ];
    for (const [tensor, want] of cases) {
      const got = toFloat32(tensor);
      expect(got).toBeInstanceOf(Float32Array);
      expect([...got]).toEqual(want);
    }
  });

  it('range-checks I64 values', () => {
    const big = { dtype: 'I64', shape: [2], data: new BigInt64Array([1n, 9007199254740992n]) };
    expect(() => toFloat32(big as SafetensorsTensor)).toThrow(
      'safetensors: toFloat32: I64 element 1 is 9007199254740992, beyond Number.MAX_SAFE_INTEGER',
    );
    const min = { dtype: 'I64', shape: [1], data: new BigInt64Array([-(2n ** 63n)]) };
    expect(() => toFloat32(min as SafetensorsTensor)).toThrow('-9223372036854775808');
  });
});

/** float32 bit patterns of the decoded float16 patterns. */
function f16Bits(...bits: number[]): ArrayBufferLike {
  return toFloat32({ dtype: 'F16', shape: [bits.length], data: new Uint16Array(bits) }).buffer;
}

describe('writeSafetensors', () => {
  const f32 = new Float32Array(
    new Uint32Array([
      0x3f800000, // 1
      0x80000000, // -0
      0x00000001, // smallest subnormal
      0x7fc00123, // NaN with a payload
      0xff800000, // -Infinity
      0x3e2aaaab, // 1/3
    ]).buffer,
  );
  const tensors = new Map<string, SafetensorsTensor>([
    ['conv.weight', { dtype: 'F32', shape: [2, 3], data: f32 }],
    ['half', { dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x7bff]) }],
    ['brain', { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0xc040]) }],
    ['steps', { dtype: 'I64', shape: [], data: new BigInt64Array([-(2n ** 62n)]) }],
    ['index', { dtype: 'I32', shape: [1, 2], data: new Int32Array([-1, 7]) }],
    ['pixels', { dtype: 'U8', shape: [3], data: new Uint8Array([0, 128, 255]) }],
    ['mask', { dtype: 'BOOL', shape: [2], data: new Uint8Array([0, 1]) }],
    ['nothing', { dtype: 'F32', shape: [0], data: new Float32Array(0) }],
  ]);
  const metadata = { format: 'pt', 'se-zoo': 'v1' };

  it('writes an 8-byte aligned, space-padded JSON header with ordered keys and offsets', () => {
    const file = writeSafetensors(tensors, metadata);
    const { length, text } = headerOf(file);
    expect(length % 8).toBe(0);
    expect(text.trimEnd().length).toBeGreaterThan(length - 8);
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    const header = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(header)).toEqual([
      '__metadata__',
      'conv.weight',
      'half',
      'brain',
      'steps',
      'index',
      'pixels',
      'mask',
      'nothing',
    ]);
    expect(header.__metadata__).toEqual(metadata);
    expect(header['conv.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header.half).toEqual({ dtype: 'F16', shape: [3], data_offsets: [24, 30] });
    expect(header.brain).toEqual({ dtype: 'BF16', shape: [2], data_offsets: [30, 34] });
    expect(header.steps).toEqual({ dtype: 'I64', shape: [], data_offsets: [34, 42] });
    expect(header.index).toEqual({ dtype: 'I32', shape: [1, 2], data_offsets: [42, 50] });
    expect(header.pixels).toEqual({ dtype: 'U8', shape: [3], data_offsets: [50, 53] });
    expect(header.mask).toEqual({ dtype: 'BOOL', shape: [2], data_offsets: [53, 55] });
    expect(header.nothing).toEqual({ dtype: 'F32', shape: [0], data_offsets: [55, 55] });
    expect(file.length).toBe(8 + length + 55);
    // The data section starts with the F32 bytes, little-endian.
    expect([...file.subarray(8 + length, 8 + length + 8)]).toEqual([
      0, 0, 0x80, 0x3f, 0, 0, 0, 0x80,
    ]);
  });

  it('pads every header length to a multiple of 8 and omits __metadata__ when not given', () => {
    for (let n = 1; n <= 16; n++) {
      const file = writeSafetensors({
        ['x'.repeat(n)]: { dtype: 'U8', shape: [1], data: new Uint8Array([n]) },
      });
      const { length, text } = headerOf(file);
      expect(length % 8).toBe(0);
      expect(Object.keys(JSON.parse(text) as object)).toEqual(['x'.repeat(n)]);
      expect(file[file.length - 1]).toBe(n);
    }
  });

  it('round-trips write -> read -> write bit-identically', () => {
    const file = writeSafetensors(tensors, metadata);
    const parsed = readSafetensors(file);
    expect(parsed.metadata).toEqual(metadata);
    expect([...parsed.tensors.keys()]).toEqual([...tensors.keys()]);
    for (const [name, original] of tensors) {
      const t = get(parsed, name);
      expect(t.dtype).toBe(original.dtype);
      expect(t.shape).toEqual(original.shape);
      expect(t.data.constructor).toBe(original.data.constructor);
      const want = original.data;
      expect([...t.bytes]).toEqual([
        ...new Uint8Array(want.buffer, want.byteOffset, want.byteLength),
      ]);
    }
    const w = get(parsed, 'conv.weight');
    expect([...new Uint32Array(w.data.buffer)]).toEqual([...new Uint32Array(f32.buffer)]);
    expect([...toFloat32(get(parsed, 'half'))]).toEqual([1, -2, 65504]);
    expect([...toFloat32(get(parsed, 'brain'))]).toEqual([1, -3]);
    expect([...get(parsed, 'steps').data]).toEqual([-(2n ** 62n)]);

    const again = writeSafetensors(parsed.tensors, parsed.metadata);
    expect(again).toEqual(file);
  });

  it('accepts a plain object and raw little-endian bytes for any dtype', () => {
    const file = writeSafetensors({
      w: { dtype: 'F32', shape: [2], data: new Uint8Array([0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0]) },
      n: {
        dtype: 'I64',
        shape: [1],
        data: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      },
    });
    const parsed = readSafetensors(file);
    expect([...get(parsed, 'w').data]).toEqual([1, -2.5]);
    expect([...get(parsed, 'n').data]).toEqual([-1n]);
  });

  it('writes from a subarray view without including neighbouring elements', () => {
    const backing = new Float32Array([9, 1, 2, 9]);
    const file = writeSafetensors({
      v: { dtype: 'F32', shape: [2], data: backing.subarray(1, 3) },
    });
    expect([...get(readSafetensors(file), 'v').data]).toEqual([1, 2]);
  });
});

describe('errors', () => {
  const f32x2x3 = { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] };

  it('rejects a file too short for the header length', () => {
    expect(() => readSafetensors(new Uint8Array(5))).toThrow(
      'safetensors: file is 5 bytes, too short for the 8-byte header length',
    );
  });

  it('rejects a header length beyond the file', () => {
    const file = new Uint8Array(100);
    file[0] = 999 & 0xff;
    file[1] = 999 >> 8;
    expect(() => readSafetensors(file)).toThrow(
      'safetensors: header length 999 exceeds file size 100',
    );
    const huge = new Uint8Array(16).fill(0xff);
    expect(() => readSafetensors(huge)).toThrow('header length 18446744073709551615 exceeds');
  });

  it('rejects a header that is not UTF-8, not JSON or not an object', () => {
    const bad = buildFile('{"x": ', []);
    expect(() => readSafetensors(bad)).toThrow('safetensors: header is not valid JSON: ');
    const latin1 = buildFile('{}', []);
    latin1[9] = 0xff;
    expect(() => readSafetensors(latin1)).toThrow('is not valid UTF-8');
    expect(() => readSafetensors(buildFile([1, 2], []))).toThrow(
      'safetensors: header must be a JSON object, got an array',
    );
  });

  it('rejects an unknown dtype, naming the tensor and dtype', () => {
    const file = buildFile({ x: { dtype: 'U16', shape: [1], data_offsets: [0, 2] } }, [0, 0]);
    expect(() => readSafetensors(file)).toThrow(
      'safetensors: tensor "x" has unknown dtype "U16" (supported: F64, F32, F16, BF16, I64',
    );
  });

  it('rejects data_offsets whose span does not match dtype and shape', () => {
    const file = buildFile(
      { x: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } },
      new Uint8Array(20),
    );
    expect(() => readSafetensors(file)).toThrow(
      'safetensors: tensor "x" has dtype "F32" and shape [2,3] (24 bytes) ' +
        'but data_offsets [0,20] span 20 bytes',
    );
  });

  it('rejects data_offsets outside the data section', () => {
    const file = buildFile({ x: { ...f32x2x3, data_offsets: [16, 40] } }, new Uint8Array(24));
    expect(() => readSafetensors(file)).toThrow(
      'safetensors: tensor "x" data_offsets [16,40] lie outside the 24-byte data section',
    );
    const reversed = buildFile({ x: { ...f32x2x3, data_offsets: [24, 0] } }, new Uint8Array(24));
    expect(() => readSafetensors(reversed)).toThrow(
      'safetensors: tensor "x" has invalid data_offsets [24,0]',
    );
  });

  it('rejects overlapping, non-contiguous and incomplete data sections', () => {
    const a = (begin: number, end: number) => ({
      dtype: 'I32',
      shape: [(end - begin) / 4],
      data_offsets: [begin, end],
    });
    expect(() =>
      readSafetensors(buildFile({ a: a(0, 16), b: a(8, 24) }, new Uint8Array(24))),
    ).toThrow('safetensors: tensors "a" data_offsets [0,16] and "b" data_offsets [8,24] overlap');
    expect(() =>
      readSafetensors(buildFile({ a: a(0, 8), b: a(12, 20) }, new Uint8Array(20))),
    ).toThrow(
      'safetensors: data_offsets are not contiguous: 4 unused bytes between tensor "a" ' +
        '(ends at 8) and tensor "b" (begins at 12)',
    );
    expect(() => readSafetensors(buildFile({ b: a(4, 8) }, new Uint8Array(8)))).toThrow(
      '4 unused bytes between the start of the data section and tensor "b" (begins at 4)',
    );
    expect(() => readSafetensors(buildFile({ a: a(0, 8) }, new Uint8Array(12)))).toThrow(
      'safetensors: data section is 12 bytes but the tensors cover only 8 (4 trailing bytes)',
    );
  });

  it('rejects malformed shapes and metadata', () => {
    const neg = buildFile({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }, []);
    expect(() => readSafetensors(neg)).toThrow('safetensors: tensor "x" has invalid shape [-1]');
    const meta = buildFile({ __metadata__: { epoch: 3 } }, []);
    expect(() => readSafetensors(meta)).toThrow(
      'safetensors: __metadata__ must map strings to strings, but key "epoch" has a number',
    );
  });

  it('rejects writing data whose length does not match the shape', () => {
    const w = { dtype: 'F32', shape: [2, 3], data: new Float32Array(5) } as const;
    expect(() => writeSafetensors({ w })).toThrow(
      'safetensors: cannot write tensor "w": shape [2,3] needs 6 elements (24 bytes of F32) ' +
        'but data has 5 elements',
    );
    const raw = { dtype: 'I64', shape: [2], data: new Uint8Array(12) } as const;
    expect(() => writeSafetensors({ raw })).toThrow(
      'cannot write tensor "raw": shape [2] needs 2 elements (16 bytes of I64) ' +
        'but the raw data has 12 bytes',
    );
  });

  it('rejects writing wrong array types, unknown dtypes, bad booleans, reserved names', () => {
    expect(() =>
      writeSafetensors({ w: { dtype: 'F32', shape: [1], data: new Float64Array(1) } }),
    ).toThrow('cannot write tensor "w": dtype F32 needs data as a Float32Array');
    const unknown = { dtype: 'F8', shape: [1], data: new Uint8Array(1) };
    expect(() => writeSafetensors({ q: unknown as unknown as SafetensorsTensor })).toThrow(
      'cannot write tensor "q": unknown dtype "F8"',
    );
    expect(() =>
      writeSafetensors({ m: { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 2]) } }),
    ).toThrow('cannot write tensor "m": BOOL element 1 is 2, expected 0 or 1');
    expect(() =>
      writeSafetensors(
        new Map([['__metadata__', { dtype: 'U8', shape: [0], data: new Uint8Array(0) }]]),
      ),
    ).toThrow('"__metadata__" is reserved');
  });
});
