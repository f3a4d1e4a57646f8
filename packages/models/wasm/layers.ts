// Layer kernels over float32 arrays in the tfjs wasm backend's own memory (imported): strided copies (slice,
// strided slice, transpose, reverse), BatchNorm's training forward and backward, and max-pool's gradient.
// tfjs-wasm runs these as per-element index arithmetic (≈ 20–80 ns an element) or as several tensor ops;
// here each is one or two passes over memory, 4 lanes at a time where the layout allows.
// Built by `npm run build:wasm` (AssemblyScript) into src/wasm/layers-wasm-binary.ts.

/**
 * c + a·b, 4 lanes. Built with relaxed SIMD (`--enable relaxed-simd`, the *_RELAXED binaries) it is one fused
 * multiply-add where the CPU has one (a single rounding); otherwise a multiply then an add (XNNPACK's rounding).
 */
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * dst[a,b,c,d] = src[a·s0 + b·s1 + c·s2 + d·s3] for the output shape [n0,n1,n2,n3] (row-major), the strides
 * counted in 4-byte elements and possibly negative (a reversed axis); `src` is the address of element 0.
 */
export function gather4(src: usize, dst: usize, n0: i32, n1: i32, n2: i32, n3: i32, s0: i32, s1: i32, s2: i32, s3: i32): void {
  const rowBytes = <usize>n3 << 2;
  let out = dst;
  for (let a = 0; a < n0; a++) {
    for (let b = 0; b < n1; b++) {
      for (let c = 0; c < n2; c++) {
        const base = <isize>src + (<isize>(a * s0 + b * s1 + c * s2) << 2);
        if (s3 == 1) {
          memory.copy(out, <usize>base, rowBytes);
        } else {
          for (let d = 0; d < n3; d++) store<f32>(out + (<usize>d << 2), load<f32>(<usize>(base + (<isize>(d * s3) << 2))));
        }
        out += rowBytes;
      }
    }
  }
}

/**
 * gather4 where the output's innermost axis is strided in the input but axis k (0–2) is contiguous there
 * (a transpose): 4×4 tiles are loaded along axis k, transposed in registers and stored along the output's
 * innermost axis, so both sides move 16 bytes at a time. n_k and n3 must be multiples of 4, s_k must be 1.
 */
export function gather4Tiled(src: usize, dst: usize, n0: i32, n1: i32, n2: i32, n3: i32, s0: i32, s1: i32, s2: i32, s3: i32, k: i32): void {
  const o2 = n3, o1 = n2 * n3, o0 = n1 * o1;
  const ok = <usize>(k == 0 ? o0 : k == 1 ? o1 : o2) << 2;
  const step0 = k == 0 ? 4 : 1, step1 = k == 1 ? 4 : 1, step2 = k == 2 ? 4 : 1;
  const rowStep = <isize>s3 << 2;
  for (let a = 0; a < n0; a += step0) {
    for (let b = 0; b < n1; b += step1) {
      for (let c = 0; c < n2; c += step2) {
        let from = <isize>src + (<isize>(a * s0 + b * s1 + c * s2) << 2);
        let to = dst + (<usize>(a * o0 + b * o1 + c * o2) << 2);
        for (let d = 0; d < n3; d += 4) {
          const r0 = v128.load(<usize>from), r1 = v128.load(<usize>(from + rowStep));
          const r2 = v128.load(<usize>(from + 2 * rowStep)), r3 = v128.load(<usize>(from + 3 * rowStep));
          const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
          const t2 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
          v128.store(to, v128.shuffle<i32>(t0, t2, 0, 1, 4, 5));
          v128.store(to + ok, v128.shuffle<i32>(t0, t2, 2, 3, 6, 7));
          v128.store(to + 2 * ok, v128.shuffle<i32>(t1, t3, 0, 1, 4, 5));
          v128.store(to + 3 * ok, v128.shuffle<i32>(t1, t3, 2, 3, 6, 7));
          from += 4 * rowStep;
          to += 16;
        }
      }
    }
  }
}

/**
 * Direct convolution, NHWC input x [n,h,w,ci], filter f → y [n,oh,ow,co], reading only the taps that fall on
 * real input (padding is skipped, not multiplied). The filter comes in panels of 8 output channels,
 * [co/8, kh, kw, ci, 8] (the HWIO filter's columns c0…c0+7 made contiguous: one strided copy).
 * The input may be dilated: its virtual row v is real row v/dilationH when v is a multiple of dilationH, columns
 * alike (the transposed convolution of a strided one, through the flipped filter). With `bias` (an address,
 * 0 for none) the accumulators start from it, as XNNPACK's do; with `addend` (an address, 0 for none) each result
 * then has the addend's value at its position added — the addend shaped as y (`addendPerImage`: a residual) or as
 * one image of it (a position-dependent bias) — before `relu` clamps it at 0: the bits of the separate add and ReLU.
 * Tiles of 4 images × 8 output channels, 8 accumulators; co must be a multiple of 8. `taps` is scratch for
 * 3·kh·kw int32.
 */
export function convDirect(
  x: usize, f: usize, y: usize, n: i32, h: i32, w: i32, ci: i32, oh: i32, ow: i32, co: i32,
  kh: i32, kw: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32, dilationH: i32, dilationW: i32, taps: usize,
  bias: usize, relu: i32, addend: usize, addendPerImage: i32,
): void {
  const imageBytes = <usize>(h * w * ci) << 2;
  const outImageBytes = <usize>(oh * ow * co) << 2;
  const addendImageBytes = addendPerImage ? outImageBytes : 0;
  const panelBytes = <usize>(kh * kw * ci) << 5;
  // Output channels outermost: one panel (kh·kw·ci rows of 32 bytes) stays in cache while every position
  // and image uses it.
  for (let c0 = 0; c0 < co; c0 += 8) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        // The live taps of this output position: filter offset, input offset and length (bytes).
        let live = 0;
        for (let ty = 0; ty < kh; ty++) {
          const vy = oy * strideH + ty - padTop;
          if (vy < 0 || vy % dilationH != 0 || vy / dilationH >= h) continue;
          if (dilationW == 1) {
            // The row's live taps read consecutive input columns, and both the input row and the panel are
            // contiguous over (column, channel): one run of (live taps)·ci values.
            const txa = max(0, padLeft - ox * strideW), txb = min(kw - 1, w - 1 + padLeft - ox * strideW);
            if (txa > txb) continue;
            const entry = taps + <usize>live * 12;
            store<i32>(entry, (ty * kw + txa) * ci * 32);
            store<i32>(entry + 4, ((vy / dilationH) * w + ox * strideW + txa - padLeft) * ci * 4);
            store<i32>(entry + 8, (txb - txa + 1) * ci * 4);
            live++;
            continue;
          }
          for (let tx = 0; tx < kw; tx++) {
            const vx = ox * strideW + tx - padLeft;
            if (vx < 0 || vx % dilationW != 0 || vx / dilationW >= w) continue;
            const entry = taps + <usize>live * 12;
            store<i32>(entry, (ty * kw + tx) * ci * 32);
            store<i32>(entry + 4, ((vy / dilationH) * w + vx / dilationW) * ci * 4);
            store<i32>(entry + 8, ci * 4);
            live++;
          }
        }
        const outPixel = y + (<usize>((oy * ow + ox) * co + c0) << 2);
        const panel = f + <usize>(c0 >> 3) * panelBytes;
        const bias0 = bias ? v128.load(bias + (<usize>c0 << 2)) : f32x4.splat(0);
        const bias1 = bias ? v128.load(bias + (<usize>c0 << 2) + 16) : f32x4.splat(0);
        for (let b0 = 0; b0 < n; b0 += 4) {
          const i1 = <usize>min(b0 + 1, n - 1), i2 = <usize>min(b0 + 2, n - 1), i3 = <usize>min(b0 + 3, n - 1);
          const image0 = x + <usize>b0 * imageBytes;
          const image1 = x + i1 * imageBytes, image2 = x + i2 * imageBytes, image3 = x + i3 * imageBytes;
          let a00 = bias0, a01 = bias1, a10 = bias0, a11 = bias1, a20 = bias0, a21 = bias1, a30 = bias0, a31 = bias1;
          for (let t = 0; t < live; t++) {
            const entry = taps + <usize>t * 12;
            let wp = panel + <usize>load<i32>(entry);
            const at = <usize>load<i32>(entry + 4);
            let p0 = image0 + at, p1 = image1 + at, p2 = image2 + at, p3 = image3 + at;
            const end = p0 + <usize>load<i32>(entry + 8);
            while (p0 < end) {
              const w0 = v128.load(wp), w1 = v128.load(wp + 16);
              const x0 = v128.load32_splat(p0), x1 = v128.load32_splat(p1), x2 = v128.load32_splat(p2), x3 = v128.load32_splat(p3);
              a00 = madd(x0, w0, a00); a01 = madd(x0, w1, a01);
              a10 = madd(x1, w0, a10); a11 = madd(x1, w1, a11);
              a20 = madd(x2, w0, a20); a21 = madd(x2, w1, a21);
              a30 = madd(x3, w0, a30); a31 = madd(x3, w1, a31);
              wp += 32;
              p0 += 4; p1 += 4; p2 += 4; p3 += 4;
            }
          }
          if (addend) {
            const at = addend + (<usize>((oy * ow + ox) * co + c0) << 2);
            const s0 = at + <usize>b0 * addendImageBytes, s1 = at + i1 * addendImageBytes;
            const s2 = at + i2 * addendImageBytes, s3 = at + i3 * addendImageBytes;
            a00 = f32x4.add(a00, v128.load(s0)); a01 = f32x4.add(a01, v128.load(s0, 16));
            a10 = f32x4.add(a10, v128.load(s1)); a11 = f32x4.add(a11, v128.load(s1, 16));
            a20 = f32x4.add(a20, v128.load(s2)); a21 = f32x4.add(a21, v128.load(s2, 16));
            a30 = f32x4.add(a30, v128.load(s3)); a31 = f32x4.add(a31, v128.load(s3, 16));
          }
          if (relu) {
            const zero = f32x4.splat(0);
            a00 = f32x4.max(a00, zero); a01 = f32x4.max(a01, zero); a10 = f32x4.max(a10, zero); a11 = f32x4.max(a11, zero);
            a20 = f32x4.max(a20, zero); a21 = f32x4.max(a21, zero); a30 = f32x4.max(a30, zero); a31 = f32x4.max(a31, zero);
          }
          const o = outPixel + <usize>b0 * outImageBytes;
          v128.store(o, a00); v128.store(o + 16, a01);
          if (b0 + 1 < n) { v128.store(o + outImageBytes, a10); v128.store(o + outImageBytes + 16, a11); }
          if (b0 + 2 < n) { v128.store(o + 2 * outImageBytes, a20); v128.store(o + 2 * outImageBytes + 16, a21); }
          if (b0 + 3 < n) { v128.store(o + 3 * outImageBytes, a30); v128.store(o + 3 * outImageBytes + 16, a31); }
        }
      }
    }
  }
}

