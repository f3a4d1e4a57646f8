import type { DownloadProgress, FileProgress } from '@medxfer/data';
import type { BatchProgress, EpochRecord } from '@medxfer/train';
import type { Output } from './output.js';

const formatSeconds = (s: number) => {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
};

/** Hashing and inflating progress on stderr: a bar on a TTY, a line per 10% otherwise; the time left from the rate so far. */
export function fileProgress(out: Output): (p: FileProgress) => void {
  let lastTenth = -1;
  let started = { what: '', at: 0 };
  return (p) => {
    if (started.what !== p.what + p.stage) started = { what: p.what + p.stage, at: performance.now() };
    const fraction = p.total ? p.done / p.total : 1;
    const elapsed = (performance.now() - started.at) / 1000;
    const left = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : Number.NaN;
    const verb = p.stage === 'hash' ? 'checking md5 of' : 'inflating';
    if (elapsed < 1) return; // quick steps (small files) pass without a word
    const text = `${verb} ${p.what}: ${(p.done / 1e9).toFixed(2)} / ${(p.total / 1e9).toFixed(2)} GB, ${formatSeconds(left)} left`;
    if (out.isTTY) process.stderr.write(`\r${text}   ${fraction >= 1 ? '\n' : ''}`);
    else if (Math.floor(fraction * 10) > lastTenth) {
      lastTenth = Math.floor(fraction * 10);
      out.note(text);
    }
  };
}

/** Download progress on stderr: a bar on a TTY, a line per 10% otherwise. */
export function downloadProgress(out: Output): (p: DownloadProgress) => void {
  let lastTenth = -1;
  return (p) => {
    const fraction = p.total ? p.loaded / p.total : 0;
    if (out.isTTY) process.stderr.write(`\rdownloading ${p.url.split('/').pop()?.split('?')[0]}: ${(p.loaded / 1e6).toFixed(1)} MB${p.total ? ` / ${(p.total / 1e6).toFixed(1)} MB` : ''}   `);
    else if (Math.floor(fraction * 10) > lastTenth) {
      lastTenth = Math.floor(fraction * 10);
      out.note(`downloading ${p.url}: ${(p.loaded / 1e6).toFixed(1)} MB${p.total ? ` of ${(p.total / 1e6).toFixed(1)} MB` : ''}`);
    }
  };
}

/** Training progress: a bar redrawn in place on a TTY, plain lines (one per ~10% of an epoch) otherwise. */
export function trainingProgress(out: Output) {
  let lastTenth = -1;
  return {
    onBatchEnd(p: BatchProgress) {
      const text = `${p.phase} epoch ${p.epoch}/${p.totalEpochs} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} ${p.imgPerS.toFixed(1)} img/s ETA ${p.etaScope === 'phase' ? `this phase ${formatSeconds(p.etaSeconds)}` : formatSeconds(p.etaSeconds)}`;
      if (out.isTTY) {
        const width = 20;
        const filled = Math.round((p.batch / p.batches) * width);
        process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
        if (p.batch === p.batches) process.stderr.write('\n');
      } else {
        const tenth = Math.floor((p.batch / p.batches) * 10);
        if (tenth !== lastTenth || p.batch === p.batches) out.note(text);
        lastTenth = p.batch === p.batches ? -1 : tenth;
      }
    },
    onEpochEnd(r: EpochRecord) {
      const val = r.valAcc !== undefined ? ` val loss ${r.valLoss!.toFixed(4)} acc ${r.valAcc.toFixed(4)} auc ${r.valAuc!.toFixed(4)}` : '';
      out.note(`epoch ${r.epoch} (${r.phase}) train loss ${r.trainLoss.toFixed(4)} acc ${r.trainAcc.toFixed(4)}${val} — ${r.seconds.toFixed(1)} s, ${r.imgPerS.toFixed(1)} img/s${r.cachedFeatures ? ', cached features' : ''}`);
    },
  };
}

/** Bootstrap progress on stderr for large inputs: a counter redrawn on a TTY, a line per 10% otherwise. */
export function bootstrapProgress(out: Output): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    if (out.isTTY) process.stderr.write(`\rbootstrap: ${done}/${total} resamples${done === total ? '\n' : ''}`);
    else if (Math.floor((done / total) * 10) > lastTenth) {
      lastTenth = Math.floor((done / total) * 10);
      out.note(`bootstrap: ${done}/${total} resamples`);
    }
  };
}
