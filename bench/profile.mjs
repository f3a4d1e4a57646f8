// Per-kernel time of one ResNet18 training (or inference) step on a tfjs backend.
// node bench/profile.mjs [--size 28] [--backend wasm] [--mode train|infer] [--steps 3] [--top 30] [--threads N]
// Wraps every registered kernel of the backend with a timer (wasm kernels run synchronously, so the
// wall time of the kernel function is its cost). Needs the built packages (npx turbo run build).
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-cpu');
const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
const models = await import(process.env.MODELS ?? '@medxfer/models');
const { ResNet18, wasmKernelsBuild } = models;
const useMedxferKernels = models.useMedxferKernels ?? models.installWasmKernels;
if (!process.env.NO_RELAXED) (await import('@medxfer/models/node')).enableRelaxedSimd();
const { Adam, crossEntropy } = await import('@medxfer/train');

const { values: args } = parseArgs({ options: { size: { type: 'string', default: '28' }, backend: { type: 'string', default: 'wasm' }, mode: { type: 'string', default: 'train' }, steps: { type: 'string', default: '3' }, top: { type: 'string', default: '30' }, batch: { type: 'string', default: '32' }, threads: { type: 'string', default: '1' } } });
const require = createRequire(import.meta.url);
setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
await tf.setBackend(args.backend);
await tf.ready();
// medxfer's own kernels replace some of the backend's: install them first so the timers wrap them.
console.log(`medxfer wasm kernels: ${useMedxferKernels() ? `installed (${wasmKernelsBuild()})` : 'not available'}`);
// Kernel threads (--threads N): each convolution of folded inference split across N threads.
if (Number(args.threads) > 1) await (await import('@medxfer/models/node')).useKernelThreads(Number(args.threads));

const stats = new Map();
let on = false;
for (const k of tf.getKernelsForBackend(args.backend)) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, k.backendName);
  tf.registerKernel({ ...k, kernelFunc: (a) => {
    if (!on) return inner(a);
    const t0 = performance.now();
    const out = inner(a);
    const dt = performance.now() - t0;
    const shapes = Object.values(a.inputs).map((t) => (t ? `[${t.shape}]` : '-')).join(' ');
    const attrs = a.attrs ? Object.entries(a.attrs).filter(([, v]) => typeof v !== 'object' || Array.isArray(v)).map(([k2, v]) => `${k2}=${v}`).join(',') : '';
    const key = `${k.kernelName} ${shapes} ${attrs}`.slice(0, 150);
    const byName = stats.get(k.kernelName) ?? { ms: 0, n: 0, shapes: new Map() };
    byName.ms += dt; byName.n++;
    const s = byName.shapes.get(key) ?? { ms: 0, n: 0 };
    s.ms += dt; s.n++;
    byName.shapes.set(key, s);
    stats.set(k.kernelName, byName);
    return out;
  } });
}

const size = Number(args.size);
const batch = Number(args.batch);
const model = new ResNet18({ numClasses: 2, input: 'grey', seed: 1 });
const x = tf.randomUniform([batch, size, size, 1], 0, 1, 'float32', 1);
const y = tf.tensor1d(Int32Array.from({ length: batch }, (_, i) => i % 2), 'int32');
const vars = [...model.params.values()];
const opt = new Adam();
const names = new Map([...model.params].map(([n, v]) => [v.name, n]));
function step() {
  if (args.mode === 'infer') { tf.tidy(() => model.predict(x).dataSync()); return; }
  const { value, grads } = tf.variableGrads(() => crossEntropy(model.apply(x, { bn: 'train' }), y), vars);
  value.dataSync();
  if (!process.env.NO_UPDATE) opt.apply(model.params, new Map(Object.entries(grads).map(([k, g]) => [names.get(k), g])), () => ({ lr: 1e-3, weightDecay: 0 }));
  tf.dispose([value, ...Object.values(grads)]);
}
step(); step();
const steps = Number(args.steps);
on = true;
const t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const total = (performance.now() - t0) / steps;
on = false;
const rows = [...stats].map(([name, s]) => ({ name, ms: s.ms / steps, n: s.n / steps, shapes: s.shapes })).sort((a, b) => b.ms - a.ms);
const kernelMs = rows.reduce((s, r) => s + r.ms, 0);
console.log(`${args.backend} ${args.mode} ${size}px batch ${batch}: ${total.toFixed(1)} ms/step (${(batch * 1000 / total).toFixed(1)} img/s), kernels ${kernelMs.toFixed(1)} ms, outside kernels ${(total - kernelMs).toFixed(1)} ms`);
for (const r of rows.slice(0, 25)) console.log(`${r.ms.toFixed(1).padStart(8)} ms ${String(r.n).padStart(5)}×  ${r.name}`);
console.log('\nTop kernel calls by shape:');
const all = rows.flatMap((r) => [...r.shapes].map(([key, s]) => ({ key, ms: s.ms / steps, n: s.n / steps }))).sort((a, b) => b.ms - a.ms);
for (const r of all.slice(0, Number(args.top))) console.log(`${r.ms.toFixed(1).padStart(8)} ms ${String(r.n).padStart(4)}×  ${r.key}`);
