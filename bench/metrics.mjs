// Bootstrap CIs at scale: the binary task report of 1M predictions with 1000 resamples (issue #18's goal:
// under 60 s on the 2-core reference machine). Seeded synthetic labels and scores; prints one JSON record.
import { mulberry32, taskReport } from '@medxfer/metrics';

const n = Number(process.argv[2] ?? 1_000_000);
const samples = Number(process.argv[3] ?? 1000);
const random = mulberry32(1);
const labels = new Uint8Array(n);
const probs = new Float32Array(n * 2);
for (let i = 0; i < n; i++) {
  labels[i] = random() < 0.6 ? 1 : 0;
  const p = Math.min(1, Math.max(0, 0.35 + 0.3 * labels[i] + (random() - 0.5) * 0.6));
  probs[2 * i] = 1 - p;
  probs[2 * i + 1] = p;
}
let t = performance.now();
taskReport('binary-class', labels, { data: probs, columns: 2 });
const plain = (performance.now() - t) / 1000;
t = performance.now();
taskReport('binary-class', labels, { data: probs, columns: 2 }, [], { bootstrap: { samples, seed: 0 } });
const withBootstrap = (performance.now() - t) / 1000;
const record = { bench: 'metrics', rows: n, resamples: samples, reportSeconds: +plain.toFixed(2), bootstrapSeconds: +withBootstrap.toFixed(2), goalSeconds: 60, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
console.log(JSON.stringify(record));
