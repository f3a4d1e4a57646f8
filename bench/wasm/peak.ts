// The WebAssembly SIMD arithmetic ceiling of this machine: 12 independent 4-lane multiply-add chains, no
// memory traffic. bench/roofline.mjs compiles it twice (multiply then add; relaxed-SIMD fused multiply-add).
export function peak(iters: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
  let a8 = f32x4.splat(0), a9 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
  const x = f32x4.splat(1.0000001), y = f32x4.splat(0.9999999);
  for (let i = 0; i < iters; i++) {
    if (ASC_FEATURE_RELAXED_SIMD) {
      a0 = f32x4.relaxed_madd(x, y, a0); a1 = f32x4.relaxed_madd(x, y, a1); a2 = f32x4.relaxed_madd(x, y, a2); a3 = f32x4.relaxed_madd(x, y, a3);
      a4 = f32x4.relaxed_madd(x, y, a4); a5 = f32x4.relaxed_madd(x, y, a5); a6 = f32x4.relaxed_madd(x, y, a6); a7 = f32x4.relaxed_madd(x, y, a7);
      a8 = f32x4.relaxed_madd(x, y, a8); a9 = f32x4.relaxed_madd(x, y, a9); a10 = f32x4.relaxed_madd(x, y, a10); a11 = f32x4.relaxed_madd(x, y, a11);
    } else {
      a0 = f32x4.add(a0, f32x4.mul(x, y)); a1 = f32x4.add(a1, f32x4.mul(x, y)); a2 = f32x4.add(a2, f32x4.mul(x, y)); a3 = f32x4.add(a3, f32x4.mul(x, y));
      a4 = f32x4.add(a4, f32x4.mul(x, y)); a5 = f32x4.add(a5, f32x4.mul(x, y)); a6 = f32x4.add(a6, f32x4.mul(x, y)); a7 = f32x4.add(a7, f32x4.mul(x, y));
      a8 = f32x4.add(a8, f32x4.mul(x, y)); a9 = f32x4.add(a9, f32x4.mul(x, y)); a10 = f32x4.add(a10, f32x4.mul(x, y)); a11 = f32x4.add(a11, f32x4.mul(x, y));
    }
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return f32x4.extract_lane(f32x4.add(s, f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11))), 0);
}
