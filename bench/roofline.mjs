// Why the ratios to PyTorch are what they are: the arithmetic ceiling of WebAssembly SIMD on this CPU
// against medxfer's convolution kernels and PyTorch's (oneDNN, AVX2/AVX-512) on ResNet18's layer shapes,
// all in multiply-adds per second on one thread. medxfer's 3×3 stride-1 layers are timed twice: direct and
// Winograd (the default where it fits: F(4×4, 3×3) forward and dx, F(2×2, 3×3) dW); Winograd is counted in
// direct convolution's multiply-adds, so it can pass the ceiling — it does fewer of them.
//   node bench/roofline.mjs [--json out.json]
// Needs the built packages (npm run bench builds them), assemblyscript (a devDependency) and, for the
// PyTorch column, python3 with torch (see README).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { json: { type: 'string' } } });
const here = dirname(new URL(import.meta.url).pathname);
const { enableRelaxedSimd } = await import('@medxfer/models/node');
const relaxedOn = enableRelaxedSimd();

// 1. The ceiling: 12 independent accumulators, no loads.
const tmp = mkdtempSync(join(tmpdir(), 'medxfer-peak-'));
const peaks = {};
try {
  for (const [name, flags] of [['multiply-add (SIMD)', []], ['fused multiply-add (relaxed SIMD)', ['--enable', 'relaxed-simd']]]) {
    if (flags.length && !relaxedOn) continue;
    const out = join(tmp, 'peak.wasm');
    execFileSync('npx', ['asc', join(here, 'wasm', 'peak.ts'), '-O3', '--runtime', 'stub', '--enable', 'simd', ...flags, '-o', out], { stdio: 'inherit' });
    const { peak } = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), {}).exports;
    peak(1e6);
    const iterations = 1e7;
    const t0 = performance.now();
    peak(iterations);
    peaks[name] = (iterations * 48) / ((performance.now() - t0) / 1000) / 1e9;
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// 2. medxfer's kernels and PyTorch's on ResNet18's 3×3 layers (batch 32 at 64 px input, batch 16 at 224 px) and the stem.
const SHAPES = [
  [[32, 16, 16, 64], [3, 3, 64, 64], 1, 1],
  [[32, 8, 8, 128], [3, 3, 128, 128], 1, 1],
  [[32, 4, 4, 256], [3, 3, 256, 256], 1, 1],
  [[32, 2, 2, 512], [3, 3, 512, 512], 1, 1],
  [[32, 64, 64, 1], [7, 7, 1, 64], 2, 3],
  [[16, 56, 56, 64], [3, 3, 64, 64], 1, 1],
  [[16, 28, 28, 128], [3, 3, 128, 128], 1, 1],
  [[16, 14, 14, 256], [3, 3, 256, 256], 1, 1],
  [[16, 7, 7, 512], [3, 3, 512, 512], 1, 1],
];
const tf = await import('@tensorflow/tfjs-core');
const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
const { useMedxferKernels, wasmKernelsBuild } = await import('@medxfer/models');
const require = createRequire(import.meta.url);
setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
await tf.setBackend('wasm');
await tf.ready();
useMedxferKernels();
/** Multiply-adds of a convolution that reach real input (what both implementations compute at least). */
function liveMacs([n, h, w, ci], [kh, kw, , co], stride, pad) {
  const oh = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - kw) / stride) + 1;
  let taps = 0;
  for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ty = 0; ty < kh; ty++) for (let tx = 0; tx < kw; tx++) {
    const y = oy * stride + ty - pad, x = ox * stride + tx - pad;
    if (y >= 0 && y < h && x >= 0 && x < w) taps++;
  }
  return n * taps * ci * co;
}
const time = (f, reps = 5) => {
  f().dispose();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) { const r = f(); r.dataSync(); r.dispose(); }
  return (performance.now() - t0) / reps / 1000;
};
const rows = [];
for (const [xs, fs, stride, pad] of SHAPES) {
  const x = tf.randomNormal(xs);
  const w = tf.randomNormal(fs);
  const y = tf.conv2d(x, w, stride, pad);
  const dy = tf.randomNormal(y.shape);
  const attrs = { strides: stride, pad, dataFormat: 'NHWC' };
  const macs = liveMacs(xs, fs, stride, pad);
  const row = { x: xs, filter: fs, stride, pad, liveMacs: macs };
  for (const [name, winograd] of [['medxfer', false], ['winograd', true]]) {
    if (winograd && !(fs[0] === 3 && stride === 1 && xs[1] >= 4)) continue;
    useMedxferKernels({ winograd });
    const rates = (row[name] = {});
    rates.forward = macs / time(() => tf.conv2d(x, w, stride, pad)) / 1e9;
    if (xs[3] % 8 === 0) rates.inputGrad = macs / time(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: xs })) / 1e9;
    rates.filterGrad = macs / time(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: fs })) / 1e9;
  }
  useMedxferKernels({ winograd: true });
  rows.push(row);
  tf.dispose([x, w, y, dy]);
}

