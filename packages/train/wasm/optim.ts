// Fused optimiser kernels (an Adam/AdamW step, a weight-EMA step) over float32 arrays in the tfjs wasm
// backend's own memory (imported), 4 lanes at a time with WebAssembly SIMD. The float ops and their order are those of the tensor-op paths in
// src/optim/adam.ts (torch.optim.Adam/AdamW) and src/ema.ts, so both give the same bits.
// Built by `npm run build:wasm` (AssemblyScript) into src/optim/kernels/optim-wasm-binary.ts.

/**
 * p' = p·decay − stepSize · m' / (sqrt(v') / sqrtBias2 + eps), with g' = g + l2·p (when l2 ≠ 0),
 * m' = b1·m + c1·g', v' = b2·v + c2·g'², reading p, g, m, v and writing outP, outM, outV (n floats each).
 */
export function adam(
  p: usize, g: usize, m: usize, v: usize, outP: usize, outM: usize, outV: usize, n: i32,
  b1: f32, c1: f32, b2: f32, c2: f32, sqrtBias2: f32, eps: f32, stepSize: f32, decay: f32, l2: f32,
): void {
  const vb1 = f32x4.splat(b1), vc1 = f32x4.splat(c1), vb2 = f32x4.splat(b2), vc2 = f32x4.splat(c2);
  const vs2 = f32x4.splat(sqrtBias2), veps = f32x4.splat(eps), vstep = f32x4.splat(stepSize);
  const vdecay = f32x4.splat(decay), vl2 = f32x4.splat(l2);
  const useDecay = decay != 1, useL2 = l2 != 0;
  const vectorEnd = n & ~3;
  let i = 0;
  for (; i < vectorEnd; i += 4) {
    const at = <usize>i << 2;
    let pi = v128.load(p + at);
    let gi = v128.load(g + at);
    if (useL2) gi = f32x4.add(gi, f32x4.mul(pi, vl2));
    if (useDecay) pi = f32x4.mul(pi, vdecay);
    const mi = f32x4.add(f32x4.mul(v128.load(m + at), vb1), f32x4.mul(gi, vc1));
    const vi = f32x4.add(f32x4.mul(v128.load(v + at), vb2), f32x4.mul(f32x4.mul(gi, gi), vc2));
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), vs2), veps);
    v128.store(outM + at, mi);
    v128.store(outV + at, vi);
    v128.store(outP + at, f32x4.sub(pi, f32x4.mul(f32x4.div(mi, denom), vstep)));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    let pi = load<f32>(p + at);
    let gi = load<f32>(g + at);
    if (useL2) gi = gi + pi * l2;
    if (useDecay) pi = pi * decay;
    const mi = load<f32>(m + at) * b1 + gi * c1;
    const vi = load<f32>(v + at) * b2 + gi * gi * c2;
    const denom = Mathf.sqrt(vi) / sqrtBias2 + eps;
    store<f32>(outM + at, mi);
    store<f32>(outV + at, vi);
    store<f32>(outP + at, pi - (mi / denom) * stepSize);
  }
}

/**
 * out = a·decay + w·oneMinusDecay over n floats: one step of an exponential moving average (the float ops
 * of src/ema.ts's tensor path, in its order).
 */
export function ema(a: usize, w: usize, out: usize, n: i32, decay: f32, oneMinusDecay: f32): void {
  const vd = f32x4.splat(decay), vo = f32x4.splat(oneMinusDecay);
  const vectorEnd = n & ~3;
  let i = 0;
  for (; i < vectorEnd; i += 4) {
    const at = <usize>i << 2;
    v128.store(out + at, f32x4.add(f32x4.mul(v128.load(a + at), vd), f32x4.mul(v128.load(w + at), vo)));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(out + at, load<f32>(a + at) * decay + load<f32>(w + at) * oneMinusDecay);
  }
}