// Output pixels per block of the filter gradient: their input rows and gradient rows stay in cache while
// every tap and channel tile reads them.
const GRAD_BLOCK = 128;

/** Zeroes columns oa…ob−1 of `rows` rows of `co` floats at p. */
function zeroColumns(p: usize, rows: i32, co: i32, oa: i32, ob: i32): void {
  if (oa == 0 && ob == co) {
    memory.fill(p, 0, <usize>(rows * co) << 2);
    return;
  }
  for (let r = 0; r < rows; r++) memory.fill(p + (<usize>(r * co + oa) << 2), 0, <usize>(ob - oa) << 2);
}

/**
 * The filter gradient dW[ty,tx,ci,co] = Σ over output pixels (b,oy,ox) of x[b, oy·sh+ty−pt, ox·sw+tx−pl, ci] ·
 * dy[b,oy,ox,co], NHWC, over the taps that fall on real input only: output channels oa…ob−1 of dw
 * [kh,kw,ci,co] are overwritten (each one summed in the same order whatever the range: threads split by it).
 * Tiles of 4 input × 8 output channels (single input channels for the rest); co, oa and ob must be multiples
 * of 8. `pairs` is scratch for 2·128 int32.
 */
export function convFilterGrad(
  x: usize, dy: usize, dw: usize, n: i32, h: i32, w: i32, ci: i32, oh: i32, ow: i32, co: i32,
  kh: i32, kw: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32, pairs: usize, oa: i32, ob: i32,
): void {
  zeroColumns(dw, kh * kw * ci, co, oa, ob);
  const pixels = n * oh * ow;
  const rowBytes = <usize>co << 2;
  const ci4 = ci & ~3;
  for (let p0 = 0; p0 < pixels; p0 += GRAD_BLOCK) {
    const p1 = min(p0 + GRAD_BLOCK, pixels);
    for (let ty = 0; ty < kh; ty++) {
      for (let tx = 0; tx < kw; tx++) {
        // The block's pixels whose input under this tap is real: (input row offset, gradient row offset) in bytes.
        let count = 0;
        for (let p = p0; p < p1; p++) {
          const ox = p % ow, oy = (p / ow) % oh, b = p / (ow * oh);
          const iy = oy * strideH + ty - padTop, ix = ox * strideW + tx - padLeft;
          if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
          store<i32>(pairs + (<usize>count << 3), ((b * h + iy) * w + ix) * ci * 4);
          store<i32>(pairs + (<usize>count << 3) + 4, p * co * 4);
          count++;
        }
        if (count == 0) continue;
        const tapOut = dw + (<usize>((ty * kw + tx) * ci * co) << 2);
        for (let c0 = 0; c0 < ci4; c0 += 4) {
          for (let o0 = oa; o0 < ob; o0 += 8) {
            const out = tapOut + (<usize>(c0 * co + o0) << 2);
            let a00 = v128.load(out), a01 = v128.load(out + 16);
            let a10 = v128.load(out + rowBytes), a11 = v128.load(out + rowBytes + 16);
            let a20 = v128.load(out + 2 * rowBytes), a21 = v128.load(out + 2 * rowBytes + 16);
            let a30 = v128.load(out + 3 * rowBytes), a31 = v128.load(out + 3 * rowBytes + 16);
            const xBase = x + (<usize>c0 << 2), dyBase = dy + (<usize>o0 << 2);
            for (let k = 0; k < count; k++) {
              const xp = xBase + <usize>load<i32>(pairs + (<usize>k << 3));
              const gp = dyBase + <usize>load<i32>(pairs + (<usize>k << 3) + 4);
              const g0 = v128.load(gp), g1 = v128.load(gp + 16);
              const x0 = v128.load32_splat(xp), x1 = v128.load32_splat(xp + 4), x2 = v128.load32_splat(xp + 8), x3 = v128.load32_splat(xp + 12);
              a00 = madd(x0, g0, a00); a01 = madd(x0, g1, a01);
              a10 = madd(x1, g0, a10); a11 = madd(x1, g1, a11);
              a20 = madd(x2, g0, a20); a21 = madd(x2, g1, a21);
              a30 = madd(x3, g0, a30); a31 = madd(x3, g1, a31);
            }
            v128.store(out, a00); v128.store(out + 16, a01);
            v128.store(out + rowBytes, a10); v128.store(out + rowBytes + 16, a11);
            v128.store(out + 2 * rowBytes, a20); v128.store(out + 2 * rowBytes + 16, a21);
            v128.store(out + 3 * rowBytes, a30); v128.store(out + 3 * rowBytes + 16, a31);
          }
        }
        for (let c = ci4; c < ci; c++) {
          for (let o0 = oa; o0 < ob; o0 += 8) {
            const out = tapOut + (<usize>(c * co + o0) << 2);
            let a0 = v128.load(out), a1 = v128.load(out + 16);
            const xBase = x + (<usize>c << 2), dyBase = dy + (<usize>o0 << 2);
            for (let k = 0; k < count; k++) {
              const xv = v128.load32_splat(xBase + <usize>load<i32>(pairs + (<usize>k << 3)));
              const gp = dyBase + <usize>load<i32>(pairs + (<usize>k << 3) + 4);
              a0 = madd(xv, v128.load(gp), a0);
              a1 = madd(xv, v128.load(gp + 16), a1);
            }
            v128.store(out, a0); v128.store(out + 16, a1);
          }
        }
      }
    }
  }
}

// Output pixels per block of convFilterGradRows (whole output rows).
const ROW_GRAD_BLOCK = 128;

/** The output columns ox whose input column ox·s + t − pad is real for every tap t in [ta, tb]: [first, last] packed as first | last << 16 (first > last: none). */
function columnsFor(ta: i32, tb: i32, ow: i32, w: i32, stride: i32, pad: i32): i32 {
  // ox·s + ta − pad ≥ 0 and ox·s + tb − pad ≤ w − 1.
  const need = pad - ta;
  const first = need <= 0 ? 0 : (need + stride - 1) / stride;
  const lastLimit = w - 1 + pad - tb;
  const last = lastLimit < 0 ? -1 : min(ow - 1, lastLimit / stride);
  return first > last ? 0x7fff : first | (last << 16);
}

