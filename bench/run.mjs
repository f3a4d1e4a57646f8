// medxfer throughput bench: ResNet18 (grey stem, 2 classes) on tfjs backends, images/s for
//   infer  — eval-mode forward (frozen BatchNorm), no tape;
//   train  — full training step as the trainer runs it: forward with BatchNorm in train mode, loss, all
//            gradients, Adam update;
//   frozen — head-only step: body features in eval mode without a tape, then head gradients + Adam.
// Usage: npm run bench -- [--sizes 28,64,224] [--backends cpu,wasm] [--modes infer,train,frozen] [--batch 32]
//                          [--steps N] [--warmup N] [--json out.json] [--no-torch] [--no-loader] [--workers 1,2]
//                          [--threads 2] [--rounds N]
//                          [--no-winograd]
//                          [--volumes 28,64] [--convs acs,2.5d,3d]
// --volumes: the 3D rows — volume ResNet-18s (ACS / 2.5D convolutions of the 2D weights, plain 3D) on wasm, infer and
// train, batch 8 at 28³ and 4 at 64³ (--volumes '' skips them), beside PyTorch's reference definitions.
// --workers: train and infer modes on N threads (data parallel: the main thread and N−1 worker threads each
// compute 1/N of the batch — gradients summed, or probabilities — @medxfer/train/node's createGradientWorkers,
// as `medxfer train --workers N` trains and evaluates). Several values: one record each. Records carry `workers` (1: the plain single-process step). PyTorch runs at 1 thread and at each
// --workers value above 1, and the ratios pair equal thread counts.
// --threads: wasm rows with each convolution split across N kernel threads (useKernelThreads from
// @medxfer/models/node, as `medxfer train --threads N`: the same bits as one thread), one worker. Records
// carry `kernelThreads`; a row's thread count against PyTorch is workers × kernel threads.
// --rounds N: measure everything (medxfer's rows, then PyTorch's) N times over and report each row's median and
// each ratio's median with its range over the rounds (a ratio pairs the two sides of one round): the shared
// machines drift by ±15 % and more between minutes. Records carry `round`.
// Each (backend, size) runs in its own child process, so peakRssMB is that case's own peak.
// See bench/README.md.
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '28,64,224' },
    backends: { type: 'string', default: 'cpu,wasm' },
    modes: { type: 'string', default: 'infer,train,frozen' },
    batch: { type: 'string' },
    steps: { type: 'string' },
    warmup: { type: 'string' },
    json: { type: 'string' },
    'no-torch': { type: 'boolean', default: false },
    models: { type: 'string' }, // alternative @medxfer/models entry (a baseline build), for A/B runs
    workers: { type: 'string', default: '1,2' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
    volumes: { type: 'string', default: '28,64' },
    convs: { type: 'string', default: 'acs,2.5d,3d' },
    'no-plain': { type: 'boolean', default: false }, // skip the plain tfjs (tf.layers + fit) comparison
    'no-loader': { type: 'boolean', default: false }, // skip the loader rows (bench/loader.mjs)
    'no-relaxed': { type: 'boolean', default: false }, // medxfer's wasm kernels without relaxed SIMD (multiply then add)
    'no-winograd': { type: 'boolean', default: false }, // direct convolutions only (an A/B of Winograd; one-thread rows)
    case: { type: 'string' }, // internal: run one case in this (child) process
  },
});

// PyTorch 1.13 CPU, one thread, batch 32, same model (TFJS-FACTS.md, measured on this machine kind).
const TORCH_REFERENCE = { 28: { infer: 1284, train: 196 }, 64: { infer: 356, train: 89 }, 224: { infer: 25, train: 8 } };

if (args.case) {
  await runCase(JSON.parse(args.case));
} else {
  await main();
}

