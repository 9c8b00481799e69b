/**
 * timm's evaluation transform in TypeScript: what `timm.data.create_transform(**resolve_data_config(
 * {}, model=model))` does to an image before a pretrained model sees it, reproduced so that
 * pretrained weights get the inputs they were measured on.
 *
 * Steps, as timm's `transforms_imagenet_eval` (timm/data/transforms_factory.py) composes them:
 * 1. `img.convert('RGB')` (Pillow): greyscale is replicated, alpha is dropped (not composited),
 *    palettes are looked up.
 * 2. Resize with Pillow's resampling ({@link resizePillow}), which antialiases when shrinking.
 *    `cropMode` `'center'` (timm's default): the shorter side to `⌊size / cropPct⌋`, the longer side
 *    `int(scale · long / short)` (torchvision's `Resize(int)`); for a non-square `inputSize` whose
 *    two scaled sides differ, timm's `ResizeKeepRatio`, which resizes bilinearly whatever the
 *    config's interpolation (timm passes it no interpolation). `'squash'`: both sides to
 *    `⌊size / cropPct⌋`. `'border'`: the longer side to fit, padded with the mean colour.
 * 3. Centre crop to `inputSize` (torchvision's offsets, `round((h − crop) / 2)` with Python's
 *    round-half-to-even; padded with zeros, or the mean colour for `'border'`, where too small).
 * 4. `ToTensor` and `Normalize`: `(x / 255 − mean) / std`, each step rounded to float32 as torch
 *    computes it. Output NHWC float32.
 *
 * Decoding (Node): JPEG with `@jsquash/jpeg`, MozJPEG compiled to WebAssembly — libjpeg-turbo's
 * decoder with its defaults (ISLOW IDCT, fancy upsampling), as Pillow decodes — and PNG with
 * `fast-png` (pure JS). Both load by computed dynamic imports, so browser bundles never include
 * them; in a browser, images are read through a canvas (the browser's decoder: close to Pillow,
 * not bit-exact, and it may honour EXIF orientation, which Pillow and timm ignore).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** timm's interpolations that {@link resizePillow} reproduces. */
export type PreprocessInterpolation = 'bilinear' | 'bicubic';

/** timm's `crop_mode`. */
export type PreprocessCropMode = 'center' | 'squash' | 'border';

/**
 * The evaluation transform's settings, as timm's pretrained config (`pretrained_cfg`) names them. A
 * `PretrainedConfig` of `@se/core` is one.
 */
export interface PreprocessConfig {
  /** timm's `input_size`, `(C, H, W)`: the output is `[n, H, W, C]`; `C` must be 3. */
  readonly inputSize: readonly [number, number, number];
  /** Resize interpolation (Pillow's filter). */
  readonly interpolation: PreprocessInterpolation;
  /** timm's `crop_pct`: the image is resized to `⌊H / cropPct⌋` and `H` is kept (0 → 0.875). */
  readonly cropPct: number;
  /** timm's `crop_mode`; default `'center'`. */
  readonly cropMode?: PreprocessCropMode;
  /** Per-channel mean (RGB, on pixels in [0, 1]). */
  readonly mean: readonly [number, number, number];
  /** Per-channel standard deviation (RGB, on pixels in [0, 1]). */
  readonly std: readonly [number, number, number];
}

/** An 8-bit RGB image, row-major `[height, width, 3]` (HWC), as Pillow's `np.asarray(img)`. */
export interface RgbImage {
  /** `height · width · 3` bytes, RGB interleaved. */
  data: Uint8Array;
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
  /** Always 3: red, green, blue. */
  channels: 3;
}

/**
 * An image {@link preprocess} accepts:
 * - Node: a file path, or the bytes of a JPEG or PNG file;
 * - browser: an `HTMLImageElement`, `ImageBitmap`, `ImageData`, `HTMLCanvasElement` or
 *   `OffscreenCanvas` (a string is fetched as a URL, bytes are decoded by the browser);
 * - anywhere: a `[height, width, 3]` tensor of pixel values 0–255 (int32 as
 *   `tf.browser.fromPixels` gives, or float32 with integer values); `[h, w, 1]` (greyscale) and
 *   `[h, w, 4]` (RGBA) are converted as Pillow's `convert('RGB')` does.
 */
export type ImageInput =
  | string
  | Uint8Array
  | tf.Tensor3D
  | ImageData
  | HTMLImageElement
  | ImageBitmap
  | HTMLCanvasElement
  | OffscreenCanvas;