/** Where a filter-gradient tile reads: the input and gradient tensors and the convolution's geometry. */
@unmanaged
class GradGeometry {
  x: usize = 0;
  dy: usize = 0;
  h: i32 = 0;
  w: i32 = 0;
  ci: i32 = 0;
  oh: i32 = 0;
  ow: i32 = 0;
  co: i32 = 0;
  strideH: i32 = 0;
  strideW: i32 = 0;
  padTop: i32 = 0;
  padLeft: i32 = 0;
}

/** Address of x at output row r (b·oh + oy) under filter row ty, output column ox and position m = tx·ci + c; 0 when the input row is padding. */
@inline
function inputAt(g: GradGeometry, r: i32, ty: i32, ox: i32, m: i32): usize {
  const b = r / g.oh, oy = r % g.oh;
  const iy = oy * g.strideH + ty - g.padTop;
  if (iy < 0 || iy >= g.h) return 0;
  return g.x + (<usize>(((b * g.h + iy) * g.w + ox * g.strideW - g.padLeft) * g.ci + m) << 2);
}

/**
 * Adds to 4 consecutive rows (positions m0…m0+3) × 8 columns (o0…o0+7) of dW at `out` the sums over output
 * rows r0…r1−1 and columns ca…cb of x[m0 + 0…3] · dy[o0 + 0…7], in registers throughout.
 */
function gradTile(g: GradGeometry, out: usize, r0: i32, r1: i32, ty: i32, m0: i32, o0: i32, ca: i32, cb: i32): void {
  const rowBytes = <usize>g.co << 2;
  const xStep = <usize>(g.strideW * g.ci) << 2;
  let a00 = v128.load(out), a01 = v128.load(out + 16);
  let a10 = v128.load(out + rowBytes), a11 = v128.load(out + rowBytes + 16);
  let a20 = v128.load(out + 2 * rowBytes), a21 = v128.load(out + 2 * rowBytes + 16);
  let a30 = v128.load(out + 3 * rowBytes), a31 = v128.load(out + 3 * rowBytes + 16);
  for (let r = r0; r < r1; r++) {
    let xp = inputAt(g, r, ty, ca, m0);
    if (xp == 0) continue;
    let gp = g.dy + (<usize>((r * g.ow + ca) * g.co + o0) << 2);
    for (let k = ca; k <= cb; k++) {
      const g0 = v128.load(gp), g1 = v128.load(gp + 16);
      const x0 = v128.load32_splat(xp), x1 = v128.load32_splat(xp + 4), x2 = v128.load32_splat(xp + 8), x3 = v128.load32_splat(xp + 12);
      a00 = madd(x0, g0, a00); a01 = madd(x0, g1, a01);
      a10 = madd(x1, g0, a10); a11 = madd(x1, g1, a11);
      a20 = madd(x2, g0, a20); a21 = madd(x2, g1, a21);
      a30 = madd(x3, g0, a30); a31 = madd(x3, g1, a31);
      xp += xStep;
      gp += rowBytes;
    }
  }
  v128.store(out, a00); v128.store(out + 16, a01);
  v128.store(out + rowBytes, a10); v128.store(out + rowBytes + 16, a11);
  v128.store(out + 2 * rowBytes, a20); v128.store(out + 2 * rowBytes + 16, a21);
  v128.store(out + 3 * rowBytes, a30); v128.store(out + 3 * rowBytes + 16, a31);
}

/** gradTile for the single position m (one row of dW). */
function gradRow(g: GradGeometry, out: usize, r0: i32, r1: i32, ty: i32, m: i32, o0: i32, ca: i32, cb: i32): void {
  const rowBytes = <usize>g.co << 2;
  const xStep = <usize>(g.strideW * g.ci) << 2;
  let a0 = v128.load(out), a1 = v128.load(out + 16);
  for (let r = r0; r < r1; r++) {
    let xp = inputAt(g, r, ty, ca, m);
    if (xp == 0) continue;
    let gp = g.dy + (<usize>((r * g.ow + ca) * g.co + o0) << 2);
    for (let k = ca; k <= cb; k++) {
      const xv = v128.load32_splat(xp);
      a0 = madd(xv, v128.load(gp), a0);
      a1 = madd(xv, v128.load(gp + 16), a1);
      xp += xStep;
      gp += rowBytes;
    }
  }
  v128.store(out, a0); v128.store(out + 16, a1);
}

/**
 * convFilterGrad for input channels that are not a multiple of 4 (a 1- or 3-channel stem). A filter row's taps and channels, m = tx·ci + c, are contiguous both in dW and in an input row, so tiles
 * of 4 consecutive m (4 channels, or 4 taps of a 1-channel stem) × 8 output channels run along output rows
 * with both pointers stepping by a constant. Output columns where only some of a tile's taps are live take
 * the one-position path. Output channels oa…ob−1 only, as convFilterGrad; co, oa and ob must be multiples of 8.
 * `geometry` is scratch for 12 int32. (For ci a multiple of 4 convFilterGrad, which lists each tap's live
 * pixels once per block, runs faster.)
 */
export function convFilterGradRows(
  x: usize, dy: usize, dw: usize, n: i32, h: i32, w: i32, ci: i32, oh: i32, ow: i32, co: i32,
  kh: i32, kw: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32, geometry: usize, oa: i32, ob: i32,
): void {
  zeroColumns(dw, kh * kw * ci, co, oa, ob);
  const g = changetype<GradGeometry>(geometry);
  g.x = x; g.dy = dy; g.h = h; g.w = w; g.ci = ci; g.oh = oh; g.ow = ow; g.co = co;
  g.strideH = strideH; g.strideW = strideW; g.padTop = padTop; g.padLeft = padLeft;
  const rowBytes = <usize>co << 2;
  const mCount = kw * ci;
  const m4 = mCount & ~3;
  const rowsPerBlock = max(1, ROW_GRAD_BLOCK / ow);
  const outRows = n * oh;
  for (let r0 = 0; r0 < outRows; r0 += rowsPerBlock) {
    const r1 = min(r0 + rowsPerBlock, outRows);
    for (let ty = 0; ty < kh; ty++) {
      const filterRow = dw + (<usize>(ty * mCount) * rowBytes);
      for (let m0 = 0; m0 < mCount; m0 += 4) {
        const width = m0 < m4 ? 4 : mCount - m0;
        // Columns live for every tap of the tile (the tile's path), then per position what is left.
        const both = width == 4 ? columnsFor(m0 / ci, (m0 + 3) / ci, ow, w, strideW, padLeft) : 0x7fff;
        const ia = both & 0xffff, ib = both >> 16;
        for (let o0 = oa; o0 < ob; o0 += 8) {
          if (ia <= ib) gradTile(g, filterRow + <usize>m0 * rowBytes + (<usize>o0 << 2), r0, r1, ty, m0, o0, ia, ib);
          for (let m = m0; m < m0 + width; m++) {
            const cols = columnsFor(m / ci, m / ci, ow, w, strideW, padLeft);
            const ca = cols & 0xffff, cb = cols >> 16;
            if (ca > cb || (ca == ia && cb == ib)) continue;
            const out = filterRow + <usize>m * rowBytes + (<usize>o0 << 2);
            if (ia > ib) {
              gradRow(g, out, r0, r1, ty, m, o0, ca, cb);
            } else {
              if (ca < ia) gradRow(g, out, r0, r1, ty, m, o0, ca, ia - 1);
              if (cb > ib) gradRow(g, out, r0, r1, ty, m, o0, ib + 1, cb);
            }
          }
        }
      }
    }
  }
}

/** ReLU's gradient: dx = dy where y (the ReLU's output) is positive, else 0, over n floats. */
export function reluGrad(y: usize, dy: usize, dx: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const vectorEnd = n & ~3;
  let i = 0;
  for (; i < vectorEnd; i += 4) {
    const at = <usize>i << 2;
    v128.store(dx + at, v128.and(v128.load(dy + at), f32x4.gt(v128.load(y + at), zero)));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(dx + at, load<f32>(y + at) > 0 ? load<f32>(dy + at) : 0);
  }
}

/** Zeroes `bytes` bytes at p. */
export function zero(p: usize, bytes: usize): void {
  memory.fill(p, 0, bytes);
}

// Rows summed in float32 before each partial sum joins a float64 total: the vector loop stays float32
// (4 lanes) while the rounding error of a sum over n·h·w rows stays that of a 256-row sum.
const BLOCK_ROWS = 256;

/** Zeroes n floats of 8 bytes at p. */
function zero64(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n << 3);
}