async function main() {
  const rounds = Number(args.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: a whole number from 1, got ${args.rounds}`);
  const volumes = args.volumes ? args.volumes.split(',').map(Number) : [];
  const threads = [...new Set([1, ...args.workers.split(',').map(Number), ...threadCounts()])];
  const records = [];
  const torchRounds = [];
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) process.stderr.write(`round ${round} of ${rounds}\n`);
    const measured = await measureMedxfer(volumes);
    records.push(...measured.map((r) => (rounds > 1 ? { ...r, round } : r)));
    const torch = args['no-torch'] ? undefined : runTorch([...new Set(measured.filter((r) => !r.volume).map((r) => r.size))], Number(args.batch ?? 32), volumes, args.convs, threads);
    torchRounds.push(torch);
  }
  const torch = torchRounds.every(Boolean) ? torchRounds.flat() : undefined;
  printTable(rounds > 1 ? medianRecords(records) : records);
  printPlain(records);
  printTorch(records, rounds > 1 ? torchRounds : [torchRounds[0]], args['no-torch']);
  if (!args['no-loader']) records.push(...runLoader());
  const out = join(here, 'out');
  mkdirSync(out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const payload = JSON.stringify(records, null, 2);
  writeFileSync(join(out, `bench-${stamp}.json`), payload);
  if (torch) writeFileSync(join(out, `torch-${stamp}.json`), JSON.stringify(torch, null, 2));
  if (args.json) writeFileSync(args.json, payload);
  console.log(`\nrecords: ${join('bench/out', `bench-${stamp}.json`)}${args.json ? ` and ${args.json}` : ''}`);
}

/** One round of medxfer's rows: each case in its own child process. */
async function measureMedxfer(volumes) {
  const sizes = args.sizes.split(',').map(Number);
  const backends = args.backends.split(',');
  const modes = args.modes.split(',');
  const records = [];
  for (const backend of backends) {
    for (const size of sizes) {
      // The cpu backend is plain JS (a training step takes seconds even at 28 px): 28 px only, unless
      // --backends is given explicitly.
      if (backend === 'cpu' && size !== 28 && !process.argv.some((a) => a.startsWith('--backends'))) continue;
      // Worker threads install the kernels with their defaults (Winograd on): --no-winograd measures one thread.
      const workerCounts = args['no-winograd'] ? [1] : args.workers.split(',').map(Number);
      const kernelThreads = backend === 'wasm' && !args['no-winograd'] ? threadCounts() : [];
      const runs = (mode) => [...(mode === 'frozen' ? [1] : workerCounts).map((workers) => ({ workers, kernelThreads: 1 })), ...kernelThreads.map((k) => ({ workers: 1, kernelThreads: k }))];
      for (const mode of modes) for (const { workers, kernelThreads: kernel } of runs(mode)) {
        const batch = Number(args.batch ?? (backend === 'wasm' && size >= 224 && mode !== 'infer' ? 16 : 32));
        const slow = backend === 'cpu';
        const c = {
          backend, size, mode, batch,
          warmup: Number(args.warmup ?? (slow ? 1 : 2)),
          steps: Number(args.steps ?? (slow ? (mode === 'infer' ? 2 : 1) : mode === 'train' ? 5 : 10)),
          models: args.models,
          workers,
          kernelThreads: kernel,
          relaxed: !args['no-relaxed'],
          winograd: !args['no-winograd'],
        };
        process.stderr.write(`… ${backend} ${size}px ${mode} batch ${batch}${workers > 1 ? ` workers ${workers}` : ''}${kernel > 1 ? ` kernel threads ${kernel}` : ''}\n`);
        records.push(await runInChild(c));
        if (workers === 1 && kernel === 1 && !args['no-plain']) {
          process.stderr.write(`… plain tfjs (tf.layers + fit): ${backend} ${size}px ${mode} batch ${batch}\n`);
          records.push(await runInChild({ ...c, impl: 'plain-tfjs', ...(slow && mode !== 'infer' ? { warmup: 1, steps: 1 } : {}) }));
          if (backend === 'wasm') {
            // The same tf.layers model after useMedxferKernels(): what medxfer's kernels give any tfjs code.
            process.stderr.write(`… plain tfjs + medxfer's wasm kernels: ${size}px ${mode} batch ${batch}\n`);
            records.push(await runInChild({ ...c, impl: 'plain-tfjs+kernels' }));
          }
        }
      }
    }
  }
  for (const size of volumes) {
    for (const volume of args.convs.split(',')) {
      for (const mode of modes.filter((m) => m !== 'frozen')) {
        const batch = size >= 64 ? 4 : 8;
        process.stderr.write(`… wasm ${size}³ ${volume} ${mode} batch ${batch}\n`);
        records.push(await runInChild({ backend: 'wasm', size, mode, batch, volume, warmup: 1, steps: mode === 'train' ? 3 : 5, models: args.models, workers: 1, relaxed: !args['no-relaxed'] }));
      }
    }
  }
  return records;
}

