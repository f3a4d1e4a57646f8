/**
 * The legacy `torch.save` format (`_use_new_zipfile_serialization=False`, torch < 1.6 by default):
 * five pickles back to back (magic number, protocol version, sys_info, the object, the storage keys),
 * then, per key in that list's order, an int64 little-endian element count and the raw elements.
 */
import { CorruptCheckpointError } from './errors.js';
import { PickleDict, unpickle } from './pickle.js';
import type { PickleValue } from './pickle.js';
import { DTYPE_ITEMSIZE, materializeTensor } from './tensor.js';
import type { CheckpointDtype, CheckpointTensor } from './tensor.js';
import { parseStoragePid, stateDictEntries } from './torch-common.js';

/** The first pickle of a legacy checkpoint. */
export const LEGACY_MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
/** The protocol version the second pickle holds. */
export const LEGACY_PROTOCOL_VERSION = 1001;

/** True when `bytes` starts with the legacy header pickle (`PROTO 2`, `LONG1` magic number). */
export function isTorchLegacy(bytes: Uint8Array): boolean {
  if (bytes.length < 14 || bytes[0] !== 0x80 || bytes[1] !== 0x02 || bytes[2] !== 0x8a || bytes[3] !== 10) return false;
  let v = 0n;
  for (let i = 13; i >= 4; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v === LEGACY_MAGIC_NUMBER;
}

/**
 * Reads a legacy-format PyTorch checkpoint into an ordered map of tensors, in the state dict's order.
 * Storage data is read as little-endian, as torch writes it on every host.
 */
export function readTorchLegacy(bytes: Uint8Array, file = '<checkpoint>'): Map<string, CheckpointTensor> {
  const part = (i: number, what: string) => `legacy pickle ${i} of 5 (${what})`;

  let r = unpickle(bytes, { file, entry: part(1, 'magic number') });
  if (r.value !== LEGACY_MAGIC_NUMBER) throw new CorruptCheckpointError(file, part(1, 'magic number'), `magic number is ${String(r.value)}, not ${LEGACY_MAGIC_NUMBER}: this is not a legacy torch checkpoint`);

  r = unpickle(bytes, { file, entry: part(2, 'protocol version'), start: r.end });
  if (r.value !== LEGACY_PROTOCOL_VERSION) throw new CorruptCheckpointError(file, part(2, 'protocol version'), `protocol version is ${String(r.value)}, expected ${LEGACY_PROTOCOL_VERSION}`);

  r = unpickle(bytes, { file, entry: part(3, 'sys_info'), start: r.end });
  if (!(r.value instanceof PickleDict)) throw new CorruptCheckpointError(file, part(3, 'sys_info'), 'sys_info is not a dict');

  const stateEntry = part(4, 'state dict');
  const roots = new Map<string, { dtype: CheckpointDtype; numel: number }>();
  r = unpickle(bytes, {
    file,
    entry: stateEntry,
    start: r.end,
    persistentLoad: (pid) => {
      const ref = parseStoragePid(pid, file, stateEntry, true);
      const root = roots.get(ref.key);
      if (!root) roots.set(ref.key, { dtype: ref.dtype, numel: ref.rootNumel });
      else if (DTYPE_ITEMSIZE[root.dtype] !== DTYPE_ITEMSIZE[ref.dtype] || root.numel !== ref.rootNumel) {
        throw new CorruptCheckpointError(file, stateEntry, `storage ${JSON.stringify(ref.key)} is described inconsistently`);
      }
      return ref;
    },
  });
  const entries = stateDictEntries(r.value, file);

  const keysEntry = part(5, 'storage keys');
  r = unpickle(bytes, { file, entry: keysEntry, start: r.end });
  const keys: PickleValue = r.value;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new CorruptCheckpointError(file, keysEntry, 'the storage key list is not a list of strings');

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const storages = new Map<string, Uint8Array>();
  let pos = r.end;
  for (const key of keys as string[]) {
    const root = roots.get(key);
    const where = `storage ${JSON.stringify(key)}`;
    if (!root) throw new CorruptCheckpointError(file, where, 'the key list names a storage that the state dict does not use');
    if (storages.has(key)) throw new CorruptCheckpointError(file, where, 'the key list names this storage twice');
    if (pos + 8 > bytes.length) throw new CorruptCheckpointError(file, where, `truncated: the file ends at byte ${bytes.length} before the storage's element count`);
    const count = Number(view.getBigInt64(pos, true));
    pos += 8;
    if (count !== root.numel) throw new CorruptCheckpointError(file, where, `the file holds ${count} elements but the state dict declares ${root.numel}`);
    const size = count * DTYPE_ITEMSIZE[root.dtype];
    if (pos + size > bytes.length) throw new CorruptCheckpointError(file, where, `truncated: ${size} bytes of data at byte ${pos} run past the end of the file (${bytes.length} bytes)`);
    storages.set(key, bytes.subarray(pos, pos + size));
    pos += size;
  }

  const out = new Map<string, CheckpointTensor>();
  for (const [name, ref] of entries) {
    const root = storages.get(ref.storage.key);
    if (!root) throw new CorruptCheckpointError(file, `storage ${JSON.stringify(ref.storage.key)}`, `tensor ${JSON.stringify(name)} uses a storage that is missing from the key list`);
    const itemsize = DTYPE_ITEMSIZE[ref.storage.dtype];
    const data = root.subarray(ref.storage.viewOffset * itemsize, (ref.storage.viewOffset + ref.storage.numel) * itemsize);
    out.set(name, materializeTensor(file, name, ref.storage.dtype, data, ref));
  }
  return out;
}