/** Adds the float32 partial sums [c] at `partial` to the float64 totals [c] at `total`, and zeroes the partials. */
function flush(partial: usize, total: usize, c: i32): void {
  for (let k = 0; k < c; k++) {
    const at = total + (<usize>k << 3);
    store<f64>(at, load<f64>(at) + <f64>load<f32>(partial + (<usize>k << 2)));
  }
  memory.fill(partial, 0, <usize>c << 2);
}

/**
 * Per-channel mean, biased variance and 1/sqrt(variance + eps) of x [rows, c] (NHWC flattened), two passes
 * (the variance of the centred values, not E[x²] − E[x]²). `scratch` holds 3·c floats of 8 bytes. c must be a
 * multiple of 4.
 */
export function bnMoments(x: usize, rows: i32, c: i32, mean: usize, variance: usize, invStd: usize, eps: f32, scratch: usize): void {
  const partial = scratch;
  const total = scratch + (<usize>c << 3);
  const rowBytes = <usize>c << 2;
  for (let pass = 0; pass < 2; pass++) {
    zero64(scratch, c * 3);
    for (let r = 0; r < rows; r++) {
      const row = x + <usize>r * rowBytes;
      if (pass == 0) {
        for (let k: usize = 0; k < rowBytes; k += 16) v128.store(partial + k, f32x4.add(v128.load(partial + k), v128.load(row + k)));
      } else {
        for (let k: usize = 0; k < rowBytes; k += 16) {
          const d = f32x4.sub(v128.load(row + k), v128.load(mean + k));
          v128.store(partial + k, f32x4.add(v128.load(partial + k), f32x4.mul(d, d)));
        }
      }
      if ((r + 1) % BLOCK_ROWS == 0 || r + 1 == rows) flush(partial, total, c);
    }
    const out = pass == 0 ? mean : variance;
    for (let k = 0; k < c; k++) store<f32>(out + (<usize>k << 2), <f32>(load<f64>(total + (<usize>k << 3)) / <f64>rows));
  }
  for (let k = 0; k < c; k++) store<f32>(invStd + (<usize>k << 2), <f32>1 / Mathf.sqrt(load<f32>(variance + (<usize>k << 2)) + eps));
}

/** y = (x − mean)·invStd·gamma + beta over x [rows, c], in the tensor-op path's order. c must be a multiple of 4. */
export function bnApply(x: usize, y: usize, rows: i32, c: i32, mean: usize, invStd: usize, gamma: usize, beta: usize): void {
  const rowBytes = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * rowBytes;
    for (let k: usize = 0; k < rowBytes; k += 16) {
      const xhat = f32x4.mul(f32x4.sub(v128.load(x + at + k), v128.load(mean + k)), v128.load(invStd + k));
      v128.store(y + at + k, f32x4.add(f32x4.mul(xhat, v128.load(gamma + k)), v128.load(beta + k)));
    }
  }
}

/**
 * BatchNorm's training backward over x, dy [rows, c]: dBeta = Σ dy, dGamma = Σ dy·x̂ with x̂ = (x − mean)·invStd,
 * dx = gamma·invStd·(dy − dBeta/rows − x̂·dGamma/rows). `scratch` holds 3·c floats of 8 bytes. c must be a multiple of 4.
 */
export function bnGrad(x: usize, dy: usize, rows: i32, c: i32, mean: usize, invStd: usize, gamma: usize, dx: usize, dGamma: usize, dBeta: usize, scratch: usize): void {
  const partialBeta = scratch;
  const partialGamma = scratch + (<usize>c << 2);
  const totalBeta = scratch + (<usize>c << 3);
  const totalGamma = scratch + (<usize>c << 4);
  zero64(scratch, c * 3);
  const rowBytes = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * rowBytes;
    for (let k: usize = 0; k < rowBytes; k += 16) {
      const g = v128.load(dy + at + k);
      const xhat = f32x4.mul(f32x4.sub(v128.load(x + at + k), v128.load(mean + k)), v128.load(invStd + k));
      v128.store(partialBeta + k, f32x4.add(v128.load(partialBeta + k), g));
      v128.store(partialGamma + k, f32x4.add(v128.load(partialGamma + k), f32x4.mul(g, xhat)));
    }
    if ((r + 1) % BLOCK_ROWS == 0 || r + 1 == rows) {
      flush(partialBeta, totalBeta, c);
      flush(partialGamma, totalGamma, c);
    }
  }
  for (let k = 0; k < c; k++) {
    store<f32>(dBeta + (<usize>k << 2), <f32>load<f64>(totalBeta + (<usize>k << 3)));
    store<f32>(dGamma + (<usize>k << 2), <f32>load<f64>(totalGamma + (<usize>k << 3)));
  }
  const count = <f32>rows;
  // Per-channel constants, reusing the float32 partial rows: gamma·invStd, dBeta/rows, dGamma/rows.
  const scale = partialBeta;
  const shiftBeta = partialGamma;
  const shiftGamma = totalBeta;
  for (let k = 0; k < c; k++) {
    const o = <usize>k << 2;
    store<f32>(scale + o, load<f32>(gamma + o) * load<f32>(invStd + o));
    store<f32>(shiftBeta + o, load<f32>(dBeta + o) / count);
    store<f32>(shiftGamma + o, load<f32>(dGamma + o) / count);
  }
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * rowBytes;
    for (let k: usize = 0; k < rowBytes; k += 16) {
      const xhat = f32x4.mul(f32x4.sub(v128.load(x + at + k), v128.load(mean + k)), v128.load(invStd + k));
      const inner = f32x4.sub(f32x4.sub(v128.load(dy + at + k), v128.load(shiftBeta + k)), f32x4.mul(xhat, v128.load(shiftGamma + k)));
      v128.store(dx + at + k, f32x4.mul(v128.load(scale + k), inner));
    }
  }
}

/**
 * Max-pool's input gradient, NHWC: each dy[b,oy,ox,ch] goes to the first maximal input of its window (row-major
 * order, padding never chosen), as tfjs's cpu backend and torch pick it. dx [n,h,w,c] is overwritten.
 */
export function maxPoolGrad(
  x: usize, dy: usize, dx: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
): void {
  memory.fill(dx, 0, <usize>(n * h * w * c) << 2);
  const lanes = i32x4(0, 1, 2, 3);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * strideH - padTop;
      const ya = max(y0, 0), yb = min(y0 + kh, h);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * strideW - padLeft;
        const xa = max(x0, 0), xb = min(x0 + kw, w);
        const gradRow = dy + (<usize>(((b * oh + oy) * ow + ox) * c) << 2);
        if (ya >= yb || xa >= xb) continue;
        // 4 channels at a time: the window's first input, then strictly greater ones (the first maximum wins).
        const c4 = c & ~3;
        for (let ch = 0; ch < c4; ch += 4) {
          const first = ((b * h + ya) * w + xa) * c + ch;
          let best = v128.load(x + (<usize>first << 2));
          let at = i32x4.add(i32x4.splat(first), lanes);
          for (let y = ya; y < yb; y++) {
            for (let xx = xa; xx < xb; xx++) {
              const i = ((b * h + y) * w + xx) * c + ch;
              const v = v128.load(x + (<usize>i << 2));
              const greater = f32x4.gt(v, best);
              best = v128.bitselect(v, best, greater);
              at = v128.bitselect(i32x4.add(i32x4.splat(i), lanes), at, greater);
            }
          }
          const g = v128.load(gradRow + (<usize>ch << 2));
          let p = dx + (<usize>i32x4.extract_lane(at, 0) << 2);
          store<f32>(p, load<f32>(p) + f32x4.extract_lane(g, 0));
          p = dx + (<usize>i32x4.extract_lane(at, 1) << 2);
          store<f32>(p, load<f32>(p) + f32x4.extract_lane(g, 1));
          p = dx + (<usize>i32x4.extract_lane(at, 2) << 2);
          store<f32>(p, load<f32>(p) + f32x4.extract_lane(g, 2));
          p = dx + (<usize>i32x4.extract_lane(at, 3) << 2);
          store<f32>(p, load<f32>(p) + f32x4.extract_lane(g, 3));
        }
        for (let ch = c4; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let y = ya; y < yb; y++) {
            for (let xx = xa; xx < xb; xx++) {
              const i = ((b * h + y) * w + xx) * c + ch;
              const v = load<f32>(x + (<usize>i << 2));
              if (v > best || at < 0) {
                best = v;
                at = i;
              }
            }
          }
          const p = dx + (<usize>at << 2);
          store<f32>(p, load<f32>(p) + load<f32>(gradRow + (<usize>ch << 2)));
        }
      }
    }
  }
}