// Functions below are declarations, not consts: main() runs (top-level await) before this part of the module.
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** What identifies a row across rounds. */
function rowKey(r) {
  return [r.impl, r.backend, r.size, r.mode, r.batch, r.workers ?? 1, r.kernelThreads ?? 1, r.volume ?? ''].join('|');
}

/** One record per row: the median img/s over the rounds (a row that failed in any round shows as failed). */
function medianRecords(records) {
  const rows = new Map();
  for (const r of records) rows.set(rowKey(r), [...(rows.get(rowKey(r)) ?? []), r]);
  return [...rows.values()].map((runs) => ({
    ...runs[0],
    imgPerS: runs.some((r) => r.imgPerS === null) ? null : median(runs.map((r) => r.imgPerS)),
    peakRssMB: Math.max(...runs.map((r) => r.peakRssMB)),
  }));
}

/** --threads as kernel-thread counts above 1. */
function threadCounts() {
  return args.threads ? args.threads.split(',').map(Number).filter((n) => n > 1) : [];
}

/** Threads a record's step runs on: data-parallel workers × kernel threads. */
function threadsOf(r) {
  return (r.workers ?? 1) * (r.kernelThreads ?? 1);
}

/** The loader rows (bench/loader.mjs): reading 224 px batches from disk against the training step, md5 MB/s. */
function runLoader() {
  const json = join(tmpdir(), `medxfer-loader-${process.pid}.json`);
  console.log('\nloader (datasets on disk, 224 px):');
  execFileSync(process.execPath, [join(here, 'loader.mjs'), '--json', json], { stdio: 'inherit' });
  const records = JSON.parse(readFileSync(json, 'utf8'));
  rmSync(json);
  return records;
}

function runInChild(c) {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--case', JSON.stringify(c)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    child.on('message', resolve);
    child.on('exit', (code) => (code ? reject(new Error(`case ${JSON.stringify(c)} exited with ${code}`)) : undefined));
  });
}

function printTable(records) {
  const head = ['impl', 'backend', 'size', 'mode', 'batch', 'threads', 'workers', 'kernel thr', 'img/s', 'ms/step', 'peak RSS MB'];
  // Volume rows: size 28³ acs, images (or volumes) per second.
  const rows = records.map((r) => [r.impl, r.backend, r.volume ? `${r.size}³ ${r.volume}` : `${r.size}`, r.mode, `${r.batch}`, `${r.threads}`, `${r.workers ?? 1}`, `${r.kernelThreads ?? 1}`, r.imgPerS === null ? 'fails' : r.imgPerS.toFixed(1), r.imgPerS === null ? '' : ((1000 * r.batch) / r.imgPerS).toFixed(0), `${r.peakRssMB}`]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of rows) console.log(line(r));
}

