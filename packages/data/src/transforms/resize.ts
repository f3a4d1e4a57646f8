// Bilinear resize of uint8 images exactly as Pillow's Image.resize(BILINEAR) computes it (which is
// what torchvision's Resize applies to PIL images): a separable filter whose support widens when
// down-sampling (anti-aliasing), 22-bit fixed-point coefficients, horizontal pass first, and each
// pass rounded to uint8.

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

interface Coefficients {
  readonly start: Int32Array;
  readonly length: Int32Array;
  readonly ksize: number;
  readonly weights: Int32Array;
}

const bilinear = (x: number): number => {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
};

function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // bilinear support 1 × filterScale
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const length = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) sum += k[x] = bilinear((x + xmin - center + 0.5) / filterScale);
    for (let x = 0; x < xmax; x++) {
      const w = sum !== 0 ? k[x]! / sum : k[x]!;
      weights[xx * ksize + x] = Math.trunc(w < 0 ? -0.5 + w * ONE : 0.5 + w * ONE);
    }
    start[xx] = xmin;
    length[xx] = xmax;
  }
  return { start, length, ksize, weights };
}

const clip8 = (v: number): number => (v <= 0 ? 0 : v >= 256 * ONE ? 255 : Math.floor(v / ONE));

const cache = new Map<string, Coefficients>();
function cachedCoefficients(inSize: number, outSize: number): Coefficients {
  const key = `${inSize}>${outSize}`;
  let c = cache.get(key);
  if (!c) cache.set(key, (c = coefficients(inSize, outSize)));
  return c;
}

/**
 * Resizes one uint8 image `[h, w, channels]` (channels interleaved) to `[outH, outW, channels]`,
 * bit-identical to Pillow's bilinear resize.
 */
export function resizeBilinearPIL(
  src: Uint8Array,
  h: number,
  w: number,
  channels: number,
  outH: number,
  outW: number,
  out = new Uint8Array(outH * outW * channels),
): Uint8Array {
  if (h === outH && w === outW) {
    out.set(src.subarray(0, h * w * channels));
    return out;
  }
  let rows = src;
  let width = w;
  if (w !== outW) {
    const cx = cachedCoefficients(w, outW);
    rows = new Uint8Array(h * outW * channels);
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < outW; xx++) {
        const xmin = cx.start[xx]!;
        const n = cx.length[xx]!;
        const kbase = xx * cx.ksize;
        for (let c = 0; c < channels; c++) {
          let ss = HALF;
          for (let x = 0; x < n; x++) ss += src[(y * w + xmin + x) * channels + c]! * cx.weights[kbase + x]!;
          rows[(y * outW + xx) * channels + c] = clip8(ss);
        }
      }
    }
    width = outW;
  }
  if (h === outH) {
    out.set(rows);
    return out;
  }
  const cy = cachedCoefficients(h, outH);
  const stride = width * channels;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = cy.start[yy]!;
    const n = cy.length[yy]!;
    const kbase = yy * cy.ksize;
    for (let i = 0; i < stride; i++) {
      let ss = HALF;
      for (let y = 0; y < n; y++) ss += rows[(ymin + y) * stride + i]! * cy.weights[kbase + y]!;
      out[yy * stride + i] = clip8(ss);
    }
  }
  return out;
}