// ---------------------------------------------------------------------------------------------
// Pillow's resampling (Pillow src/libImaging/Resample.c, `ImagingResample` for 8-bit images)

/** Pillow's `bilinear_filter` (a triangle, support 1). */
function bilinearFilter(x: number): number {
  const t = x < 0 ? -x : x;
  return t < 1 ? 1 - t : 0;
}

/** Pillow's `bicubic_filter`: Keys' cubic convolution with a = −0.5, support 2. */
function bicubicFilter(x: number): number {
  const a = -0.5;
  const t = x < 0 ? -x : x;
  // The same operations in the same order as the C, so every coefficient rounds the same.
  if (t < 1) return ((a + 2.0) * t - (a + 3.0)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

const FILTERS: Record<PreprocessInterpolation, { filter: (x: number) => number; support: number }> =
  {
    bilinear: { filter: bilinearFilter, support: 1 },
    bicubic: { filter: bicubicFilter, support: 2 },
  };

/** Pillow's fixed point for 8-bit images: 32 bits less 8 for the result and 2 for overflow. */
const PRECISION_BITS = 32 - 8 - 2;

/** One axis's resampling: for output `i`, input `bounds[2i]…+bounds[2i+1]` weighted by `k`. */
interface Coefficients {
  /** Taps per output sample (the stride of `k`). */
  ksize: number;
  /** `[first input index, number of inputs]` per output sample. */
  bounds: Int32Array;
  /** Fixed-point weights (`PRECISION_BITS` fraction bits), `ksize` per output sample. */
  k: Int32Array;
}

/**
 * Pillow's `precompute_coeffs` followed by `normalize_coeffs_8bpc`: the filter is stretched by
 * the downscale factor (the antialiasing), each output's weights are normalised to sum to 1 and
 * then rounded to fixed point, half away from zero.
 */
function precomputeCoefficients(
  inSize: number,
  outSize: number,
  filter: PreprocessInterpolation,
): Coefficients {
  const { filter: f, support: baseSupport } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = baseSupport * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const k = new Int32Array(outSize * ksize);
  const weights = new Float64Array(ksize);
  const invFilterscale = 1.0 / filterscale;
  const one = 2 ** PRECISION_BITS;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0.0;
    for (let x = 0; x < xmax; x++) {
      const w = f((x + xmin - center + 0.5) * invFilterscale);
      weights[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? (weights[x] as number) / ww : (weights[x] as number);
      k[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * one) : Math.trunc(0.5 + w * one);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, k };
}

/** Pillow's `clip8`: drop the fraction bits (arithmetic shift), clamp to 0…255. */
function clip8(accumulator: number): number {
  const v = accumulator >> PRECISION_BITS;
  return Math.min(Math.max(v, 0), 255);
}

const HALF = 1 << (PRECISION_BITS - 1);

/**
 * Resizes an 8-bit RGB image exactly as Pillow's `Image.resize((width, height), filter)` does
 * (Pillow's `ImagingResample`): a separable convolution, horizontal pass first, whose filter is
 * stretched by the downscale factor so that shrinking antialiases (unlike
 * `tf.image.resizeBilinear`), with Pillow's fixed-point weights, rounding and clipping. The
 * output is Pillow's, byte for byte, up to the rare weight whose rounding depends on the C
 * compiler's floating-point contraction (then one level off).
 *
 * @param image The source pixels.
 * @param height Output height (≥ 1).
 * @param width Output width (≥ 1).
 * @param filter `'bilinear'` (Pillow's `BILINEAR`) or `'bicubic'` (`BICUBIC`, a = −0.5).
 * @returns A new image; a copy when the size is unchanged, as Pillow returns.
 *
 * @example
 * ```ts
 * import { resizePillow } from '@se/core';
 *
 * const grey = { data: new Uint8Array(4 * 6 * 3).fill(128), height: 4, width: 6, channels: 3 as const };
 * const small = resizePillow(grey, 2, 3, 'bicubic');
 * console.log(small.height, small.width, small.data[0]); // 2 3 128
 * ```
 */
export function resizePillow(
  image: RgbImage,
  height: number,
  width: number,
  filter: PreprocessInterpolation,
): RgbImage {
  checkRgbImage(image, 'resizePillow: image');
  for (const [name, value] of [
    ['height', height],
    ['width', width],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`resizePillow: ${name} must be an integer ≥ 1, got ${value}`);
    }
  }
  if (!(filter in FILTERS)) {
    throw new RangeError(
      `resizePillow: filter must be 'bilinear' or 'bicubic', got ${JSON.stringify(filter)}`,
    );
  }
  const { data, height: inH, width: inW } = image;
  const needHorizontal = width !== inW;
  const needVertical = height !== inH;
  if (!needHorizontal && !needVertical) {
    return { data: data.slice(), height, width, channels: 3 };
  }
  const vertical = precomputeCoefficients(inH, height, filter);
  // Rows of the source that the vertical pass reads: the horizontal pass computes only these.
  const yFirst = vertical.bounds[0] as number;
  const yLast =
    (vertical.bounds[height * 2 - 2] as number) + (vertical.bounds[height * 2 - 1] as number);

  let src = data;
  let srcW = inW;
  let rowOffset = 0;
  if (needHorizontal) {
    const { ksize, bounds, k } = precomputeCoefficients(inW, width, filter);
    const rows = yLast - yFirst;
    const out = new Uint8Array(rows * width * 3);
    for (let y = 0; y < rows; y++) {
      const inRow = (y + yFirst) * inW * 3;
      const outRow = y * width * 3;
      for (let xx = 0; xx < width; xx++) {
        const xmin = bounds[xx * 2] as number;
        const xmax = bounds[xx * 2 + 1] as number;
        const kOffset = xx * ksize;
        let r = HALF;
        let g = HALF;
        let b = HALF;
        for (let x = 0; x < xmax; x++) {
          const w = k[kOffset + x] as number;
          const p = inRow + (x + xmin) * 3;
          r += (data[p] as number) * w;
          g += (data[p + 1] as number) * w;
          b += (data[p + 2] as number) * w;
        }
        const o = outRow + xx * 3;
        out[o] = clip8(r);
        out[o + 1] = clip8(g);
        out[o + 2] = clip8(b);
      }
    }
    src = out;
    srcW = width;
    rowOffset = yFirst;
  }
  if (!needVertical) {
    return { data: src, height, width, channels: 3 };
  }
  const { ksize, bounds, k } = vertical;
  const out = new Uint8Array(height * srcW * 3);
  for (let yy = 0; yy < height; yy++) {
    const ymin = (bounds[yy * 2] as number) - rowOffset;
    const ymax = bounds[yy * 2 + 1] as number;
    const kOffset = yy * ksize;
    const outRow = yy * srcW * 3;
    for (let xx = 0; xx < srcW; xx++) {
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let y = 0; y < ymax; y++) {
        const w = k[kOffset + y] as number;
        const p = ((y + ymin) * srcW + xx) * 3;
        r += (src[p] as number) * w;
        g += (src[p + 1] as number) * w;
        b += (src[p + 2] as number) * w;
      }
      const o = outRow + xx * 3;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return { data: out, height, width: srcW, channels: 3 };
}

function checkRgbImage(image: RgbImage, what: string): void {
  const { data, height, width } = image;
  if (!(data instanceof Uint8Array) || !Number.isInteger(height) || !Number.isInteger(width)) {
    throw new TypeError(`${what} must be { data: Uint8Array, height, width, channels: 3 }`);
  }
  if (height < 1 || width < 1 || data.length !== height * width * 3) {
    throw new RangeError(
      `${what}: ${data.length} bytes is not height · width · 3 = ${height} · ${width} · 3`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// timm's evaluation transform

/** Python's `round()` of a float: to the nearest integer, ties to even. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** torchvision's `Resize(size)` with an int: the shorter side to `size`, aspect kept. */
function shorterSideSize(height: number, width: number, size: number): [number, number] {
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? [newLong, size] : [size, newLong];
}

/** timm's `ResizeKeepRatio.get_params` without the random scale and aspect (eval). */
function keepRatioSize(
  height: number,
  width: number,
  target: [number, number],
  longest: number,
): [number, number] {
  const ratioH = height / target[0];
  const ratioW = width / target[1];
  const ratio = Math.max(ratioH, ratioW) * longest + Math.min(ratioH, ratioW) * (1 - longest);
  return [roundHalfEven((height * 1.0) / ratio), roundHalfEven((width * 1.0) / ratio)];
}

/**
 * torchvision's `center_crop` / timm's `center_crop_or_pad`: pad with `fill` where the image is
 * smaller than the crop (left/top get the floor of half), then crop at `round((size − crop) / 2)`.
 */
function centerCropOrPad(
  image: RgbImage,
  cropH: number,
  cropW: number,
  fill: readonly [number, number, number],
): RgbImage {
  const { data, height, width } = image;
  const padTop = cropH > height ? Math.floor((cropH - height) / 2) : 0;
  const padBottom = cropH > height ? Math.floor((cropH - height + 1) / 2) : 0;
  const padLeft = cropW > width ? Math.floor((cropW - width) / 2) : 0;
  const padRight = cropW > width ? Math.floor((cropW - width + 1) / 2) : 0;
  const top = roundHalfEven((height + padTop + padBottom - cropH) / 2.0) - padTop;
  const left = roundHalfEven((width + padLeft + padRight - cropW) / 2.0) - padLeft;
  const out = new Uint8Array(cropH * cropW * 3);
  for (let y = 0; y < cropH; y++) {
    const sy = y + top;
    for (let x = 0; x < cropW; x++) {
      const sx = x + left;
      const o = (y * cropW + x) * 3;
      if (sy < 0 || sy >= height || sx < 0 || sx >= width) {
        out[o] = fill[0];
        out[o + 1] = fill[1];
        out[o + 2] = fill[2];
      } else {
        const p = (sy * width + sx) * 3;
        out[o] = data[p] as number;
        out[o + 1] = data[p + 1] as number;
        out[o + 2] = data[p + 2] as number;
      }
    }
  }
  return { data: out, height: cropH, width: cropW, channels: 3 };
}

function checkConfig(config: PreprocessConfig): void {
  const { inputSize, interpolation, cropPct, cropMode, mean, std } = config;
  if (
    !Array.isArray(inputSize) ||
    inputSize.length !== 3 ||
    inputSize[0] !== 3 ||
    !inputSize.slice(1).every((v) => Number.isInteger(v) && v >= 1)
  ) {
    throw new RangeError(
      `preprocess: inputSize must be timm's (C, H, W) with C = 3, got ${JSON.stringify(inputSize)}`,
    );
  }
  if (!(interpolation in FILTERS)) {
    throw new RangeError(
      `preprocess: interpolation must be 'bilinear' or 'bicubic', got ${JSON.stringify(interpolation)}`,
    );
  }
  if (typeof cropPct !== 'number' || !(cropPct >= 0) || !Number.isFinite(cropPct)) {
    throw new RangeError(
      `preprocess: cropPct must be a number ≥ 0 (0: timm's default 0.875), got ${cropPct}`,
    );
  }
  if (cropMode !== undefined && !['center', 'squash', 'border'].includes(cropMode)) {
    throw new RangeError(
      `preprocess: cropMode must be 'center', 'squash' or 'border', got ${JSON.stringify(cropMode)}`,
    );
  }
  for (const [name, values] of [
    ['mean', mean],
    ['std', std],
  ] as const) {
    if (
      !Array.isArray(values) ||
      values.length !== 3 ||
      !values.every((v) => Number.isFinite(v) && (name === 'mean' || v !== 0))
    ) {
      throw new RangeError(
        `preprocess: ${name} must be 3 finite numbers${name === 'std' ? ', none 0' : ''}, got ${JSON.stringify(values)}`,
      );
    }
  }
}

/**
 * timm's eval transform on one decoded image, into `out` at `offset` (HWC float32). The config is
 * checked by the caller.
 */
function evalTransformInto(
  image: RgbImage,
  config: PreprocessConfig,
  out: Float32Array,
  offset: number,
): void {
  const [, cropH, cropW] = config.inputSize;
  const cropPct = config.cropPct || 0.875; // timm: `crop_pct or DEFAULT_CROP_PCT`
  const scaleH = Math.floor(cropH / cropPct);
  const scaleW = Math.floor(cropW / cropPct);
  const mode = config.cropMode ?? 'center';
  let size: [number, number];
  let filter = config.interpolation;
  let fill: readonly [number, number, number] = [0, 0, 0];
  if (mode === 'squash') {
    size = [scaleH, scaleW];
  } else if (mode === 'border') {
    size = keepRatioSize(image.height, image.width, [scaleH, scaleW], 1.0);
    const [r, g, b] = config.mean.map((v) => roundHalfEven(255 * v));
    fill = [r as number, g as number, b as number];
  } else if (scaleH === scaleW) {
    size = shorterSideSize(image.height, image.width, scaleH);
  } else {
    // timm builds `ResizeKeepRatio(scale_size)` here without the config's interpolation.
    size = keepRatioSize(image.height, image.width, [scaleH, scaleW], 0.0);
    filter = 'bilinear';
  }
  const resized = resizePillow(image, size[0], size[1], filter);
  const cropped = centerCropOrPad(resized, cropH, cropW, fill);
  // ToTensor then Normalize, each op rounded to float32 as torch's float32 kernels compute it.
  const f = Math.fround;
  const mean = config.mean.map(f);
  const std = config.std.map(f);
  const { data } = cropped;
  for (let i = 0; i < data.length; i++) {
    const c = i % 3;
    out[offset + i] = f(f(f((data[i] as number) / 255) - (mean[c] as number)) / (std[c] as number));
  }
}

/**
 * Prepares images for a timm-pretrained model exactly as timm's evaluation transform does:
 * `img.convert('RGB')`, resize with Pillow's antialiasing resampler so that the shorter side is
 * `⌊size / cropPct⌋` (for `cropMode` `'center'`), centre crop to `inputSize`, then
 * `(x / 255 − mean) / std`. See the module's description for the details timm and torchvision
 * fix (rounding of sizes and offsets, the bilinear `ResizeKeepRatio` of non-square sizes).
 *
 * @param images One image or several (decoded in turn; all give `inputSize`).
 * @param config timm's `input_size`, `interpolation`, `crop_pct`, `crop_mode`, `mean` and `std`,
 *   e.g. a `PretrainedConfig`.
 * @returns `[n, H, W, 3]` float32 (NHWC, tfjs's layout); the caller disposes it.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { preprocess } from '@se/core';
 *
 * const config = {
 *   inputSize: [3, 224, 224],
 *   interpolation: 'bicubic',
 *   cropPct: 0.95,
 *   mean: [0.485, 0.456, 0.406],
 *   std: [0.229, 0.224, 0.225],
 * } as const; // seresnet50.a1_in1k's
 * const batch = await preprocess(['cat.jpg', 'dog.png'], config); // Node: paths or bytes
 * console.log(batch.shape); // [2, 224, 224, 3]
 * const pixels = tf.zeros([300, 400, 3], 'int32') as tf.Tensor3D; // or a uint8 RGB tensor
 * (await preprocess(pixels, config)).dispose();
 * batch.dispose();
 * ```
 */
export async function preprocess(
  images: ImageInput | readonly ImageInput[],
  config: PreprocessConfig,
): Promise<tf.Tensor4D> {
  checkConfig(config);
  const list: readonly ImageInput[] = Array.isArray(images)
    ? (images as readonly ImageInput[])
    : [images as ImageInput];
  const [, height, width] = config.inputSize;
  const perImage = height * width * 3;
  const out = new Float32Array(list.length * perImage);
  for (let n = 0; n < list.length; n++) {
    const rgb = await toRgbImage(list[n] as ImageInput);
    evalTransformInto(rgb, config, out, n * perImage);
  }
  return tf.tensor4d(out, [list.length, height, width, 3], 'float32');
}

// ---------------------------------------------------------------------------------------------
// Inputs to RGB

/** Whether this runs in Node (without referencing Node's types from browser-safe code). */
function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

/** RGBA bytes → RGB, dropping alpha as Pillow's `convert('RGB')` does (no compositing). */
function rgbaToRgb(rgba: ArrayLike<number>, height: number, width: number): RgbImage {
  const data = new Uint8Array(height * width * 3);
  for (let i = 0, j = 0; i < data.length; i += 3, j += 4) {
    data[i] = rgba[j] as number;
    data[i + 1] = rgba[j + 1] as number;
    data[i + 2] = rgba[j + 2] as number;
  }
  return { data, height, width, channels: 3 };
}

/** Converts any {@link ImageInput} to 8-bit RGB pixels. */
async function toRgbImage(input: ImageInput): Promise<RgbImage> {
  if (typeof input === 'string' || input instanceof Uint8Array) return decodeImage(input);
  if (input instanceof tf.Tensor) return tensorToRgb(input);
  if (isImageDataLike(input)) return rgbaToRgb(input.data, input.height, input.width);
  return drawableToRgb(input);
}

function isImageDataLike(input: unknown): input is ImageData {
  if (typeof input !== 'object' || input === null) return false;
  const { data, width, height } = input as Partial<ImageData>;
  return (
    data instanceof Uint8ClampedArray &&
    typeof width === 'number' &&
    typeof height === 'number' &&
    data.length === width * height * 4
  );
}

/** A `[h, w, c]` tensor of pixel values 0–255; `c` 1 (greyscale) or 4 (RGBA) is converted. */
async function tensorToRgb(tensor: tf.Tensor): Promise<RgbImage> {
  const shape = tensor.shape;
  const [height, width, channels] = shape as [number, number, number];
  if (shape.length !== 3 || ![1, 3, 4].includes(channels) || height < 1 || width < 1) {
    throw new RangeError(
      `preprocess: an image tensor must be [height, width, 3] (RGB; [h, w, 1] greyscale and ` +
        `[h, w, 4] RGBA are converted), got shape [${shape.join(', ')}]`,
    );
  }
  if (tensor.dtype !== 'int32' && tensor.dtype !== 'float32') {
    throw new TypeError(
      `preprocess: an image tensor must be int32 or float32 pixel values 0–255, got ${tensor.dtype}`,
    );
  }
  const values = await tensor.data();
  const data = new Uint8Array(height * width * 3);
  for (let p = 0; p < height * width; p++) {
    for (let c = 0; c < 3; c++) {
      const v = values[p * channels + (channels === 1 ? 0 : c)] as number;
      if (!(v >= 0 && v <= 255) || !Number.isInteger(v)) {
        throw new RangeError(
          `preprocess: an image tensor must hold integer pixel values 0–255 (not normalised ` +
            `values), found ${v} at pixel ${p}`,
        );
      }
      data[p * 3 + c] = v;
    }
  }
  return { data, height, width, channels: 3 };
}

type Drawable = HTMLImageElement | ImageBitmap | HTMLCanvasElement | OffscreenCanvas;

/** Reads a browser image source's pixels through a 2D canvas. */
async function drawableToRgb(source: Drawable): Promise<RgbImage> {
  const g = globalThis as {
    HTMLImageElement?: typeof HTMLImageElement;
    OffscreenCanvas?: typeof OffscreenCanvas;
    document?: Document;
  };
  let width: number;
  let height: number;
  if (g.HTMLImageElement !== undefined && source instanceof g.HTMLImageElement) {
    if (!source.complete || source.naturalWidth === 0) await source.decode();
    width = source.naturalWidth;
    height = source.naturalHeight;
  } else if (
    typeof source === 'object' &&
    source !== null &&
    typeof (source as { width?: unknown }).width === 'number' &&
    typeof (source as { height?: unknown }).height === 'number'
  ) {
    ({ width, height } = source as { width: number; height: number });
  } else {
    throw new TypeError(
      'preprocess: unsupported image; pass a path or JPEG/PNG bytes (Node), an HTMLImageElement, ' +
        'ImageBitmap, ImageData or canvas (browser), or a [height, width, 3] tensor',
    );
  }
  if (!(width >= 1 && height >= 1)) {
    throw new RangeError(`preprocess: the image is empty (${width} × ${height})`);
  }
  let context: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null = null;
  if (g.OffscreenCanvas !== undefined) {
    context = new g.OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  } else if (g.document !== undefined) {
    const canvas = g.document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    context = canvas.getContext('2d', { willReadFrequently: true });
  } else {
    throw new TypeError(
      'preprocess: reading an image element or bitmap needs a canvas (a browser or worker); ' +
        'in Node pass a path, JPEG/PNG bytes or a tensor',
    );
  }
  if (context === null) throw new Error('preprocess: could not get a 2D canvas context');
  context.drawImage(source, 0, 0);
  return rgbaToRgb(context.getImageData(0, 0, width, height).data, height, width);
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** The `node:fs/promises` and `node:module` functions decoding needs. */
interface NodeFs {
  readFile(path: string): Promise<Uint8Array>;
}
interface NodeModule {
  createRequire(from: string): { resolve(request: string): string };
}

/** `@jsquash/jpeg/decode.js`: MozJPEG's decoder in WebAssembly, RGBA out. */
interface JsquashJpeg {
  init(module: WebAssembly.Module): Promise<void>;
  default(
    buffer: ArrayBuffer,
    options?: { preserveOrientation?: boolean },
  ): Promise<{ data: Uint8ClampedArray; width: number; height: number }>;
}

/** `fast-png`'s decoder: raw samples, packed rows below 8 bits, `Uint16Array` at 16. */
interface FastPng {
  decode(data: Uint8Array): {
    width: number;
    height: number;
    data: Uint8Array | Uint8ClampedArray | Uint16Array;
    depth: 1 | 2 | 4 | 8 | 16;
    channels: number;
    palette?: number[][];
  };
}

// Computed specifiers keep bundlers from pulling Node's modules and the decoders into browser
// builds; they are only loaded in Node.
const FS_MODULE = 'node:fs/promises';
const MODULE_MODULE = 'node:module';
const JPEG_MODULE = '@jsquash/jpeg/decode.js';
const JPEG_WASM = '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
const PNG_MODULE = 'fast-png';

let jpegDecoder: Promise<JsquashJpeg['default']> | undefined;

/** Loads the JPEG decoder once; in Node its WebAssembly is read from the package's file. */
function loadJpegDecoder(): Promise<JsquashJpeg['default']> {
  jpegDecoder ??= (async () => {
    const jpeg = (await import(/* @vite-ignore */ JPEG_MODULE)) as JsquashJpeg;
    const fs = (await import(/* @vite-ignore */ FS_MODULE)) as NodeFs;
    const { createRequire } = (await import(/* @vite-ignore */ MODULE_MODULE)) as NodeModule;
    const wasmPath = createRequire(import.meta.url).resolve(JPEG_WASM);
    const wasm = await fs.readFile(wasmPath);
    await jpeg.init(await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>));
    return jpeg.default;
  })();
  jpegDecoder.catch(() => {
    jpegDecoder = undefined;
  });
  return jpegDecoder;
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

function isPng(bytes: Uint8Array): boolean {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return bytes.length >= 8 && signature.every((b, i) => bytes[i] === b);
}

/**
 * A decoded PNG as Pillow opens it and converts it with `convert('RGB')`: below 8 bits greyscale
 * levels are scaled to 0–255 (1 bit: 0/255), 16-bit colour and alpha images keep the high byte,
 * 16-bit greyscale (Pillow's mode `I`) is clipped at 255, palettes are looked up (indices past
 * the palette give Pillow's grey ramp), alpha and `tRNS` transparency are ignored.
 */
function pngToRgb(png: ReturnType<FastPng['decode']>): RgbImage {
  const { width, height, depth, channels, palette } = png;
  const raw = png.data;
  const data = new Uint8Array(width * height * 3);
  const put = (p: number, r: number, g: number, b: number): void => {
    data[p * 3] = r;
    data[p * 3 + 1] = g;
    data[p * 3 + 2] = b;
  };
  // A palette index past the palette's end gets Pillow's default entry, a grey level.
  const lookUp = (p: number, index: number): void => {
    const entry = palette?.[index];
    if (entry) put(p, entry[0] as number, entry[1] as number, entry[2] as number);
    else put(p, index, index, index);
  };
  if (depth === 8 || depth === 16) {
    for (let p = 0; p < width * height; p++) {
      const s = p * channels;
      if (palette !== undefined) {
        lookUp(p, raw[s] as number);
      } else if (channels >= 3) {
        // RGB or RGBA: 16-bit samples keep their high byte (Pillow's `RGB;16B` unpacking).
        const shift = depth === 16 ? 8 : 0;
        put(
          p,
          (raw[s] as number) >> shift,
          (raw[s + 1] as number) >> shift,
          (raw[s + 2] as number) >> shift,
        );
      } else {
        // Greyscale (+ alpha). 16-bit greyscale is Pillow's mode I, whose RGB conversion clips at
        // 255; 16-bit grey + alpha opens as RGBA from the high bytes.
        const v = raw[s] as number;
        const level = depth === 8 ? v : channels === 1 ? Math.min(v, 255) : v >> 8;
        put(p, level, level, level);
      }
    }
    return { data, height, width, channels: 3 };
  }
  // 1, 2 or 4 bits: one sample per pixel (greyscale or palette index), rows padded to a byte.
  const rowBytes = Math.ceil((width * depth) / 8);
  const max = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = raw[y * rowBytes + (bit >> 3)] as number;
      const value = (byte >> (8 - depth - (bit & 7))) & max;
      const p = y * width + x;
      if (palette !== undefined) {
        lookUp(p, value);
      } else {
        const level = (value * 255) / max; // 255 per level at 1 bit, 0x55 at 2, 0x11 at 4
        put(p, level, level, level);
      }
    }
  }
  return { data, height, width, channels: 3 };
}

/**
 * Decodes a JPEG or PNG to 8-bit RGB pixels as Pillow's `Image.open(f).convert('RGB')` gives
 * them, which is how timm loads images.
 *
 * - JPEG: MozJPEG's decoder (libjpeg-turbo's, with its defaults: the ISLOW IDCT and fancy
 *   chroma upsampling, as Pillow) compiled to WebAssembly (`@jsquash/jpeg`): identical to Pillow's
 *   pixels on the test images. Greyscale JPEGs are replicated to RGB; EXIF orientation is
 *   ignored, as Pillow and timm ignore it; CMYK JPEGs are not supported.
 * - PNG: `fast-png` (pure JS), converted as Pillow converts each PNG colour type to RGB: alpha is
 *   dropped without compositing, palettes looked up, 16-bit samples take their high byte
 *   (16-bit greyscale is clipped at 255, as Pillow's mode `I` is).
 *
 * In Node, `input` is a file path or the file's bytes. In a browser, a string is fetched as a URL
 * and the bytes are decoded by the browser (`createImageBitmap`, then a canvas): close to Pillow,
 * not bit-exact.
 *
 * @param input A file path (Node) or URL (browser), or the bytes of a JPEG or PNG file.
 * @returns `[height, width, 3]` RGB bytes.
 * @throws Error naming the file when it is not a JPEG or PNG or cannot be decoded.
 *
 * @example
 * ```ts
 * import { decodeImage, resizePillow } from '@se/core';
 *
 * const image = await decodeImage('photo.jpg');
 * console.log(image.height, image.width, image.data.length); // e.g. 480 640 921600
 * const half = resizePillow(image, image.height >> 1, image.width >> 1, 'bicubic');
 * ```
 */
export async function decodeImage(input: string | Uint8Array): Promise<RgbImage> {
  const name = typeof input === 'string' ? input : `${input.length} bytes`;
  if (!isNode()) return decodeInBrowser(input, name);
  let bytes: Uint8Array;
  if (typeof input === 'string') {
    const fs = (await import(/* @vite-ignore */ FS_MODULE)) as NodeFs;
    bytes = new Uint8Array(await fs.readFile(input));
  } else if (input instanceof Uint8Array) {
    bytes = input;
  } else {
    throw new TypeError('decodeImage: pass a file path or the bytes of a JPEG or PNG file');
  }
  if (isJpeg(bytes)) {
    const decode = await loadJpegDecoder();
    // The decoder takes an ArrayBuffer: copy the bytes out of a possibly shared buffer.
    const buffer = bytes.slice().buffer;
    let decoded: Awaited<ReturnType<JsquashJpeg['default']>> | null;
    try {
      decoded = await decode(buffer, { preserveOrientation: false });
    } catch (error) {
      throw new Error(`decodeImage: cannot decode the JPEG ${name}: ${String(error)}`, {
        cause: error,
      });
    }
    if (!decoded) throw new Error(`decodeImage: cannot decode the JPEG ${name}`);
    return rgbaToRgb(decoded.data, decoded.height, decoded.width);
  }
  if (isPng(bytes)) {
    const png = (await import(/* @vite-ignore */ PNG_MODULE)) as FastPng;
    let decoded: ReturnType<FastPng['decode']>;
    try {
      decoded = png.decode(bytes);
    } catch (error) {
      throw new Error(`decodeImage: cannot decode the PNG ${name}: ${String(error)}`, {
        cause: error,
      });
    }
    return pngToRgb(decoded);
  }
  throw new Error(`decodeImage: ${name} is not a JPEG or PNG image`);
}

/** A browser's decode: fetch a URL (or take the bytes), `createImageBitmap`, read a canvas. */
async function decodeInBrowser(input: string | Uint8Array, name: string): Promise<RgbImage> {
  const g = globalThis as {
    createImageBitmap?: typeof createImageBitmap;
    fetch?: typeof fetch;
  };
  if (g.createImageBitmap === undefined) {
    throw new Error(
      'decodeImage: decoding needs Node, or a browser or worker with createImageBitmap',
    );
  }
  let blob: Blob;
  if (typeof input === 'string') {
    if (g.fetch === undefined) throw new Error(`decodeImage: cannot fetch ${name} here`);
    const response = await g.fetch(input);
    if (!response.ok) throw new Error(`decodeImage: fetching ${name} gave HTTP ${response.status}`);
    blob = await response.blob();
  } else {
    blob = new Blob([input.slice()]);
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await g.createImageBitmap(blob, {
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
    });
  } catch (error) {
    throw new Error(`decodeImage: ${name} is not an image the browser can decode`, {
      cause: error,
    });
  }
  try {
    return await drawableToRgb(bitmap);
  } finally {
    bitmap.close();
  }
}