// Winograd F(4×4, 3×3) for forward convolutions (and so the input gradient): a 3×3, stride-1, pad-1 convolution
// as 36 matrix products over 6×6 input tiles, one per 4×4 output block — 36 multiplications per block and
// channel pair, 2.25 an output against direct convolution's 9 (Lavin & Gray, 2015; the points 0, ±1, ±2).
// The constants of its transforms (4, 5, 8, 1/6, 1/24) round more than F(2×2)'s additions: results are within
// ≈ 1e-5 of the largest output of direct convolution's (F(2×2): ≈ 1e-6).
//   U = G g Gᵀ (6×6 from 3×3), V = Bᵀ d B (6×6), y = Aᵀ (Σ_c U ⊙ V) A (4×4). Each 2-D transform is a 1-D one
// down the columns into a small scratch, then one along its rows.

/**
 * m [P][rows][co] = Σ_c v [P][rows][ci] · u [P][co/8][ci][8] for P = `positions` (36 for F(4×4), 9 for map2Conv),
 * `rows` rows (a multiple of 4) whose positions lie `vPosition` and `mPosition` bytes apart; 4 rows × 8 channels
 * a tile.
 */
function winogradProducts(v: usize, u: usize, m: usize, rows: i32, vPosition: usize, mPosition: usize, ci: i32, co: i32, positions: i32 = 36): void {
  const vRow = <usize>ci << 2, mRow = <usize>co << 2, panelBytes = <usize>ci << 5;
  for (let p = 0; p < positions; p++) {
    const vp = v + <usize>p * vPosition, mp = m + <usize>p * mPosition, up = u + <usize>p * <usize>(ci * co) * 4;
    for (let c0 = 0; c0 < co; c0 += 8) {
      const panel = up + <usize>(c0 >> 3) * panelBytes;
      for (let r = 0; r < rows; r += 4) {
        let p0 = vp + <usize>r * vRow;
        const p1 = p0 + vRow, p2 = p1 + vRow, p3 = p2 + vRow;
        let a00 = f32x4.splat(0), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        let wp = panel;
        for (let k: usize = 0; k < vRow; k += 4) {
          const w0 = v128.load(wp), w1 = v128.load(wp + 16);
          const x0 = v128.load32_splat(p0 + k), x1 = v128.load32_splat(p1 + k), x2 = v128.load32_splat(p2 + k), x3 = v128.load32_splat(p3 + k);
          a00 = madd(x0, w0, a00); a01 = madd(x0, w1, a01);
          a10 = madd(x1, w0, a10); a11 = madd(x1, w1, a11);
          a20 = madd(x2, w0, a20); a21 = madd(x2, w1, a21);
          a30 = madd(x3, w0, a30); a31 = madd(x3, w1, a31);
          wp += 32;
        }
        const o = mp + <usize>r * mRow + (<usize>c0 << 2);
        v128.store(o, a00); v128.store(o + 16, a01);
        v128.store(o + mRow, a10); v128.store(o + mRow + 16, a11);
        v128.store(o + 2 * mRow, a20); v128.store(o + 2 * mRow + 16, a21);
        v128.store(o + 3 * mRow, a30); v128.store(o + 3 * mRow + 16, a31);
      }
    }
  }
}

/** y at p (when `ok`) = value + bias (+ the addend's 4 values at a, unless a is 0), clamped at 0 under `relu`. */
@inline
function storeOutput(p: usize, value: v128, bias: v128, relu: bool, ok: bool, a: usize = 0): void {
  if (!ok) return;
  let biased = f32x4.add(value, bias);
  if (a) biased = f32x4.add(biased, v128.load(a));
  v128.store(p, relu ? f32x4.max(biased, f32x4.splat(0)) : biased);
}

/** Stores G·[a, b, c] (6 values) at p + k·stride. */
@inline
function filter6(a: v128, b: v128, c: v128, p: usize, stride: usize): void {
  const sum = f32x4.add(a, c), sixth = f32x4.splat(<f32>(-1.0 / 6.0));
  const outer = f32x4.add(f32x4.mul(a, f32x4.splat(<f32>(1.0 / 24.0))), f32x4.mul(c, f32x4.splat(<f32>(1.0 / 6.0))));
  const middle = f32x4.mul(b, f32x4.splat(<f32>(1.0 / 12.0)));
  v128.store(p, f32x4.mul(a, f32x4.splat(0.25)));
  v128.store(p + stride, f32x4.mul(f32x4.add(sum, b), sixth));
  v128.store(p + 2 * stride, f32x4.mul(f32x4.sub(sum, b), sixth));
  v128.store(p + 3 * stride, f32x4.add(outer, middle));
  v128.store(p + 4 * stride, f32x4.sub(outer, middle));
  v128.store(p + 5 * stride, c);
}

/**
 * The filter transform of F(4×4, 3×3): HWIO f [3,3,ci,co] → u [36][co/8][ci][8], U_p = (G g Gᵀ)[p / 6][p % 6]
 * for every channel pair, in winogradConv's 8-channel panels. co must be a multiple of 8. `scratch` holds 2,400
 * floats: t = G g (6×3) and the transforms of 8 input channels × 8 output channels, which then go to each
 * position's panel as one run (written straight, the 36 positions' streams fight over a cache set).
 */
export function winograd4Filter(f: usize, u: usize, ci: i32, co: i32, scratch: usize): void {
  const position = <usize>(ci * co) << 2, tap = position, t = scratch, chunk = scratch + 18 * 16;
  for (let o8 = 0; o8 < co; o8 += 8) {
    for (let c0 = 0; c0 < ci; c0 += 8) {
      const channels = min(8, ci - c0);
      for (let c = 0; c < channels; c++) for (let half = 0; half < 8; half += 4) {
        const g = f + (<usize>((c0 + c) * co + o8 + half) << 2);
        for (let j = 0; j < 3; j++) {
          const column = g + <usize>j * tap;
          filter6(v128.load(column), v128.load(column + 3 * tap), v128.load(column + 6 * tap), t + (<usize>j << 4), 48);
        }
        for (let i = 0; i < 6; i++) {
          const row = t + <usize>(48 * i);
          filter6(v128.load(row), v128.load(row + 16), v128.load(row + 32), chunk + (<usize>(6 * i * 64 + c * 8 + half) << 2), 256);
        }
      }
      const run = <usize>channels << 5, at = u + (<usize>((o8 >> 3) * ci + c0) << 5);
      for (let p = 0; p < 36; p++) {
        const from = chunk + (<usize>p << 8), to = at + <usize>p * position;
        for (let k: usize = 0; k < run; k += 16) v128.store(to + k, v128.load(from + k));
      }
    }
  }
}

/** Stores Bᵀ·[d0 … d5] (6 values) at p + k·stride. */
@inline
function input6(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, p: usize, stride: usize): void {
  const two = f32x4.splat(2), four = f32x4.splat(4), five = f32x4.splat(5);
  const even = f32x4.sub(d4, d2), odd = f32x4.mul(two, f32x4.sub(d3, d1));
  v128.store(p, f32x4.add(f32x4.sub(f32x4.mul(four, d0), f32x4.mul(five, d2)), d4));
  v128.store(p + stride, f32x4.sub(f32x4.add(d3, d4), f32x4.mul(four, f32x4.add(d1, d2))));
  v128.store(p + 2 * stride, f32x4.add(f32x4.sub(d4, d3), f32x4.mul(four, f32x4.sub(d1, d2))));
  v128.store(p + 3 * stride, f32x4.add(even, odd));
  v128.store(p + 4 * stride, f32x4.sub(even, odd));
  v128.store(p + 5 * stride, f32x4.add(f32x4.sub(f32x4.mul(four, d1), f32x4.mul(five, d3)), d5));
}

/** x's 4 channels at p when bit k of `mask` is set (a real input position), else zeros (padding). */
@inline
function inputIn(p: usize, mask: i32, k: i32): v128 {
  return inputAtOr0(p, ((mask >> k) & 1) != 0);
}

/**
 * The input transform of one 6×6 tile into the row of V [36][·][ci] at v (positions `stride` bytes apart), from
 * the patch at (iy0, ix0) of image b; t = Bᵀ d goes through `temp` (36 vectors).
 */
