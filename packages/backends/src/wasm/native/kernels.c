// SE Zoo's convolution kernels for the wasm backend: an implicit GEMM (forward and input
// gradient) and an outer-product accumulation (filter gradient), in WebAssembly SIMD.
//
// The module imports the memory of tfjs's wasm backend and works on its tensors in place. It has
// no globals, no data segments and no shadow stack (nothing is addressed in linear memory but
// what the caller passes), so it never writes outside the buffers it is given.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef float f32;
typedef v128_t v;

#ifdef __wasm_relaxed_simd__
// A fused multiply-add where the CPU has one (relaxed SIMD), else a multiply and an add.
#define FMA(acc, a, b) \
  acc = (v)__builtin_wasm_relaxed_madd_f32x4((__f32x4)(a), (__f32x4)(b), (__f32x4)(acc))
#else
#define FMA(acc, a, b) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))
#endif

// Stores the first `n` (1..4) lanes of `x` at `p`.
static inline void store_lanes(f32 *p, v x, int n) {
  if (n >= 4) {
    wasm_v128_store(p, x);
    return;
  }
  p[0] = wasm_f32x4_extract_lane(x, 0);
  if (n > 1) p[1] = wasm_f32x4_extract_lane(x, 1);
  if (n > 2) p[2] = wasm_f32x4_extract_lane(x, 2);
}

// Stores 8 columns (`n` of them valid, 1..8) of one output row.
static inline void store_row(f32 *p, v lo, v hi, int n) {
  if (n >= 8) {
    wasm_v128_store(p, lo);
    wasm_v128_store(p + 4, hi);
  } else if (n > 4) {
    wasm_v128_store(p, lo);
    store_lanes(p + 4, hi, n - 4);
  } else {
    store_lanes(p, lo, n);
  }
}

/**
 * Packs the columns of a `[k, n]` row-major matrix into panels of 8: panel `q` holds columns
 * `8q .. 8q+7` of every row, `[k][8]`, zero past column `n`. `transposeTaps`: the matrix is
 * instead `taps` blocks of `[n, k/taps]` (a filter `[kh, kw, cin, cout]` read as the input
 * gradient's `[kh·kw·cout, cin]` weights), transposed per block on the way.
 */
EXPORT(pack_panels)
void pack_panels(const f32 *w, f32 *out, int k, int n, int taps, int transposeTaps) {
  const int panels = (n + 7) >> 3;
  const int per_tap = k / taps;  // rows per tap block
  for (int q = 0; q < panels; q++) {
    f32 *dst = out + (long)q * k * 8;
    for (int r = 0; r < k; r++) {
      for (int c = 0; c < 8; c++) {
        const int col = q * 8 + c;
        f32 value = 0;
        if (col < n) {
          if (transposeTaps) {
            const int t = r / per_tap, rr = r % per_tap;
            value = w[((long)t * n + col) * per_tap + rr];
          } else {
            value = w[(long)r * n + col];
          }
        }
        dst[r * 8 + c] = value;
      }
    }
  }
}

// Pixels per tile of the implicit GEMM: 4 pixels × 8 channels keep their 8 accumulators, the
// two weight vectors and a broadcast input in the 16 SIMD registers (6 × 8 spilled under V8).
#define TILE 4

/**
 * The implicit GEMM `y[p, :] = Σ_taps Σ_c x(p, tap)[c] · W[tap·C + c, :]` for output pixels `p`
 * in `[m_begin, m_end)` (numbered in the order of `order_h`/`order_w` when given, else row-major)
 * and all `oc` output channels. `tab_h[oh·kh + i]` is the input row that output row `oh` reads at
 * tap row `i`, or −1 for padding (likewise `tab_w`); a tap whose input is padding for all of a
 * tile's pixels is skipped, which is what makes a strided input gradient in phase order cheap.
 * `wp` is the packed weights (`pack_panels`), `zero` `c_in` zeros, `dummy` 8 writable floats,
 * `scratch` room for `(TILE + 1)·kh·kw + 4·TILE` int32s.
 */