// 3. PyTorch on the same shapes (NCHW), the same counting.
let torch = null;
for (const python of [process.env.MEDXFER_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean)) {
  try {
    const script = `
import json, sys, time, torch, torch.nn.functional as F
torch.set_num_threads(1)
out = []
for xs, fs, stride, pad in json.loads(sys.argv[1]):
    n, h, w, ci = xs; kh, kw, _, co = fs
    x = torch.randn(n, ci, h, w, requires_grad=True); wt = torch.randn(co, ci, kh, kw, requires_grad=True)
    y = F.conv2d(x, wt, stride=stride, padding=pad); dy = torch.randn_like(y)
    def t(f, reps=5):
        f(); s = time.perf_counter()
        for _ in range(reps): f()
        return (time.perf_counter() - s) / reps
    fwd = t(lambda: F.conv2d(x.detach(), wt.detach(), stride=stride, padding=pad))
    bwd = t(lambda: torch.autograd.grad(F.conv2d(x, wt, stride=stride, padding=pad), [x, wt], dy)) - fwd
    out.append({'forward': fwd, 'backward': bwd})
print(json.dumps(out))`;
    torch = JSON.parse(execFileSync(python, ['-c', script, JSON.stringify(SHAPES)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    break;
  } catch {
    // next candidate
  }
}

console.log(`WebAssembly SIMD ceiling on one thread (no memory traffic): ${Object.entries(peaks).map(([k, v]) => `${k} ${v.toFixed(1)} GMAC/s`).join(', ')}`);
console.log(`medxfer kernels: ${wasmKernelsBuild()} build. GMAC/s counted over the multiply-adds that reach real input:`);
console.log('x → filter                        direct fwd  dx    dW   | Winograd fwd  dx    dW   | PyTorch fwd  fwd+bwd/3');
rows.forEach((r, i) => {
  const t = torch?.[i];
  const torchFwd = t ? r.liveMacs / t.forward / 1e9 : NaN;
  const torchAll = t ? (3 * r.liveMacs) / (t.forward + t.backward) / 1e9 : NaN;
  if (t) Object.assign(r, { pytorch: { forward: torchFwd, averageOfThree: torchAll } });
  const f = (v) => (v === undefined || Number.isNaN(v) ? '   -' : v.toFixed(1).padStart(5));
  const w = r.winograd ?? {};
  console.log(`${`[${r.x}] → [${r.filter}] s${r.stride}`.padEnd(34)}${f(r.medxfer.forward)} ${f(r.medxfer.inputGrad)} ${f(r.medxfer.filterGrad)}  |     ${f(w.forward)} ${f(w.inputGrad)} ${f(w.filterGrad)}  | ${f(torchFwd)}  ${f(torchAll)}`);
});
if (!torch) console.log('(no python3 with torch: apt-get install python3-torch python3-torchvision for the PyTorch columns)');
if (args.json) writeFileSync(args.json, `${JSON.stringify({ peaks, kernels: wasmKernelsBuild(), rows }, null, 2)}\n`);