function printPlain(records) {
  const plain = records.filter((r) => r.impl.startsWith('plain-tfjs'));
  if (!plain.length) return;
  console.log('\nmedxfer against plain tfjs (a tf.layers ResNet18 trained with model.fit, same backend and batch):');
  for (const p of plain) {
    const m = records.find((r) => r.impl === 'medxfer' && threadsOf(r) === 1 && r.backend === p.backend && r.size === p.size && r.mode === p.mode);
    const kernels = p.impl === 'plain-tfjs+kernels';
    const what = `  ${p.backend.padEnd(4)} ${String(p.size).padStart(3)}px ${p.mode.padEnd(6)}${kernels ? ' (plain + useMedxferKernels())' : ''}`;
    if (p.imgPerS === null) console.log(`${what} plain tfjs cannot run it: ${p.error}`);
    else if (m) console.log(`${what} medxfer ${m.imgPerS.toFixed(1).padStart(7)} img/s  plain ${p.imgPerS.toFixed(1).padStart(7)}  ×${(m.imgPerS / p.imgPerS).toFixed(1)}`);
  }
}

/** The first Python with torch and torchvision: $MEDXFER_PYTHON, python3 on the PATH, then Debian's own (where apt installs python3-torch). */
function torchPython() {
  for (const python of [process.env.MEDXFER_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean)) {
    try {
      execFileSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' });
      return python;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

function runTorch(sizes, batch, volumes, convs, threadCounts) {
  const python = torchPython();
  if (!python) return undefined;
  try {
    return threadCounts.flatMap((threads) => {
      const volumeArgs = volumes.length && threads === 1 ? ['--volumes', volumes.join(','), '--convs', convs] : [];
      process.stderr.write(`… PyTorch, ${threads} thread${threads > 1 ? 's' : ''}\n`);
      const out = execFileSync(python, [join(here, 'torch_bench.py'), '--sizes', sizes.join(','), '--batch', String(batch), '--threads', String(threads), ...volumeArgs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      return JSON.parse(out.trim().split('\n').pop());
    });
  } catch (error) {
    console.log(`PyTorch bench failed: ${error.message}`);
    return undefined;
  }
}

/** TORCH_REFERENCE as records. */
function torchReference() {
  return Object.entries(TORCH_REFERENCE).flatMap(([size, m]) => Object.entries(m).map(([mode, imgPerS]) => ({ size: Number(size), mode, threads: 1, imgPerS })));
}

/**
 * medxfer against PyTorch at equal thread counts. `torchRounds[i]` is PyTorch's records of round i + 1 (one
 * entry: a single round, whose records carry no round); with several, each ratio pairs one round's two sides
 * and the line shows the median ratio and its range.
 */
function printTorch(records, torchRounds, skipped) {
  const measured = torchRounds.every(Boolean);
  let references = torchRounds;
  if (!measured && skipped) {
    console.log('\n--no-torch: ratios below use PyTorch measured earlier on this machine kind (1.13 CPU, 1 thread, batch 32).');
    references = torchRounds.map(torchReference);
  } else if (!measured) {
    console.log('\nPyTorch is not installed here (python3 -c "import torch, torchvision" fails). To measure it on this machine:');
    console.log('  apt-get install python3-torch python3-torchvision   # Debian; or pip install torch torchvision');
    console.log('  python3 bench/torch_bench.py --sizes 28,64           # npm run bench then runs it too');
    console.log('Ratios below use PyTorch (measured earlier on this machine kind): 1.13 CPU, 1 thread, batch 32.');
    references = torchRounds.map(torchReference);
  } else {
    const rounds = torchRounds.length > 1 ? `; median of ${torchRounds.length} rounds, the ratio's range in brackets` : '';
    console.log(`\nPyTorch ${torchRounds[0][0]?.torch ?? ''} on this machine (bench/torch_bench.py, torch.set_num_threads(N)), equal thread counts${rounds}:`);
  }
  // Issue #21's goals: training ≥ 0.8× at every size; inference ≥ 1.0× at 28 px, ≥ 0.8× above.
  const goal = (mode, size) => (mode === 'train' ? 0.8 : mode === 'infer' ? (size <= 28 ? 1 : 0.8) : undefined);
  const lines = new Map();
  references.forEach((reference, i) => {
    const round = references.length > 1 ? i + 1 : undefined;
    for (const threads of [...new Set(reference.map((t) => t.threads ?? 1))]) {
      for (const r of records.filter((x) => x.impl === 'medxfer' && x.backend === 'wasm' && x.round === round && (threads === 1 || !x.volume))) {
        // medxfer's threads share each batch's images (training: its chunks); the frozen step has one thread,
        // so its one-thread figure stands against PyTorch's N.
        const own = threadsOf(r);
        if (own !== threads && !(own === 1 && r.mode === 'frozen' && threads > 1)) continue;
        const ref = reference.find((t) => t.size === r.size && t.mode === r.mode && t.volume === r.volume && (t.threads ?? 1) === threads);
        if (!ref) continue;
        const key = `${threads}|${rowKey(r)}`;
        const line = lines.get(key) ?? { threads, r, own, ours: [], theirs: [], ratios: [] };
        line.ours.push(r.imgPerS);
        line.theirs.push(ref.imgPerS);
        line.ratios.push(r.imgPerS / ref.imgPerS);
        lines.set(key, line);
      }
    }
  });
  for (const { threads, r, own, ours, theirs, ratios } of lines.values()) {
    const how = (r.kernelThreads ?? 1) > 1 ? 'kern' : 'thr';
    const what = r.volume ? `${r.size}³ ${r.volume.padEnd(4)}` : `${String(r.size).padStart(3)}px`;
    const unit = r.volume ? 'vol/s' : 'img/s';
    const g = r.volume ? undefined : goal(r.mode, r.size);
    const range = ratios.length > 1 ? ` [${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}]` : '';
    console.log(`  ${threads} thr ${what} ${r.mode.padEnd(6)} medxfer ${own} ${how} ${median(ours).toFixed(1).padStart(7)} ${unit}  PyTorch ${median(theirs).toFixed(1).padStart(7)}  ratio ${median(ratios).toFixed(3)}${range}${g ? `  (goal ≥ ${g})` : ''}`);
  }
}

async function runCase(c) {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
  const models = await import(c.models ? new URL(c.models, `file://${process.cwd()}/`).href : '@medxfer/models');
  const { ResNet18, wasmKernelsBuild } = models;
  // Older builds (a --models comparison) installed the kernels themselves and named the call installWasmKernels.
  const useMedxferKernels = models.useMedxferKernels ?? models.installWasmKernels;
  const { Adam, crossEntropy } = await import('@medxfer/train');
  // As the CLI does: fused multiply-adds in medxfer's wasm convolutions where relaxed SIMD can be on (Node 20: a V8 flag).
  if (c.relaxed) (await import('@medxfer/models/node')).enableRelaxedSimd();
  setWasmPaths(join(here, '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist', '/'));
  if (!(await tf.setBackend(c.backend))) throw new Error(`backend ${c.backend} failed to initialise`);
  await tf.ready();
  if (c.impl === 'plain-tfjs' || c.impl === 'plain-tfjs+kernels') {
    if (c.impl === 'plain-tfjs+kernels' && !useMedxferKernels()) throw new Error('medxfer wasm kernels unavailable');
    const { timePlain } = await import('./plain-tfjs.mjs');
    const x = tf.randomUniform([c.batch, c.size, c.size, 1], 0, 1, 'float32', 7);
    const y = tf.tensor1d(Int32Array.from({ length: c.batch }, (_, i) => i % 2), 'int32');
    const { seconds, error } = await timePlain(c, x, y);
    const record = {
      impl: c.impl, backend: c.backend, size: c.size, mode: c.mode, batch: c.batch, threads: c.backend === 'wasm' ? (tf.backend().wasm?.tfjs?.numThreads?.() ?? 1) : 1, workers: 1,
      imgPerS: error ? null : (c.batch * c.steps) / seconds, ...(error ? { error } : {}),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), steps: c.steps,
    };
    process.send(record, () => process.exit(0));
    return;
  }
  if (c.backend === 'wasm') useMedxferKernels(models.useMedxferKernels && c.winograd === false ? { winograd: false } : undefined);
  const kernelThreads = (c.kernelThreads ?? 1) > 1 ? await (await import('@medxfer/models/node')).useKernelThreads(c.kernelThreads) : undefined;
  const model = new ResNet18({ numClasses: 2, input: 'grey', seed: 1, ...(c.volume ? { volume: c.volume } : {}) });
  const x = tf.randomUniform([c.batch, ...(c.volume ? [c.size] : []), c.size, c.size, 1], 0, 1, 'float32', 7);
  const y = tf.tensor1d(Int32Array.from({ length: c.batch }, (_, i) => i % 2), 'int32');
  const optimizer = new Adam();
  const nameOf = new Map([...model.params].map(([name, v]) => [v.name, name]));
  const settings = () => ({ lr: 1e-4, weightDecay: 0 });
  const applyGrads = (grads) => optimizer.apply(model.params, new Map(Object.entries(grads).map(([k, g]) => [nameOf.get(k), g])), settings);
  const all = [...model.params.values()];
  const head = model.parameterNames(['head']).map((n) => model.params.get(n));
  const workers = (c.workers ?? 1) > 1 ? (await import('@medxfer/train/node')).createGradientWorkers({ workers: c.workers, backend: c.backend }) : undefined;
  const imageShape = [c.batch, ...(c.volume ? [c.size] : []), c.size, c.size, 1];
  const xData = workers ? x.dataSync().slice() : undefined;
  const yData = workers ? y.dataSync().slice() : undefined;
  const allTrain = { stem: 'train', layer1: 'train', layer2: 'train', layer3: 'train', layer4: 'train', head: 'train' };
  const step = {
    // On N threads: each computes 1/N of the batch's probabilities (predictSplit with the trainer's workers).
    infer: workers ? () => workers.probabilities({ model, images: xData, shape: imageShape, task: 'binary-class' }) : () => tf.tidy(() => void model.predict(x).dataSync()),
    train: workers ? async () => {
      // The same step on `workers` threads: each computes 1/workers of the batch (BatchNorm per chunk).
      const { loss, grads } = await workers.batchGradients({
        model, spec: { names: [...model.params.keys()], bn: allTrain, loss: {} }, images: xData, shape: [c.batch, c.size, c.size, 1],
        targets: { data: yData, shape: [c.batch] }, chunkSize: Math.ceil(c.batch / workers.parallelism),
      });
      if (!Number.isFinite(loss)) throw new Error('non-finite loss');
      optimizer.apply(model.params, grads, settings);
      tf.dispose([...grads.values()]);
    } : () => {
      const { value, grads } = tf.variableGrads(() => crossEntropy(model.apply(x, { bn: 'train' }), y), all);
      value.dataSync();
      applyGrads(grads);
      tf.dispose([value, ...Object.values(grads)]);
    },
    frozen: () => {
      const features = tf.tidy(() => model.features(x, { bn: 'frozen', foldBatchNorm: true }));
      const { value, grads } = tf.variableGrads(() => crossEntropy(model.head(features), y), head);
      value.dataSync();
      applyGrads(grads);
      tf.dispose([features, value, ...Object.values(grads)]);
    },
  }[c.mode];
  for (let i = 0; i < c.warmup; i++) await step();
  const t0 = performance.now();
  for (let i = 0; i < c.steps; i++) await step();
  const seconds = (performance.now() - t0) / 1000;
  await workers?.close();
  await kernelThreads?.close();
  const threads = c.backend === 'wasm' ? (tf.backend().wasm?.tfjs?.numThreads?.() ?? 1) : 1;
  const record = {
    impl: 'medxfer',
    backend: c.backend, size: c.size, mode: c.mode, batch: c.batch, threads, workers: c.workers ?? 1, kernelThreads: kernelThreads?.threads ?? 1,
    ...(c.volume ? { volume: c.volume } : {}),
    ...(c.backend === 'wasm' ? { kernels: wasmKernelsBuild() ?? 'tfjs', winograd: c.winograd !== false } : {}),
    imgPerS: (c.batch * c.steps) / seconds,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    steps: c.steps,
  };
  process.send(record, () => process.exit(0));
}
