// Convolutions with every stride and padding kind, odd channel counts and cropped taps, shared by
// the tests of every convolution method.

export type Pad = 'valid' | 'same' | [[0, 0], [number, number], [number, number], [0, 0]];

/** [input shape, filter shape, stride, padding]: strides 1/2/3, every padding kind. */
export const CONVS: [number[], number[], number | [number, number], Pad][] = [
  [[2, 7, 8, 3], [3, 3, 3, 4], 1, 'same'],
  [[2, 7, 8, 3], [3, 3, 3, 4], 2, 'same'],
  [[2, 7, 8, 3], [3, 3, 3, 4], 1, 'valid'],
  [[2, 9, 9, 3], [3, 3, 3, 4], 2, 'valid'],
  [
    [2, 9, 9, 3],
    [3, 3, 3, 4],
    2,
    [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  ],
  [
    [2, 7, 8, 3],
    [3, 2, 3, 4],
    [2, 3],
    [
      [0, 0],
      [2, 0],
      [0, 1],
      [0, 0],
    ],
  ],
  [[2, 9, 9, 5], [1, 1, 5, 6], 2, 'valid'],
  [
    [2, 12, 12, 3],
    [7, 7, 3, 4],
    2,
    [
      [0, 0],
      [3, 3],
      [3, 3],
      [0, 0],
    ],
  ],
  // Batch 1, channel counts that are not multiples of 4 or 8, tiles that end mid-row.
  [[1, 5, 7, 13], [3, 3, 13, 17], 1, 'same'],
  [[3, 11, 6, 9], [3, 3, 9, 10], 2, 'same'],
  [[1, 6, 5, 1], [5, 3, 1, 7], [1, 2], 'valid'],
  // Small maps where taps only read padding (cropped taps).
  [[2, 1, 1, 5], [3, 3, 5, 4], 1, 'same'],
  [[2, 2, 3, 5], [3, 3, 5, 4], 2, 'same'],
  [
    [2, 4, 4, 5],
    [3, 3, 5, 6],
    2,
    [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  ],
];

export const label = (c: (typeof CONVS)[number]) =>
  `${c[0].join('×')} * ${c[1].join('×')}, stride ${c[2]}, ${JSON.stringify(c[3])}`;