EXPORT(conv_gemm)
void conv_gemm(const f32 *x, const f32 *wp, f32 *y, const f32 *zero, f32 *dummy, int *scratch,
               int ih_count, int iw_count, int c_in, int oh_count, int ow_count, int oc, int kh,
               int kw, const int *tab_h, const int *tab_w, const int *order_h,
               const int *order_w, int m_begin, int m_end) {
  const int taps = kh * kw;
  const int k = taps * c_in;
  const f32 **ptrs = (const f32 **)scratch;  // [taps][TILE]
  int *live_taps = scratch + taps * TILE;      // [taps]
  int *ns = live_taps + taps, *ohs = ns + TILE, *ows = ohs + TILE, *valid = ows + TILE;
  // Position of pixel m_begin, then advanced pixel by pixel (no divisions per pixel).
  const int plane = oh_count * ow_count;
  int n = m_begin / plane, ohi = (m_begin % plane) / ow_count, owi = m_begin % ow_count;
  for (int q = m_begin; q < m_end; q += TILE) {
    for (int r = 0; r < TILE; r++) {
      valid[r] = q + r < m_end;
      ns[r] = n;
      ohs[r] = order_h ? order_h[ohi] : ohi;
      ows[r] = order_w ? order_w[owi] : owi;
      if (++owi == ow_count) {
        owi = 0;
        if (++ohi == oh_count) {
          ohi = 0;
          n++;
        }
      }
    }
    // The input row of each pixel at each tap (`zero` for padding), and whether any is live.
    for (int i = 0, t = 0; i < kh; i++) {
      for (int j = 0; j < kw; j++, t++) {
        int live = 0;
        for (int r = 0; r < TILE; r++) {
          const f32 *p = zero;
          if (valid[r]) {
            const int ih = tab_h[ohs[r] * kh + i], iw = tab_w[ows[r] * kw + j];
            if ((ih | iw) >= 0) {
              p = x + (((long)ns[r] * ih_count + ih) * iw_count + iw) * c_in;
              live = 1;
            }
          }
          ptrs[t * TILE + r] = p;
        }
        live_taps[t] = live;
      }
    }
    for (int col = 0; col < oc; col += 8) {
      const int cols = oc - col < 8 ? oc - col : 8;
      v acc[TILE][2];
      for (int r = 0; r < TILE; r++) acc[r][0] = acc[r][1] = wasm_f32x4_splat(0);
      const f32 *w = wp + (long)(col >> 3) * k * 8;
      for (int t = 0; t < taps; t++, w += c_in * 8) {
        if (!live_taps[t]) continue;
        const f32 *const *pt = ptrs + t * TILE;
        const f32 *p0 = pt[0], *p1 = pt[1], *p2 = pt[2], *p3 = pt[3];
        const f32 *ww = w;
        for (int c = 0; c < c_in; c++, ww += 8) {
          const v b0 = wasm_v128_load(ww), b1 = wasm_v128_load(ww + 4);
          v a = wasm_v128_load32_splat(p0 + c);
          FMA(acc[0][0], a, b0); FMA(acc[0][1], a, b1);
          a = wasm_v128_load32_splat(p1 + c);
          FMA(acc[1][0], a, b0); FMA(acc[1][1], a, b1);
          a = wasm_v128_load32_splat(p2 + c);
          FMA(acc[2][0], a, b0); FMA(acc[2][1], a, b1);
          a = wasm_v128_load32_splat(p3 + c);
          FMA(acc[3][0], a, b0); FMA(acc[3][1], a, b1);
        }
      }
      for (int r = 0; r < TILE; r++) {
        f32 *out = valid[r] ? y + (((long)ns[r] * oh_count + ohs[r]) * ow_count + ows[r]) * oc + col
                            : dummy;
        store_row(out, acc[r][0], acc[r][1], cols);
      }
    }
  }
}

// Loads columns `col .. col+7` of a row of `n` floats, zero past the row's end (no reads past it).
static inline void load_cols(const f32 *p, int cols, v *lo, v *hi) {
  if (cols >= 8) {
    *lo = wasm_v128_load(p);
    *hi = wasm_v128_load(p + 4);
    return;
  }
  f32 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, t6 = 0;
  t0 = p[0];
  if (cols > 1) t1 = p[1];
  if (cols > 2) t2 = p[2];
  if (cols > 3) t3 = p[3];
  if (cols > 4) t4 = p[4];
  if (cols > 5) t5 = p[5];
  if (cols > 6) t6 = p[6];
  *lo = wasm_f32x4_make(t0, t1, t2, t3);
  *hi = wasm_f32x4_make(t4, t5, t6, 0);
}

