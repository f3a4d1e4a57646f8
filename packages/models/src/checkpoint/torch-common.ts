/** Pieces shared by the zip and legacy `torch.save` readers. */
import { CorruptCheckpointError, NotAStateDictError } from './errors.js';
import { PickleDict, StorageRef, StorageType, TensorRef } from './pickle.js';
import type { PickleValue } from './pickle.js';

const describe = (v: PickleValue | undefined): string => {
  if (v === null) return 'None';
  if (v instanceof PickleDict) return 'a dict';
  if (v instanceof TensorRef) return 'a tensor';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'a tuple' : 'a list';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v === 'object' ? 'an object' : `a ${typeof v} (${String(v)})`;
};

/**
 * Parses a storage persistent id: `('storage', StorageType, key, location, numel)` (zip) or
 * `('storage', StorageType, key, location, numel, view)` (legacy; `view` is None or `(viewKey, offset, size)`).
 */
export function parseStoragePid(pid: PickleValue, file: string, entry: string, legacy: boolean): StorageRef {
  const bad = (problem: string): never => {
    throw new CorruptCheckpointError(file, entry, `persistent id ${problem}`);
  };
  if (!Array.isArray(pid)) return bad(`is ${describe(pid)}, not a tuple`);
  const t = pid as PickleValue[];
  if (t[0] !== 'storage') return bad(`has type ${describe(t[0])}; only 'storage' is supported`);
  if (t.length !== (legacy ? 6 : 5)) bad(`has ${t.length} fields, expected ${legacy ? 6 : 5}`);
  const [, type, key, location, numel] = t;
  if (!(type instanceof StorageType)) return bad('does not name a torch storage class');
  if (typeof key !== 'string') return bad('key is not a string');
  if (typeof location !== 'string') bad('location is not a string');
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) return bad('element count is not a non-negative integer');
  const view = legacy ? t[5] : null;
  if (view === null || view === undefined) return new StorageRef(key, type.dtype, numel);
  // Legacy storage view: the storage named `viewKey` is `size` elements at `offset` in root storage `key`.
  if (!Array.isArray(view) || view.length !== 3) return bad('storage view is not (key, offset, size)');
  const [, offset, size] = view as PickleValue[];
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return bad('storage view offset is invalid');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return bad('storage view size is invalid');
  if (offset + size > numel) return bad(`storage view (${offset} + ${size} elements) exceeds its root storage (${numel})`);
  return new StorageRef(key, type.dtype, size, offset, numel);
}

/**
 * Checks that a pickled object is a state dict of tensors and returns its entries in order.
 * A dict that holds dicts of tensors (a training checkpoint) is refused with a hint naming them.
 */
export function stateDictEntries(root: PickleValue, file: string): [string, TensorRef][] {
  if (!(root instanceof PickleDict)) throw new NotAStateDictError(file, `the checkpoint holds ${describe(root)}, not a dict`);
  const out: [string, TensorRef][] = [];
  for (const [key, value] of root.items) {
    if (typeof key !== 'string') throw new NotAStateDictError(file, `key ${String(key)} is not a string`);
    if (!(value instanceof TensorRef)) {
      const nested = [...root.items].filter(([, v]) => v instanceof PickleDict && [...v.items.values()].some((x) => x instanceof TensorRef)).map(([k]) => JSON.stringify(k));
      const hint = nested.length ? ` (tensors are nested under ${nested.join(', ')}: this looks like a training checkpoint)` : '';
      throw new NotAStateDictError(file, `entry ${JSON.stringify(key)} holds ${describe(value)}, not a tensor${hint}`);
    }
    out.push([key, value]);
  }
  return out;
}