function inputTile6(x: usize, v: usize, temp: usize, stride: usize, b: i32, iy0: i32, ix0: i32, h: i32, w: i32, ci: i32): void {
  const pixel = <usize>ci << 2, line = <usize>w * pixel;
  let rows = 0, columns = 0;
  for (let k = 0; k < 6; k++) {
    if (iy0 + k >= 0 && iy0 + k < h) rows |= 1 << k;
    if (ix0 + k >= 0 && ix0 + k < w) columns |= 1 << k;
  }
  // Address of the patch's corner (may lie before x when it starts in the padding: only real positions are read).
  const corner = x + (<usize>((b * h + iy0) * w + ix0)) * pixel;
  for (let c = 0; c < ci; c += 4) {
    const at = v + (<usize>c << 2), p = corner + (<usize>c << 2);
    for (let j = 0; j < 6; j++) {
      const q = p + <usize>j * pixel, live = (columns >> j) & 1 ? rows : 0;
      input6(
        inputIn(q, live, 0), inputIn(q + line, live, 1), inputIn(q + 2 * line, live, 2),
        inputIn(q + 3 * line, live, 3), inputIn(q + 4 * line, live, 4), inputIn(q + 5 * line, live, 5),
        temp + (<usize>j << 4), 96,
      );
    }
    for (let i = 0; i < 6; i++) {
      const r = temp + <usize>(96 * i);
      input6(v128.load(r), v128.load(r + 16), v128.load(r + 32), v128.load(r + 48), v128.load(r + 64), v128.load(r + 80), at + <usize>(6 * i) * stride, stride);
    }
  }
}

/** Stores Aᵀ·[m0 … m5] (4 values) at p + k·stride. */
@inline
function output4(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, p: usize, stride: usize): void {
  const sum12 = f32x4.add(m1, m2), diff12 = f32x4.sub(m1, m2), sum34 = f32x4.add(m3, m4), diff34 = f32x4.sub(m3, m4);
  v128.store(p, f32x4.add(f32x4.add(m0, sum12), sum34));
  v128.store(p + stride, f32x4.add(diff12, f32x4.mul(f32x4.splat(2), diff34)));
  v128.store(p + 2 * stride, f32x4.add(sum12, f32x4.mul(f32x4.splat(4), sum34)));
  v128.store(p + 3 * stride, f32x4.add(f32x4.add(diff12, f32x4.mul(f32x4.splat(8), diff34)), m5));
}

/**
 * The output transform of one tile: y's 4×4 block at (oy0, ox0) of image b (its part on the map) = Aᵀ M A from
 * the row of m [36][·][co] at m (positions `stride` bytes apart); s = Aᵀ M goes through `temp` (28 vectors).
 */
function outputTile6(
  m: usize, y: usize, temp: usize, stride: usize, b: i32, oy0: i32, ox0: i32, h: i32, w: i32, co: i32, bias: usize, relu: bool,
  addend: usize, addendPerImage: bool,
): void {
  const pixel = <usize>co << 2, line = <usize>w * pixel;
  const height = min(4, h - oy0), width = min(4, w - ox0);
  const corner = y + (<usize>((b * h + oy0) * w + ox0)) * pixel;
  // The addend's value for y at q lies at q + toAddend (a residual shaped as y, or one image of it).
  const addendImage: i32 = addendPerImage ? b : 0;
  const toAddend: usize = addend ? addend + (<usize>((addendImage * h + oy0) * w + ox0)) * pixel - corner : 0;
  for (let c = 0; c < co; c += 4) {
    const at = m + (<usize>c << 2);
    for (let j = 0; j < 6; j++) {
      const q = at + <usize>j * stride;
      output4(v128.load(q), v128.load(q + 6 * stride), v128.load(q + 12 * stride), v128.load(q + 18 * stride), v128.load(q + 24 * stride), v128.load(q + 30 * stride), temp + (<usize>j << 4), 96);
    }
    const bc = bias ? v128.load(bias + (<usize>c << 2)) : f32x4.splat(0);
    for (let k = 0; k < height; k++) {
      const r = temp + <usize>(96 * k), row4 = temp + 384;
      output4(v128.load(r), v128.load(r + 16), v128.load(r + 32), v128.load(r + 48), v128.load(r + 64), v128.load(r + 80), row4, 16);
      const out = corner + <usize>k * line + (<usize>c << 2);
      for (let l = 0; l < width; l++) {
        const q = out + <usize>l * pixel;
        storeOutput(q, v128.load(row4 + (<usize>l << 4)), bc, relu, true, addend ? q + toAddend : 0);
      }
    }
  }
}

// Bytes between a position's rows and the next position's in winograd4Conv's scratch: 64 more than the rows,
// so that the 36 positions of a row do not all fall in one cache set.
@inline
function positionBytes(block: i32, c: i32): usize {
  return (<usize>(block * c + 16)) << 2;
}

/**
 * winogradConv by Winograd F(4×4, 3×3), with u from winograd4Filter: tiles of 4×4 outputs in blocks of `block`
 * (a multiple of 4); `scratch` holds 36·(block·(ci + co) + 32) + 160 floats. ci must be a multiple of 4, co of 8.
 * The epilogue as convDirect's: + bias, + addend (0 for none; per image or one image's worth), then `relu`.
 */
export function winograd4Conv(
  x: usize, u: usize, y: usize, n: i32, h: i32, w: i32, ci: i32, co: i32, bias: usize, relu: i32, scratch: usize, block: i32,
  addend: usize, addendPerImage: i32,
): void {
  const tilesY = (h + 3) >> 2, tilesX = (w + 3) >> 2, perImage = tilesY * tilesX, tiles = n * perImage;
  const vPosition = positionBytes(block, ci), mPosition = positionBytes(block, co);
  const v = scratch, m = v + 36 * vPosition, temp = m + 36 * mPosition;
  for (let t0 = 0; t0 < tiles; t0 += block) {
    const count = min(block, tiles - t0);
    for (let r = 0; r < count; r++) {
      const t = t0 + r, b = t / perImage, ty = (t % perImage) / tilesX, tx = t % tilesX;
      inputTile6(x, v + <usize>(r * ci) * 4, temp, vPosition, b, 4 * ty - 1, 4 * tx - 1, h, w, ci);
    }
    winogradProducts(v, u, m, (count + 3) & ~3, vPosition, mPosition, ci, co);
    for (let r = 0; r < count; r++) {
      const t = t0 + r, b = t / perImage, ty = (t % perImage) / tilesX, tx = t % tilesX;
      outputTile6(m + <usize>(r * co) * 4, y, temp, mPosition, b, 4 * ty, 4 * tx, h, w, co, bias, relu != 0, addend, addendPerImage != 0);
    }
  }
}

// 3×3, stride-1, pad-1 convolutions on 2×2 maps (ResNet18's deepest layers on small images), by a minimal
// algorithm for the padded map: along each axis the two outputs y0 = x0·g1 + x1·g2 and y1 = x0·g0 + x1·g1 take
// three multiplications — (x0 + x1)·g1, x1·(g2 − g1) and x0·(g0 − g1) — not four, so an image and channel pair
// takes 9 instead of direct convolution's 16 (the taps that reach real input): 9 matrix products over the batch.
//   U = G g Gᵀ (G's rows pick g1, g2 − g1, g0 − g1), V = B x Bᵀ (B's rows x0 + x1, x1, x0),
//   y = C (Σ_c U ⊙ V) Cᵀ with C = [[1, 1, 0], [1, 0, 1]].
// Its transforms only add and subtract, but sums such as x0 + x1 and g2 − g1 round too: at 512 channels results
// are within ≈ 1.5e-5 of the largest output of direct convolution's (F(4×4)'s bound), at 256 ≈ 3e-6.

/** Stores G·[a, b, c] = [b, c − b, a − b] (a row or column of the 2×2-map filter transform) at p + k·stride. */
@inline
function map2Filter3(a: v128, b: v128, c: v128, p: usize, stride: usize): void {
  v128.store(p, b);
  v128.store(p + stride, f32x4.sub(c, b));
  v128.store(p + 2 * stride, f32x4.sub(a, b));
}

/**
 * The filter transform of map2Conv: HWIO f [3,3,ci,co] → u [9][co/8][ci][8] (winogradProducts' panels), through
 * `scratch` (9 vectors). co must be a multiple of 8.
 */
export function map2Filter(f: usize, u: usize, ci: i32, co: i32, scratch: usize): void {
  const tap = <usize>(ci * co) << 2, position = tap;
  for (let c = 0; c < ci; c++) {
    for (let o = 0; o < co; o += 4) {
      const g = f + (<usize>(c * co + o) << 2);
      // Down the filter's rows (t), for each column s: R[a][s] into scratch[3a + s].
      for (let s2: usize = 0; s2 < 3; s2++) {
        map2Filter3(v128.load(g + s2 * tap), v128.load(g + (3 + s2) * tap), v128.load(g + (6 + s2) * tap), scratch + (s2 << 4), 48);
      }
      // Along each row a of R: U[3a + b], stored in its 8-channel panel.
      const at = u + (<usize>((o >> 3) * ci * 8 + c * 8 + (o & 7)) << 2);
      for (let a: usize = 0; a < 3; a++) {
        const r = scratch + a * 48;
        map2Filter3(v128.load(r), v128.load(r + 16), v128.load(r + 32), at + 3 * a * position, position);
      }
    }
  }
}