// The output columns [lo, hi] whose input column `o·s − p + j·d` lies in [0, size).
static inline int first_valid(int s, int off, int size, int count, int *last) {
  // off = j·d − p: input = o·s + off.
  int lo = off >= 0 ? 0 : (-off + s - 1) / s;
  int hi = (size - 1 - off) < 0 ? -1 : (size - 1 - off) / s;
  if (hi > count - 1) hi = count - 1;
  *last = hi;
  return lo;
}

// Adds to rows `c .. c+R-1`, columns `col .. col+7` (`cols` of them valid) of the tap's filter
// gradient `d` the products of output rows [r0, r1): R input channels times 8 gradient columns
// per pixel. R is a constant at each call, so the accumulators stay in registers.
static inline __attribute__((always_inline)) void dw_block(
    const int R, f32 *d, int oc, int cols, const f32 *x, const f32 *dy, int c, int col, int r0,
    int r1, int oh_count, int ow_count, int ih_count, int iw_count, int c_in, int sh, int ph,
    int i, int dh, int xoff, int xstep, int lo, int hi) {
  v acc[6][2];
  for (int r = 0; r < R; r++) load_cols(d + r * oc, cols, &acc[r][0], &acc[r][1]);
  for (int row = r0; row < r1; row++) {
    const int n = row / oh_count, oh = row - n * oh_count;
    const int ih = oh * sh - ph + i * dh;
    if (ih < 0 || ih >= ih_count) continue;
    const f32 *xp = x + (((long)n * ih_count + ih) * iw_count + xoff) * c_in + c;
    const f32 *gp = dy + ((long)row * ow_count + lo) * oc + col;
    if (cols == 8) {
      for (int o = lo; o <= hi; o++, xp += xstep, gp += oc) {
        const v b0 = wasm_v128_load(gp), b1 = wasm_v128_load(gp + 4);
        for (int r = 0; r < R; r++) {
          const v a = wasm_v128_load32_splat(xp + r);
          FMA(acc[r][0], a, b0);
          FMA(acc[r][1], a, b1);
        }
      }
    } else {
      for (int o = lo; o <= hi; o++, xp += xstep, gp += oc) {
        v b0, b1;
        load_cols(gp, cols, &b0, &b1);
        for (int r = 0; r < R; r++) {
          const v a = wasm_v128_load32_splat(xp + r);
          FMA(acc[r][0], a, b0);
          FMA(acc[r][1], a, b1);
        }
      }
    }
  }
  for (int r = 0; r < R; r++) store_row(d + r * oc, acc[r][0], acc[r][1], cols);
}

/**
 * Adds to `dw` (`[kh, kw, c_in, oc]`) the filter gradient of output rows `[row_begin, row_end)`
 * (row = n·oh_count + oh): `dw[i, j, c, o] += Σ x[n, oh·sh − ph + i·dh, ow·sw − pw + j·dw, c] ·
 * dy[n, oh, ow, o]`, for the units `[unit_begin, unit_end)` of the filter only, unit `(i·kw + j)·
 * ⌈oc/8⌉ + o/8` being tap `(i, j)` and output channels `o .. o+7`: threads split the work by
 * units (each writes its own part of `dw`) or by rows (each adds into its own `dw`).
 */
