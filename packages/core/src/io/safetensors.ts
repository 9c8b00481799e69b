/**
 * Reader and writer for the Hugging Face
 * {@link https://github.com/huggingface/safetensors | safetensors} format, usable in Node and in
 * the browser (only `Uint8Array`, `DataView`, `TextEncoder` and `TextDecoder` are used).
 *
 * Layout of a file: an 8-byte little-endian unsigned integer `N`, then `N` bytes of UTF-8 JSON
 * (possibly padded with trailing spaces), then the data section. The JSON maps each tensor name to
 * `{ dtype, shape, data_offsets: [begin, end] }`, offsets being relative to the start of the data
 * section, plus an optional `__metadata__` map of strings to strings. Tensors are stored
 * row-major and little-endian, back to back, covering the whole data section.
 *
 * @module
 */

/** Element types this module reads and writes (the names used in the safetensors header). */
export type SafetensorsDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U8'
  | 'BOOL';

/**
 * The typed array that views each dtype's elements. `F16` and `BF16` are exposed as their raw
 * 16-bit patterns (decode them with {@link toFloat32}); `BOOL` is one byte per element (0 or 1).
 */
export interface SafetensorsDataTypes {
  /** 64-bit floats. */
  F64: Float64Array;
  /** 32-bit floats. */
  F32: Float32Array;
  /** IEEE half precision, as raw 16-bit patterns. */
  F16: Uint16Array;
  /** bfloat16, as raw 16-bit patterns. */
  BF16: Uint16Array;
  /** 64-bit signed integers (e.g. BatchNorm's `num_batches_tracked`). */
  I64: BigInt64Array;
  /** 32-bit signed integers. */
  I32: Int32Array;
  /** 16-bit signed integers. */
  I16: Int16Array;
  /** 8-bit signed integers. */
  I8: Int8Array;
  /** 8-bit unsigned integers. */
  U8: Uint8Array;
  /** Booleans, one byte each (0 or 1). */
  BOOL: Uint8Array;
}

/** Any typed array that can hold the elements of some {@link SafetensorsDtype}. */
export type SafetensorsData = SafetensorsDataTypes[SafetensorsDtype];

/**
 * A tensor to write. `data` is either the typed array that matches `dtype` (see
 * {@link SafetensorsDataTypes}; e.g. `Float32Array` for `F32`, `Uint16Array` of raw bit patterns
 * for `F16`/`BF16`, `BigInt64Array` for `I64`) or, for any dtype, a `Uint8Array` holding the
 * little-endian bytes as they are to be stored. `shape` is row-major; `[]` is a scalar.
 */
export interface SafetensorsTensor {
  /** Element type written to the header. */
  dtype: SafetensorsDtype;
  /** Dimensions, outermost first; every entry a non-negative integer. */
  shape: readonly number[];
  /** Elements (typed array matching `dtype`) or the raw little-endian bytes (`Uint8Array`). */
  data: SafetensorsData;
}

/**
 * A tensor as read from a file. `bytes` is a private, correctly aligned copy of the stored
 * little-endian bytes; `data` is a typed view of the same elements (sharing `bytes`' buffer on
 * little-endian hosts). Narrowing on `dtype` narrows `data` to the matching typed array. A
 * `RawTensor` can be passed back to {@link writeSafetensors} unchanged.
 */
export type RawTensor = {
  [D in SafetensorsDtype]: {
    /** Element type from the header. */
    readonly dtype: D;
    /** Dimensions from the header, outermost first. */
    readonly shape: number[];
    /** Typed view of the elements. */
    readonly data: SafetensorsDataTypes[D];
    /** The stored little-endian bytes of this tensor (a copy, offset 0 in its own buffer). */
    readonly bytes: Uint8Array;
  };
}[SafetensorsDtype];

/** Parsed file: tensors by name in file order plus the `__metadata__` map. */
export interface SafetensorsFile {
  /**
   * Tensors by name, in the order their data appears in the file (which, for files written by
   * {@link writeSafetensors} or by the Python library, is also the order of the header).
   */
  tensors: Map<string, RawTensor>;
  /** The `__metadata__` map, or `{}` when the file has none. */
  metadata: Record<string, string>;
}