/**
 * y = x ⊛ the filter whose map2Filter transform is u, for `n` images of 2×2 × ci (a 3×3, stride-1, pad-1
 * convolution), in blocks of `block` images (a multiple of 4); `scratch` holds 9·(block·(ci + co) + 32) floats.
 * ci must be a multiple of 4, co of 8. The epilogue as convDirect's: + bias, + addend (0 for none; per image or
 * one image's worth), then `relu`.
 */
export function map2Conv(
  x: usize, u: usize, y: usize, n: i32, ci: i32, co: i32, bias: usize, relu: i32, scratch: usize, block: i32,
  addend: usize, addendPerImage: i32,
): void {
  const vPosition = positionBytes(block, ci), mPosition = positionBytes(block, co);
  const v = scratch, m = v + 9 * vPosition;
  const inPixel = <usize>ci << 2, outPixel = <usize>co << 2;
  for (let b0 = 0; b0 < n; b0 += block) {
    const count = min(block, n - b0);
    for (let r = 0; r < count; r++) {
      const image = x + <usize>(b0 + r) * 4 * inPixel;
      for (let c: usize = 0; c < <usize>ci << 2; c += 16) {
        const x00 = v128.load(image + c), x01 = v128.load(image + inPixel + c);
        const x10 = v128.load(image + 2 * inPixel + c), x11 = v128.load(image + 3 * inPixel + c);
        // T = B x (down the rows), then V = T Bᵀ (along them): V[3a + b] at v + (3a + b)·vPosition.
        const at = v + <usize>r * inPixel + c;
        map2Input(f32x4.add(x00, x10), f32x4.add(x01, x11), at, vPosition);
        map2Input(x10, x11, at + 3 * vPosition, vPosition);
        map2Input(x00, x01, at + 6 * vPosition, vPosition);
      }
    }
    winogradProducts(v, u, m, (count + 3) & ~3, vPosition, mPosition, ci, co, 9);
    for (let r = 0; r < count; r++) {
      const b = b0 + r, out = y + <usize>b * 4 * outPixel;
      const more = addend ? addend + (addendPerImage ? <usize>b * 4 * outPixel : 0) : 0;
      for (let c: usize = 0; c < <usize>co << 2; c += 16) {
        const bc = bias ? v128.load(bias + c) : f32x4.splat(0);
        const at = m + <usize>r * outPixel + c;
        // S = C M (down the rows), then y = S Cᵀ (along them).
        const m0 = v128.load(at), m1 = v128.load(at + mPosition), m2 = v128.load(at + 2 * mPosition);
        const m3 = v128.load(at + 3 * mPosition), m4 = v128.load(at + 4 * mPosition), m5 = v128.load(at + 5 * mPosition);
        const m6 = v128.load(at + 6 * mPosition), m7 = v128.load(at + 7 * mPosition), m8 = v128.load(at + 8 * mPosition);
        const s00 = f32x4.add(m0, m3), s01 = f32x4.add(m1, m4), s02 = f32x4.add(m2, m5);
        const s10 = f32x4.add(m0, m6), s11 = f32x4.add(m1, m7), s12 = f32x4.add(m2, m8);
        storeOutput(out + c, f32x4.add(s00, s01), bc, relu != 0, true, more ? more + c : 0);
        storeOutput(out + outPixel + c, f32x4.add(s00, s02), bc, relu != 0, true, more ? more + outPixel + c : 0);
        storeOutput(out + 2 * outPixel + c, f32x4.add(s10, s11), bc, relu != 0, true, more ? more + 2 * outPixel + c : 0);
        storeOutput(out + 3 * outPixel + c, f32x4.add(s10, s12), bc, relu != 0, true, more ? more + 3 * outPixel + c : 0);
      }
    }
  }
}

/** Stores [a + b, b, a] (a row of B x Bᵀ from a row [a, b] of B x) at p + k·stride. */
@inline
function map2Input(a: v128, b: v128, p: usize, stride: usize): void {
  v128.store(p, f32x4.add(a, b));
  v128.store(p + stride, b);
  v128.store(p + 2 * stride, a);
}

// Winograd F(2×2, 3×3) for the filter gradient: a 3×3, stride-1, pad-1 convolution as 16 matrix products over
// 4×4 input tiles, one per 2×2 output block (Lavin & Gray, 2015). Its transforms are additions (and halvings),
// so its results differ from direct convolution's by a few float32 ulps of the largest term.
//   U = G g Gᵀ (filter, 4×4 from 3×3), V = Bᵀ d B (input tile), y = Aᵀ (U ⊙ V summed over channels) A.

/** Stores [a − c, b + c, c − b, b − d] (a row of Bᵀ d or of its product with B) at p + k·stride. */
@inline
function inputColumn(a: v128, b: v128, c: v128, d: v128, p: usize, stride: usize): void {
  v128.store(p, f32x4.sub(a, c));
  v128.store(p + stride, f32x4.add(b, c));
  v128.store(p + 2 * stride, f32x4.sub(c, b));
  v128.store(p + 3 * stride, f32x4.sub(b, d));
}

/** x's 4 channels at p when `ok` (a real input position), else zeros (padding). */
@inline
function inputAtOr0(p: usize, ok: bool): v128 {
  return ok ? v128.load(p) : f32x4.splat(0);
}

/** The input transform of one tile: V [16][block][ci] at v, row `row`, from the 4×4 input patch at (iy0, ix0) of image b. */
function inputTile(x: usize, v: usize, row: i32, block: i32, b: i32, iy0: i32, ix0: i32, h: i32, w: i32, ci: i32): void {
  const pixel = <usize>ci << 2;
  const stride = <usize>(block * ci) << 2;
  const r0 = iy0 >= 0, r3 = iy0 + 3 < h, r2 = iy0 + 2 < h;
  const c0 = ix0 >= 0, c3 = ix0 + 3 < w, c2 = ix0 + 2 < w;
  // Address of the patch's corner (may lie before x's row when ix0 = −1: only real positions are read).
  const corner = x + ((<usize>((b * h + iy0) * w + ix0)) * pixel);
  for (let c = 0; c < ci; c += 4) {
    const p0 = corner + (<usize>c << 2);
    const p1 = p0 + <usize>w * pixel, p2 = p1 + <usize>w * pixel, p3 = p2 + <usize>w * pixel;
    const d00 = inputAtOr0(p0, r0 && c0), d01 = inputAtOr0(p0 + pixel, r0), d02 = inputAtOr0(p0 + 2 * pixel, r0 && c2), d03 = inputAtOr0(p0 + 3 * pixel, r0 && c3);
    const d10 = inputAtOr0(p1, c0), d11 = v128.load(p1 + pixel), d12 = inputAtOr0(p1 + 2 * pixel, c2), d13 = inputAtOr0(p1 + 3 * pixel, c3);
    const d20 = inputAtOr0(p2, r2 && c0), d21 = inputAtOr0(p2 + pixel, r2), d22 = inputAtOr0(p2 + 2 * pixel, r2 && c2), d23 = inputAtOr0(p2 + 3 * pixel, r2 && c3);
    const d30 = inputAtOr0(p3, r3 && c0), d31 = inputAtOr0(p3 + pixel, r3), d32 = inputAtOr0(p3 + 2 * pixel, r3 && c2), d33 = inputAtOr0(p3 + 3 * pixel, r3 && c3);
    // t = Bᵀ d (rows), then each row of t times B (positions 4i … 4i + 3).
    const at = v + (<usize>(row * ci + c) << 2);
    inputColumn(f32x4.sub(d00, d20), f32x4.sub(d01, d21), f32x4.sub(d02, d22), f32x4.sub(d03, d23), at, stride);
    inputColumn(f32x4.add(d10, d20), f32x4.add(d11, d21), f32x4.add(d12, d22), f32x4.add(d13, d23), at + 4 * stride, stride);
    inputColumn(f32x4.sub(d20, d10), f32x4.sub(d21, d11), f32x4.sub(d22, d12), f32x4.sub(d23, d13), at + 8 * stride, stride);
    inputColumn(f32x4.sub(d10, d30), f32x4.sub(d11, d31), f32x4.sub(d12, d32), f32x4.sub(d13, d33), at + 12 * stride, stride);
  }
}

// The filter gradient in the same transform: y = Aᵀ (U ⊙ V) A and U = G g Gᵀ give dU = Σ_tiles (A dy Aᵀ) ⊙ V
// and dg = Gᵀ dU G — 16 products reduced over tiles instead of 9 over pixels.