EXPORT(conv_filter_grad)
void conv_filter_grad(const f32 *x, const f32 *dy, f32 *dw, int ih_count, int iw_count, int c_in,
                      int oh_count, int ow_count, int oc, int kh, int kw, int sh, int sw, int ph,
                      int pw, int dh, int dwl, int row_begin, int row_end, int unit_begin,
                      int unit_end) {
  const int col_blocks = (oc + 7) >> 3;
  // Rows per chunk: a chunk of x and dy stays in the L1 cache across the tiles.
#ifndef DW_CHUNK_FLOATS
#define DW_CHUNK_FLOATS 32768
#endif
  int chunk = DW_CHUNK_FLOATS / ((c_in + oc) * ow_count);
  if (chunk < 1) chunk = 1;
  for (int r0 = row_begin; r0 < row_end; r0 += chunk) {
    const int r1 = r0 + chunk < row_end ? r0 + chunk : row_end;
    for (int i = 0; i < kh; i++) {
      for (int j = 0; j < kw; j++) {
        int hi;
        const int lo = first_valid(sw, j * dwl - pw, iw_count, ow_count, &hi);
        if (lo > hi) continue;
        const int xoff = lo * sw - pw + j * dwl;  // input column of output column lo
        const int xstep = sw * c_in;
        f32 *dtap = dw + (long)(i * kw + j) * c_in * oc;
        for (int col = 0; col < oc; col += 8) {
          const int unit = (i * kw + j) * col_blocks + (col >> 3);
          if (unit < unit_begin || unit >= unit_end) continue;
          const int cols = oc - col < 8 ? oc - col : 8;
// Full panels get their own copy of the block (cols a constant: no test in the inner loop).
#define BLOCK(R)                                                                                \
  do {                                                                                          \
    if (cols == 8)                                                                              \
    dw_block(R, dtap + (long)c * oc + col, oc, 8, x, dy, c, col, r0, r1, oh_count, ow_count,    \
             ih_count, iw_count, c_in, sh, ph, i, dh, xoff, xstep, lo, hi);                     \
    else                                                                                        \
      dw_block(R, dtap + (long)c * oc + col, oc, cols, x, dy, c, col, r0, r1, oh_count,         \
               ow_count, ih_count, iw_count, c_in, sh, ph, i, dh, xoff, xstep, lo, hi);         \
  } while (0)
          int c = 0;
          for (; c + 4 <= c_in; c += 4) BLOCK(4);
          if (c + 2 <= c_in) {
            BLOCK(2);
            c += 2;
          }
          if (c < c_in) BLOCK(1);
#undef BLOCK
        }
      }
    }
  }
}

/**
 * SGD with momentum on elements `[begin, end)` of one weight, PyTorch's update: `v' = m·v + g +
 * wd·w`, `w' = w − lr·v'`, each operation rounded to float32 as tfjs's composite form is (no
 * fused multiply-add), so both give the same bits. `params` is `[lr, m, wd]`.
 */
EXPORT(sgd_momentum)
void sgd_momentum(const f32 *w, const f32 *vel, const f32 *g, f32 *w_out, f32 *v_out,
                  const f32 *params, int begin, int end) {
  const f32 lr = params[0], m = params[1], wd = params[2];
  const v lr4 = wasm_f32x4_splat(lr), m4 = wasm_f32x4_splat(m), wd4 = wasm_f32x4_splat(wd);
  int i = begin;
  if (wd != 0) {
    for (; i + 4 <= end; i += 4) {
      const v wi = wasm_v128_load(w + i);
      const v gi = wasm_f32x4_add(wasm_v128_load(g + i), wasm_f32x4_mul(wi, wd4));
      const v vi = wasm_f32x4_add(wasm_f32x4_mul(m4, wasm_v128_load(vel + i)), gi);
      wasm_v128_store(v_out + i, vi);
      wasm_v128_store(w_out + i, wasm_f32x4_sub(wi, wasm_f32x4_mul(vi, lr4)));
    }
  } else {
    for (; i + 4 <= end; i += 4) {
      const v wi = wasm_v128_load(w + i);
      const v vi = wasm_f32x4_add(wasm_f32x4_mul(m4, wasm_v128_load(vel + i)), wasm_v128_load(g + i));
      wasm_v128_store(v_out + i, vi);
      wasm_v128_store(w_out + i, wasm_f32x4_sub(wi, wasm_f32x4_mul(vi, lr4)));
    }
  }
  for (; i < end; i++) {
    const f32 gi = wd != 0 ? g[i] + w[i] * wd : g[i];
    const f32 vi = m * vel[i] + gi;
    v_out[i] = vi;
    w_out[i] = w[i] - vi * lr;
  }
}

