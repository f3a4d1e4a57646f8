// The page's side of the worker: requests as promises, events to a listener.
import type { Control, FromWorker, ReplyTypes, Request, ToWorker, WorkerEvent } from './protocol.js';

export class WorkerError extends Error {
  constructor(message: string, override readonly name: string) {
    super(message);
  }
}

export interface WorkerLike {
  postMessage(message: ToWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<FromWorker>) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
}

export function createClient(worker: WorkerLike, onEvent: (event: WorkerEvent) => void) {
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  worker.addEventListener('message', (event) => {
    const m = event.data;
    if (m.kind === 'event') {
      onEvent(m);
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new WorkerError(m.error, m.name));
  });
  worker.addEventListener('error', (event) => {
    const error = new WorkerError(`the worker failed: ${event.message || 'unknown error'}`, 'WorkerError');
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  });
  return {
    request<T extends Request['type']>(request: Extract<Request, { type: T }>, transfer: Transferable[] = []): Promise<ReplyTypes[T]> {
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        worker.postMessage({ id, ...request } as ToWorker, transfer);
      });
    },
    control(message: Control) {
      worker.postMessage(message);
    },
  };
}

export type Client = ReturnType<typeof createClient>;
