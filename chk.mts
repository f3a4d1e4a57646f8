import { binaryReport } from './packages/metrics/src/index.ts';
const n = 1_000_000;
let s = 1;
const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const labels = new Uint8Array(n), scores = new Float64Array(n);
for (let i = 0; i < n; i++) { labels[i] = rand() < 0.4 ? 1 : 0; scores[i] = Math.round(Math.min(1, Math.max(0, 0.5 + (labels[i] ? 0.2 : -0.2) + (rand() - 0.5) * 0.8)) * 1000) / 1000; }
const t = performance.now();
const r = binaryReport(labels, scores, { bootstrap: { samples: 100, seed: 1 } });
console.log('1M rows x 100 resamples:', ((performance.now() - t) / 1000).toFixed(1), 's', r.ci!.rocAuc.lower.toFixed(4), r.ci!.rocAuc.upper.toFixed(4));