/** Stores [a, a + b, a − b, −b] (a row of A e, times Aᵀ) at p + k·stride. */
@inline
function gradColumn(a: v128, b: v128, p: usize, stride: usize): void {
  v128.store(p, a);
  v128.store(p + stride, f32x4.add(a, b));
  v128.store(p + 2 * stride, f32x4.sub(a, b));
  v128.store(p + 3 * stride, f32x4.neg(b));
}

/** The gradient transform of one tile in channels oa…ob−1: rows `row` of e [16][block][co] = A e Aᵀ, e dy's 2×2 block at (oy0, ox0) of image b (0 off the map). */
function gradientTile(dy: usize, e: usize, row: i32, block: i32, b: i32, oy0: i32, ox0: i32, h: i32, w: i32, co: i32, oa: i32, ob: i32): void {
  const stride = <usize>(block * co) << 2, pixel = <usize>co << 2;
  const bottom = oy0 + 1 < h, right = ox0 + 1 < w;
  const corner = dy + (<usize>((b * h + oy0) * w + ox0)) * pixel;
  for (let c = oa; c < ob; c += 4) {
    const p = corner + (<usize>c << 2);
    const e00 = v128.load(p), e01 = inputAtOr0(p + pixel, right);
    const e10 = inputAtOr0(p + <usize>w * pixel, bottom), e11 = inputAtOr0(p + <usize>w * pixel + pixel, bottom && right);
    const at = e + (<usize>(row * co + c) << 2);
    gradColumn(e00, e01, at, stride);
    gradColumn(f32x4.add(e00, e10), f32x4.add(e01, e11), at + 4 * stride, stride);
    gradColumn(f32x4.sub(e00, e10), f32x4.sub(e01, e11), at + 8 * stride, stride);
    gradColumn(f32x4.neg(e10), f32x4.neg(e11), at + 12 * stride, stride);
  }
}

/** acc [16][ci][co] += Σ over `rows` rows of v [16][block][ci]ᵀ · e [16][block][co], in columns oa…ob−1; 4 × 8 channel tiles. */
function winogradGradProducts(v: usize, e: usize, acc: usize, rows: i32, block: i32, ci: i32, co: i32, oa: i32, ob: i32): void {
  const vRow = <usize>ci << 2, eRow = <usize>co << 2;
  for (let p = 0; p < 16; p++) {
    const vp = v + <usize>(p * block) * vRow, ep = e + <usize>(p * block) * eRow, ap = acc + <usize>p * <usize>(ci * co) * 4;
    for (let c0 = 0; c0 < ci; c0 += 4) {
      for (let o0 = oa; o0 < ob; o0 += 8) {
        const out = ap + (<usize>(c0 * co + o0) << 2);
        let a00 = v128.load(out), a01 = v128.load(out + 16);
        let a10 = v128.load(out + eRow), a11 = v128.load(out + eRow + 16);
        let a20 = v128.load(out + 2 * eRow), a21 = v128.load(out + 2 * eRow + 16);
        let a30 = v128.load(out + 3 * eRow), a31 = v128.load(out + 3 * eRow + 16);
        let xp = vp + (<usize>c0 << 2), gp = ep + (<usize>o0 << 2);
        for (let r = 0; r < rows; r++) {
          const w0 = v128.load(gp), w1 = v128.load(gp + 16);
          const x0 = v128.load32_splat(xp), x1 = v128.load32_splat(xp + 4), x2 = v128.load32_splat(xp + 8), x3 = v128.load32_splat(xp + 12);
          a00 = madd(x0, w0, a00); a01 = madd(x0, w1, a01);
          a10 = madd(x1, w0, a10); a11 = madd(x1, w1, a11);
          a20 = madd(x2, w0, a20); a21 = madd(x2, w1, a21);
          a30 = madd(x3, w0, a30); a31 = madd(x3, w1, a31);
          xp += vRow; gp += eRow;
        }
        v128.store(out, a00); v128.store(out + 16, a01);
        v128.store(out + eRow, a10); v128.store(out + eRow + 16, a11);
        v128.store(out + 2 * eRow, a20); v128.store(out + 2 * eRow + 16, a21);
        v128.store(out + 3 * eRow, a30); v128.store(out + 3 * eRow + 16, a31);
      }
    }
  }
}

/** Gᵀ·[a, b, c, d] = [a + (b + c)/2, (b − c)/2, (b + c)/2 + d]: 3 of 4 values. */
@inline
function gT0(a: v128, b: v128, c: v128): v128 {
  return f32x4.add(a, f32x4.mul(f32x4.splat(0.5), f32x4.add(b, c)));
}
@inline
function gT1(b: v128, c: v128): v128 {
  return f32x4.mul(f32x4.splat(0.5), f32x4.sub(b, c));
}
@inline
function gT2(b: v128, c: v128, d: v128): v128 {
  return f32x4.add(f32x4.mul(f32x4.splat(0.5), f32x4.add(b, c)), d);
}

/** Stores Gᵀ·[a, b, c, d] at p, p + stride, p + 2·stride. */
@inline
function filterGradRow(a: v128, b: v128, c: v128, d: v128, p: usize, stride: usize): void {
  v128.store(p, gT0(a, b, c));
  v128.store(p + stride, gT1(b, c));
  v128.store(p + 2 * stride, gT2(b, c, d));
}

/**
 * The filter gradient of a 3×3, stride-1, pad-1 convolution of x [n,h,w,ci] with output gradient dy [n,h,w,co],
 * by Winograd F(2×2, 3×3): output channels oa…ob−1 of dw [3,3,ci,co] (HWIO) are overwritten, each summed in the
 * same order whatever the range (threads split by it). `scratch` holds 16·block·(ci + co) + 16·ci·co floats.
 * ci must be a multiple of 4; co, oa and ob of 8.
 */
export function winogradFilterGrad(x: usize, dy: usize, dw: usize, n: i32, h: i32, w: i32, ci: i32, co: i32, scratch: usize, block: i32, oa: i32, ob: i32): void {
  const tilesY = (h + 1) >> 1, tilesX = (w + 1) >> 1, perImage = tilesY * tilesX, tiles = n * perImage;
  const v = scratch, e = scratch + (<usize>(16 * block * ci) << 2), acc = e + (<usize>(16 * block * co) << 2);
  const matrix = <usize>(ci * co) << 2;
  zeroColumns(acc, 16 * ci, co, oa, ob);
  for (let t0 = 0; t0 < tiles; t0 += block) {
    const count = min(block, tiles - t0);
    for (let r = 0; r < count; r++) {
      const t = t0 + r, b = t / perImage, ty = (t % perImage) / tilesX, tx = t % tilesX;
      inputTile(x, v, r, block, b, 2 * ty - 1, 2 * tx - 1, h, w, ci);
      gradientTile(dy, e, r, block, b, 2 * ty, 2 * tx, h, w, co, oa, ob);
    }
    winogradGradProducts(v, e, acc, count, block, ci, co, oa, ob);
  }
  // dw = Gᵀ M G: rows of M first (R = Gᵀ M, 3×4), then each row of R times G.
  for (let c = 0; c < ci; c++) {
    for (let o = oa; o < ob; o += 4) {
      const p = acc + (<usize>(c * co + o) << 2);
      const m0 = v128.load(p), m1 = v128.load(p + matrix), m2 = v128.load(p + 2 * matrix), m3 = v128.load(p + 3 * matrix);
      const m4 = v128.load(p + 4 * matrix), m5 = v128.load(p + 5 * matrix), m6 = v128.load(p + 6 * matrix), m7 = v128.load(p + 7 * matrix);
      const m8 = v128.load(p + 8 * matrix), m9 = v128.load(p + 9 * matrix), m10 = v128.load(p + 10 * matrix), m11 = v128.load(p + 11 * matrix);
      const m12 = v128.load(p + 12 * matrix), m13 = v128.load(p + 13 * matrix), m14 = v128.load(p + 14 * matrix), m15 = v128.load(p + 15 * matrix);
      const tap = matrix, out = dw + (<usize>(c * co + o) << 2);
      filterGradRow(gT0(m0, m4, m8), gT0(m1, m5, m9), gT0(m2, m6, m10), gT0(m3, m7, m11), out, tap);
      filterGradRow(gT1(m4, m8), gT1(m5, m9), gT1(m6, m10), gT1(m7, m11), out + 3 * tap, tap);
      filterGradRow(gT2(m4, m8, m12), gT2(m5, m9, m13), gT2(m6, m10, m14), gT2(m7, m11, m15), out + 6 * tap, tap);
    }
  }
}