/**
 * `y = x op a` for an NHWC map `x` and a per-channel operand `a`: `[C]`, or `[N, C]` when
 * `per_sample` (one row per `plane` pixels). `op`: 0 `x·a`, 1 `x + a`, 2 `x − a`, 3 `a − x`.
 * Pixels `[begin, end)`; `c` must be a multiple of 4.
 */
EXPORT(channel_binary)
void channel_binary(const f32 *x, const f32 *a, f32 *y, int op, int c, int plane, int per_sample,
                    int begin, int end) {
  for (int p = begin; p < end;) {
    // The pixels up to the end of this sample share the operand row.
    const int sample = p / plane;
    const int stop = (sample + 1) * plane < end ? (sample + 1) * plane : end;
    const f32 *row = per_sample ? a + (long)sample * c : a;
    const f32 *xp = x + (long)p * c;
    f32 *yp = y + (long)p * c;
    const long n = (long)(stop - p) * c;
    for (int k = 0; k < c; k += 4) {
      const v ak = wasm_v128_load(row + k);
      switch (op) {
        case 0:
          for (long i = k; i < n; i += c) wasm_v128_store(yp + i, wasm_f32x4_mul(wasm_v128_load(xp + i), ak));
          break;
        case 1:
          for (long i = k; i < n; i += c) wasm_v128_store(yp + i, wasm_f32x4_add(wasm_v128_load(xp + i), ak));
          break;
        case 2:
          for (long i = k; i < n; i += c) wasm_v128_store(yp + i, wasm_f32x4_sub(wasm_v128_load(xp + i), ak));
          break;
        default:
          for (long i = k; i < n; i += c) wasm_v128_store(yp + i, wasm_f32x4_sub(ak, wasm_v128_load(xp + i)));
      }
    }
    p = stop;
  }
}

/**
 * Sums of `x`, read as `[outer, reduced, inner]`, over its middle axis, in doubles: for outer
 * slices `[outer_begin, outer_end)` and rows `[row_begin, row_end)` of each, adds to
 * `acc[o·inner + j]`. `inner` must be a multiple of 4.
 */
EXPORT(sum_rows)
void sum_rows(const f32 *x, double *acc, int reduced, int inner, int outer_begin, int outer_end,
              int row_begin, int row_end) {
  for (int o = outer_begin; o < outer_end; o++) {
    const f32 *slice = x + (long)o * reduced * inner;
    double *out = acc + (long)o * inner;
    int j = 0;
    // 16 channels (a cache line) per pass over the rows, then 4 at a time.
    for (; j + 16 <= inner; j += 16) {
      v s[8];
      for (int k = 0; k < 8; k++) s[k] = wasm_f64x2_make(0, 0);
      const f32 *p = slice + (long)row_begin * inner + j;
      for (int r = row_begin; r < row_end; r++, p += inner) {
        for (int k = 0; k < 4; k++) {
          const v x0 = wasm_v128_load(p + 4 * k);
          s[2 * k] = wasm_f64x2_add(s[2 * k], wasm_f64x2_promote_low_f32x4(x0));
          s[2 * k + 1] = wasm_f64x2_add(
              s[2 * k + 1], wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(x0, x0, 2, 3, 0, 1)));
        }
      }
      for (int k = 0; k < 8; k++)
        wasm_v128_store(out + j + 2 * k, wasm_f64x2_add(wasm_v128_load(out + j + 2 * k), s[k]));
    }
    for (; j < inner; j += 4) {
      v lo = wasm_f64x2_make(0, 0), hi = lo;
      const f32 *p = slice + (long)row_begin * inner + j;
      for (int r = row_begin; r < row_end; r++, p += inner) {
        const v x0 = wasm_v128_load(p);
        lo = wasm_f64x2_add(lo, wasm_f64x2_promote_low_f32x4(x0));
        hi = wasm_f64x2_add(hi, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(x0, x0, 2, 3, 0, 1)));
      }
      wasm_v128_store(out + j, wasm_f64x2_add(wasm_v128_load(out + j), lo));
      wasm_v128_store(out + j + 2, wasm_f64x2_add(wasm_v128_load(out + j + 2), hi));
    }
  }
}