interface DtypeInfo {
  /** Bytes per element. */
  size: number;
  /** Typed array constructor used to view the elements. */
  view: (buffer: ArrayBuffer, length: number) => SafetensorsData;
  /** Typed array classes accepted as `data` when writing (besides raw `Uint8Array` bytes). */
  accepts: (data: SafetensorsData) => boolean;
  /** Name of the expected typed array, for error messages. */
  arrayName: string;
}

const DTYPES: Readonly<Record<SafetensorsDtype, DtypeInfo>> = {
  F64: {
    size: 8,
    view: (b, n) => new Float64Array(b, 0, n),
    accepts: (d) => d instanceof Float64Array,
    arrayName: 'Float64Array',
  },
  F32: {
    size: 4,
    view: (b, n) => new Float32Array(b, 0, n),
    accepts: (d) => d instanceof Float32Array,
    arrayName: 'Float32Array',
  },
  F16: {
    size: 2,
    view: (b, n) => new Uint16Array(b, 0, n),
    accepts: (d) => d instanceof Uint16Array,
    arrayName: 'Uint16Array (raw float16 bits)',
  },
  BF16: {
    size: 2,
    view: (b, n) => new Uint16Array(b, 0, n),
    accepts: (d) => d instanceof Uint16Array,
    arrayName: 'Uint16Array (raw bfloat16 bits)',
  },
  I64: {
    size: 8,
    view: (b, n) => new BigInt64Array(b, 0, n),
    accepts: (d) => d instanceof BigInt64Array,
    arrayName: 'BigInt64Array',
  },
  I32: {
    size: 4,
    view: (b, n) => new Int32Array(b, 0, n),
    accepts: (d) => d instanceof Int32Array,
    arrayName: 'Int32Array',
  },
  I16: {
    size: 2,
    view: (b, n) => new Int16Array(b, 0, n),
    accepts: (d) => d instanceof Int16Array,
    arrayName: 'Int16Array',
  },
  I8: {
    size: 1,
    view: (b, n) => new Int8Array(b, 0, n),
    accepts: (d) => d instanceof Int8Array,
    arrayName: 'Int8Array',
  },
  U8: {
    size: 1,
    view: (b, n) => new Uint8Array(b, 0, n),
    accepts: (d) => d instanceof Uint8Array,
    arrayName: 'Uint8Array',
  },
  BOOL: {
    size: 1,
    view: (b, n) => new Uint8Array(b, 0, n),
    accepts: (d) => d instanceof Uint8Array,
    arrayName: 'Uint8Array',
  },
};

const SUPPORTED = Object.keys(DTYPES).join(', ');
const METADATA_KEY = '__metadata__';
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isDtype(value: string): value is SafetensorsDtype {
  return Object.hasOwn(DTYPES, value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(message: string): never {
  throw new Error(`safetensors: ${message}`);
}

function fmtList(values: readonly unknown[]): string {
  return `[${values.map((v) => String(v)).join(',')}]`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}

/**
 * A copy of `bytes` in a fresh buffer at offset 0. (Not `bytes.slice()`: on a Node `Buffer`, which
 * is a `Uint8Array`, `slice` returns a view of the same memory.)
 */
function copyBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

/** Reverses the byte order of every `size`-byte element of `bytes`, in place. */
function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a] as number;
      bytes[a] = bytes[b] as number;
      bytes[b] = t;
    }
  }
}

/** Number of elements of `shape`, validating it; `what` prefixes error messages. */
function elementCount(shape: unknown, what: string): number {
  if (!Array.isArray(shape)) fail(`${what} has shape ${describe(shape)}, expected an array`);
  let count = 1;
  for (const dim of shape as unknown[]) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      fail(`${what} has invalid shape ${JSON.stringify(shape)}: dimensions must be integers >= 0`);
    }
    count *= dim;
  }
  if (!Number.isSafeInteger(count)) fail(`${what} has shape ${fmtList(shape)} that is too large`);
  return count;
}

function parseMetadata(value: unknown): Record<string, string> {
  if (value === null || value === undefined) return {};
  if (!isRecord(value)) fail(`${METADATA_KEY} must be a JSON object, got ${describe(value)}`);
  const metadata: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      fail(`${METADATA_KEY} must map strings to strings, but key "${key}" has ${describe(v)}`);
    }
    metadata[key] = v;
  }
  return metadata;
}

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  count: number;
  begin: number;
  end: number;
  order: number;
}

