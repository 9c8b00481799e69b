// Test fixtures shared by the test files: dataset files written by hand.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** An IDX file of unsigned bytes: magic 0x0000080N, N big-endian dimensions, then the data. */
export function idx(shape: number[], data: ArrayLike<number>): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * shape.length));
  header.setUint32(0, 0x0800 + shape.length);
  for (const [i, d] of shape.entries()) header.setUint32(4 + 4 * i, d);
  const bytes = new Uint8Array(header.byteLength + data.length);
  bytes.set(new Uint8Array(header.buffer));
  bytes.set(Array.from(data), header.byteLength);
  return bytes;
}

/**
 * Writes the four files of an MNIST-style dataset to `dir`: `train` and `test` images of
 * `side`×`side` pixels (a gradient), labels cycling through 0–9.
 */
export async function writeIdxDataset(
  dir: string,
  { side, train, test }: { side: number; train: number; test: number },
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const split = async (prefix: string, count: number) => {
    const pixels = Array.from({ length: count * side * side }, (_, i) => (i * 7) % 256);
    await writeFile(join(dir, `${prefix}-images-idx3-ubyte`), idx([count, side, side], pixels));
    const labels = Array.from({ length: count }, (_, i) => i % 10);
    await writeFile(join(dir, `${prefix}-labels-idx1-ubyte`), idx([count], labels));
  };
  await split('train', train);
  await split('t10k', test);
  return dir;
}
