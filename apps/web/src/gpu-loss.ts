// GPU device and context loss, watched on the active backend: WebGPU's `device.lost`, WebGL's
// `webglcontextlost`. Once lost, a GPU backend computes nothing right again (its tensors are gone and
// reads fail or give zeros), so the worker moves the model to wasm (see worker.ts: recoverFromGpuLoss).
import * as tf from '@tensorflow/tfjs-core';

export interface GpuLoss {
  readonly backend: 'webgpu' | 'webgl';
  readonly reason: string;
}

/** The backend loss was seen on; the error thrown where work stops because of it. */
export class GpuLostError extends Error {
  override name = 'GpuLostError';
  constructor(readonly loss: GpuLoss) {
    super(`the ${loss.backend} ${loss.backend === 'webgpu' ? 'device' : 'context'} was lost (${loss.reason})`);
  }
}

interface GpuBackendInternals {
  device?: GPUDevice;
  gpgpu?: { gl: WebGL2RenderingContext };
}

let lost: GpuLoss | undefined;
const waiting = new Set<(loss: GpuLoss) => void>();
const watched = new WeakSet<object>();

const setLost = (loss: GpuLoss) => {
  lost ??= loss;
  for (const wake of waiting) wake(lost);
  waiting.clear();
};

/** Resolves with the loss when it happens (at once if it already has). */
const whenLost = (): Promise<GpuLoss> => (lost ? Promise.resolve(lost) : new Promise((resolve) => waiting.add(resolve)));

/** Starts watching the active backend if it is a GPU one (once per device or context). */
export function watchGpu(name: string): void {
  const backend = tf.backend() as unknown as GpuBackendInternals;
  if (name === 'webgpu' && backend.device && !watched.has(backend.device)) {
    watched.add(backend.device);
    void backend.device.lost.then((info) => setLost({ backend: 'webgpu', reason: info.message || `reason: ${info.reason}` }));
  }
  const canvas = name === 'webgl' ? backend.gpgpu?.gl.canvas : undefined;
  if (canvas && !watched.has(canvas)) {
    watched.add(canvas);
    canvas.addEventListener('webglcontextlost', () => setLost({ backend: 'webgl', reason: 'webglcontextlost' }));
  }
}

/** The loss seen since the last {@link takeGpuLoss}, if any. */
export const gpuLoss = (): GpuLoss | undefined => lost;

/** Returns the loss and forgets it (the worker has handled it). */
export function takeGpuLoss(): GpuLoss | undefined {
  const loss = lost;
  lost = undefined;
  return loss;
}

/** Throws {@link GpuLostError} if the GPU was lost: called between batches, so no step runs on a lost device. */
export function throwIfGpuLost(): void {
  if (lost) throw new GpuLostError(lost);
}

/**
 * After an error on a GPU backend: the loss it came from, if any. The loss event may arrive a little after
 * the failing call, so this waits for it up to `waitMs`.
 */
export async function lossBehind(backend: string, waitMs = 1500): Promise<GpuLoss | undefined> {
  if (lost || (backend !== 'webgpu' && backend !== 'webgl')) return lost;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([whenLost(), new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
  clearTimeout(timer);
  return lost;
}

/**
 * `work`, or a {@link GpuLostError} as soon as the GPU is lost: a read on a lost WebGL context can wait for its
 * fence forever, so the loss must not wait for the work to fail.
 */
export function raceGpuLoss<T>(work: Promise<T>): Promise<T> {
  return Promise.race([work, whenLost().then((loss) => Promise.reject(new GpuLostError(loss)))]);
}

/**
 * Gives the named GPU backend a fresh start the next time it is chosen (a new device or context): tfjs keeps
 * the lost one's instance otherwise.
 */
export function forgetBackend(name: string): void {
  const factory = tf.findBackendFactory(name);
  if (!factory) return;
  tf.removeBackend(name);
  tf.registerBackend(name, factory, name === 'webgpu' ? 3 : 2);
}

/**
 * Loses the active GPU device or context on purpose: `device.destroy()` or `WEBGL_lose_context`. For tests
 * and for trying the recovery by hand (the worker exposes it as `medxferDebug.loseGpu()`).
 */
export function loseGpuNow(): string {
  const backend = tf.backend() as unknown as GpuBackendInternals;
  if (backend.device) {
    backend.device.destroy();
    return 'webgpu: device.destroy()';
  }
  const gl = backend.gpgpu?.gl;
  const ext = gl?.getExtension('WEBGL_lose_context');
  if (ext) {
    ext.loseContext();
    return 'webgl: WEBGL_lose_context.loseContext()';
  }
  return `${tf.getBackend()}: not a GPU backend, nothing to lose`;
}