function parseEntry(name: string, value: unknown, dataLength: number, order: number): HeaderEntry {
  const what = `tensor "${name}"`;
  if (!isRecord(value)) fail(`${what} header entry must be a JSON object, got ${describe(value)}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') fail(`${what} has dtype ${describe(dtype)}, expected a string`);
  if (!isDtype(dtype)) fail(`${what} has unknown dtype "${dtype}" (supported: ${SUPPORTED})`);
  const count = elementCount(shape, what);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) ||
    (offsets[0] as number) > (offsets[1] as number)
  ) {
    fail(
      `${what} has invalid data_offsets ${JSON.stringify(offsets)}: ` +
        'expected [begin, end] with integers 0 <= begin <= end',
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    fail(
      `${what} data_offsets ${fmtList(offsets)} lie outside the ${dataLength}-byte data section`,
    );
  }
  const expected = count * DTYPES[dtype].size;
  if (end - begin !== expected) {
    fail(
      `${what} has dtype "${dtype}" and shape ${fmtList(shape as number[])} (${expected} bytes) ` +
        `but data_offsets ${fmtList(offsets)} span ${end - begin} bytes`,
    );
  }
  return { name, dtype, shape: [...(shape as number[])], count, begin, end, order };
}

/** Checks that the sorted entries tile `[0, dataLength)` exactly, naming the first problem. */
function checkContiguous(entries: readonly HeaderEntry[], dataLength: number): void {
  let previous: HeaderEntry | undefined;
  for (const entry of entries) {
    const start = previous === undefined ? 0 : previous.end;
    if (entry.begin < start && previous !== undefined) {
      fail(
        `tensors "${previous.name}" data_offsets ${fmtList([previous.begin, previous.end])} and ` +
          `"${entry.name}" data_offsets ${fmtList([entry.begin, entry.end])} overlap`,
      );
    }
    if (entry.begin > start) {
      const where =
        previous === undefined
          ? 'the start of the data section'
          : `tensor "${previous.name}" (ends at ${previous.end})`;
      fail(
        `data_offsets are not contiguous: ${entry.begin - start} unused bytes between ${where} ` +
          `and tensor "${entry.name}" (begins at ${entry.begin})`,
      );
    }
    previous = entry;
  }
  const covered = previous === undefined ? 0 : previous.end;
  if (covered !== dataLength) {
    fail(
      `data section is ${dataLength} bytes but the tensors cover only ${covered} ` +
        `(${dataLength - covered} trailing bytes)`,
    );
  }
}

/**
 * Parses a safetensors file.
 *
 * The whole file is validated before anything is returned: the header length, UTF-8 and JSON of
 * the header, every dtype, shape and `data_offsets` pair (each must match `shape` × element size
 * and lie inside the data section), and that the tensors tile the data section exactly with no
 * overlap, gap or trailing bytes. Each tensor's bytes are copied into their own buffer, so views
 * are aligned and the input can be reused.
 *
 * @param bytes - The complete file contents (a Node `Buffer` works too: it is a `Uint8Array`).
 * @returns The tensors in file order and the `__metadata__` map (`{}` when absent).
 * @throws Error whose message starts with `safetensors:` and names the offending tensor, dtype or
 *   sizes when the file is malformed.
 *
 * @example
 * ```ts
 * import { readSafetensors, toFloat32 } from '@se/core';
 *
 * const url = 'https://example.com/model.safetensors';
 * const file = readSafetensors(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 * const w = file.tensors.get('conv1.weight');
 * if (w) console.log(w.dtype, w.shape, toFloat32(w));
 * console.log(file.metadata.format);
 * ```
 */
export function readSafetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsFile {
  const input = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const fileSize = input.byteLength;
  if (fileSize < 8) fail(`file is ${fileSize} bytes, too short for the 8-byte header length`);
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const headerLength64 = view.getBigUint64(0, true);
  if (headerLength64 > BigInt(fileSize - 8)) {
    fail(
      `header length ${headerLength64} exceeds file size ${fileSize} ` +
        `(at most ${fileSize - 8} bytes follow the 8-byte length)`,
    );
  }
  const headerLength = Number(headerLength64);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(input.subarray(8, 8 + headerLength));
  } catch {
    fail(`header (${headerLength} bytes) is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    fail(`header is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isRecord(header)) fail(`header must be a JSON object, got ${describe(header)}`);

  const dataStart = 8 + headerLength;
  const dataLength = fileSize - dataStart;
  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value);
    else entries.push(parseEntry(name, value, dataLength, entries.length));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end || a.order - b.order);
  checkContiguous(entries, dataLength);

  const tensors = new Map<string, RawTensor>();
  for (const entry of entries) {
    const info = DTYPES[entry.dtype];
    const raw = copyBytes(input.subarray(dataStart + entry.begin, dataStart + entry.end));
    let buffer = raw.buffer;
    if (!HOST_LITTLE_ENDIAN && info.size > 1) {
      const native = copyBytes(raw);
      swapBytes(native, info.size);
      buffer = native.buffer;
    }
    const tensor = {
      dtype: entry.dtype,
      shape: entry.shape,
      data: info.view(buffer, entry.count),
      bytes: raw,
    } as RawTensor;
    tensors.set(entry.name, tensor);
  }
  return { tensors, metadata };
}

/** Little-endian bytes of `tensor`, validated against its dtype and shape. */
function tensorBytes(name: string, tensor: SafetensorsTensor): Uint8Array {
  const what = `cannot write tensor "${name}":`;
  if (!isRecord(tensor)) fail(`${what} expected { dtype, shape, data }, got ${describe(tensor)}`);
  const { dtype, shape, data } = tensor;
  if (typeof dtype !== 'string' || !isDtype(dtype)) {
    fail(`${what} unknown dtype ${JSON.stringify(dtype)} (supported: ${SUPPORTED})`);
  }
  const info = DTYPES[dtype];
  const count = elementCount(shape, `tensor "${name}"`);
  const expectedBytes = count * info.size;
  const shapeText =
    `shape ${fmtList(shape)} needs ${count} elements ` + `(${expectedBytes} bytes of ${dtype})`;
  if (!ArrayBuffer.isView(data)) {
    fail(`${what} data must be a ${info.arrayName} or a Uint8Array of raw bytes`);
  }
  let out: Uint8Array;
  if (info.accepts(data)) {
    if (data.length !== count) fail(`${what} ${shapeText} but data has ${data.length} elements`);
    out = copyBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (!HOST_LITTLE_ENDIAN) swapBytes(out, info.size);
  } else if (data instanceof Uint8Array) {
    if (data.byteLength !== expectedBytes) {
      fail(`${what} ${shapeText} but the raw data has ${data.byteLength} bytes`);
    }
    out = data;
  } else {
    fail(
      `${what} dtype ${dtype} needs data as a ${info.arrayName} or a Uint8Array of raw bytes, ` +
        `got ${data.constructor.name}`,
    );
  }
  if (dtype === 'BOOL') {
    const bad = out.findIndex((b) => b > 1);
    if (bad >= 0) fail(`${what} BOOL element ${bad} is ${out[bad]}, expected 0 or 1`);
  }
  return out;
}

/**
 * Serialises tensors to the safetensors format, in a form the Python `safetensors` library loads.
 *
 * The header is compact JSON with `__metadata__` first (only when `metadata` is given), then the
 * tensors in insertion order, padded with spaces so the data section starts at a multiple of 8
 * bytes. Data is written back to back in the same order, little-endian. Writing the tensors of a
 * file read with {@link readSafetensors} (with its metadata) reproduces their bytes exactly.
 *
 * Note: a plain object iterates integer-like keys (`"0"`, `"1"`, ...) first in ascending order; use
 * a `Map` when such names must keep their position.
 *
 * @param tensors - Tensors by name, as a `Map` or a plain object. The name `__metadata__` is
 *   reserved.
 * @param metadata - Optional string-to-string map stored as `__metadata__`.
 * @returns The file contents.
 * @throws Error whose message starts with `safetensors:` and names the tensor when a dtype is
 *   unknown, a shape is invalid, or data does not match the dtype or the shape's size.
 *
 * @example
 * ```ts
 * import { readSafetensors, writeSafetensors } from '@se/core';
 *
 * const bytes = writeSafetensors(
 *   new Map([
 *     ['fc.weight', { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
 *     ['step', { dtype: 'I64', shape: [], data: new BigInt64Array([100n]) }],
 *   ]),
 *   { format: 'pt' },
 * );
 * readSafetensors(bytes).tensors.get('fc.weight')?.shape; // [2, 3]
 * ```
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, SafetensorsTensor> | Readonly<Record<string, SafetensorsTensor>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const list: [string, SafetensorsTensor][] =
    tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const parts: string[] = [];
  if (metadata !== undefined) {
    parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(parseMetadata(metadata))}`);
  }
  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of list) {
    if (name === METADATA_KEY) fail(`"${METADATA_KEY}" is reserved and cannot name a tensor`);
    const bytes = tensorBytes(name, tensor);
    const entry = {
      dtype: tensor.dtype,
      shape: [...tensor.shape],
      data_offsets: [offset, offset + bytes.byteLength],
    };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(entry)}`);
    payloads.push(bytes);
    offset += bytes.byteLength;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let position = 8 + headerLength;
  for (const bytes of payloads) {
    out.set(bytes, position);
    position += bytes.byteLength;
  }
  return out;
}

let f16Table: Uint32Array | undefined;

/** float32 bit pattern of the float16 bit pattern `h` (exact, NaN payloads kept). */
function f16ToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >>> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (fraction << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (fraction << 13)) >>> 0;
  if (fraction === 0) return sign >>> 0;
  // Subnormal: fraction * 2^-24. Normalise so the leading one lands on bit 10.
  let f = fraction;
  let shift = 0;
  while ((f & 0x400) === 0) {
    f <<= 1;
    shift++;
  }
  return (sign | ((113 - shift) << 23) | ((f & 0x3ff) << 13)) >>> 0;
}

function float16Table(): Uint32Array {
  if (f16Table === undefined) {
    f16Table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16ToF32Bits(h);
  }
  return f16Table;
}

/**
 * Converts a stored tensor's elements to a new `Float32Array`.
 *
 * - `F32`: copied. `F64`: rounded to the nearest float32.
 * - `F16` and `BF16`: decoded exactly (every half and bfloat16 value, subnormals, infinities and
 *   NaN included, is representable as float32).
 * - `I64`: converted through `BigInt`; throws when a value is beyond `Number.MAX_SAFE_INTEGER` in
 *   magnitude. Values above 2^24 in magnitude are rounded to the nearest float32.
 * - `I32`, `I16`, `I8`, `U8`: widened (`I32` beyond 2^24 rounds). `BOOL`: 0 or 1.
 *
 * @param t - A tensor from {@link readSafetensors} (or anything with `dtype` and matching `data`).
 * @returns The values as float32, row-major.
 * @throws Error when an `I64` value cannot be converted safely or `data` does not match `dtype`.
 *
 * @example
 * ```ts
 * import { toFloat32 } from '@se/core';
 *
 * toFloat32({ dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0xc000]) }); // [1, -2]
 * ```
 */
export function toFloat32(t: RawTensor | SafetensorsTensor): Float32Array {
  const { dtype } = t;
  const info = isDtype(dtype) ? DTYPES[dtype] : undefined;
  if (info === undefined) fail(`unknown dtype "${String(dtype)}" (supported: ${SUPPORTED})`);
  let data = t.data;
  if (!info.accepts(data)) {
    if (!(data instanceof Uint8Array) || data.byteLength % info.size !== 0) {
      fail(`toFloat32: dtype ${dtype} needs data as a ${info.arrayName} or raw bytes`);
    }
    const native = copyBytes(data);
    if (!HOST_LITTLE_ENDIAN) swapBytes(native, info.size);
    data = info.view(native.buffer, native.byteLength / info.size);
  }
  const n = data.length;
  const out = new Float32Array(n);
  if (dtype === 'F16') {
    const table = float16Table();
    const bits = new Uint32Array(out.buffer);
    const src = data as Uint16Array;
    for (let i = 0; i < n; i++) bits[i] = table[src[i] as number] as number;
  } else if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    const src = data as Uint16Array;
    for (let i = 0; i < n; i++) bits[i] = (src[i] as number) << 16;
  } else if (dtype === 'I64') {
    const src = data as BigInt64Array;
    const limit = BigInt(Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < n; i++) {
      const v = src[i] as bigint;
      if (v > limit || v < -limit) {
        fail(`toFloat32: I64 element ${i} is ${v}, beyond Number.MAX_SAFE_INTEGER in magnitude`);
      }
      out[i] = Number(v);
    }
  } else if (dtype === 'BOOL') {
    const src = data as Uint8Array;
    for (let i = 0; i < n; i++) out[i] = src[i] === 0 ? 0 : 1;
  } else {
    out.set(data as Exclude<SafetensorsData, BigInt64Array>);
  }
  return out;
}
