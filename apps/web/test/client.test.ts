import { describe, expect, it } from 'vitest';
import { createClient, WorkerError, type WorkerLike } from '../src/client.js';
import type { FromWorker, ToWorker, WorkerEvent } from '../src/protocol.js';

function fakeWorker() {
  const listeners: Record<string, ((e: unknown) => void)[]> = { message: [], error: [] };
  const sent: { message: ToWorker; transfer?: Transferable[] }[] = [];
  const worker: WorkerLike = {
    postMessage: (message, transfer) => void sent.push({ message, transfer }),
    addEventListener: (type: string, l: (e: never) => void) => void listeners[type]!.push(l as (e: unknown) => void),
  };
  const reply = (data: FromWorker) => listeners.message!.forEach((l) => l({ data }));
  const fail = (message: string) => listeners.error!.forEach((l) => l({ message }));
  return { worker, sent, reply, fail };
}

describe('worker client', () => {
  it('matches replies to requests by id and passes events on', async () => {
    const { worker, sent, reply } = fakeWorker();
    const events: WorkerEvent[] = [];
    const client = createClient(worker, (e) => events.push(e));
    const a = client.request({ type: 'evaluate' });
    const b = client.request({ type: 'set-backend', name: 'wasm' });
    expect(sent.map((s) => s.message)).toEqual([
      { id: 1, type: 'evaluate' },
      { id: 2, type: 'set-backend', name: 'wasm' },
    ]);
    reply({ kind: 'event', type: 'status', text: 'hello' });
    reply({ kind: 'reply', id: 2, ok: true, value: { name: 'wasm', detail: 'SIMD' } });
    reply({ kind: 'reply', id: 1, ok: false, error: 'boom', name: 'ModelError' });
    await expect(b).resolves.toEqual({ name: 'wasm', detail: 'SIMD' });
    const error = await a.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as WorkerError).message).toBe('boom');
    expect((error as WorkerError).name).toBe('ModelError');
    expect(events).toEqual([{ kind: 'event', type: 'status', text: 'hello' }]);
  });

  it('sends controls without an id and rejects everything pending when the worker dies', async () => {
    const { worker, sent, fail } = fakeWorker();
    const client = createClient(worker, () => {});
    client.control({ type: 'stop' });
    expect(sent[0]!.message).toEqual({ type: 'stop' });
    const pending = client.request({ type: 'evaluate' });
    fail('out of memory');
    await expect(pending).rejects.toThrow(/worker failed: out of memory/);
  });
});
