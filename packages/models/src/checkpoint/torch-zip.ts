/** The default `torch.save` format (torch ≥ 1.6): a zip of `<prefix>/data.pkl` and one entry per storage. */
import { CorruptArchiveError, UnsafeEntryNameError, readZip } from '@medxfer/data';
import type { ZipArchive } from '@medxfer/data';
import { CheckpointError, CorruptCheckpointError, NotAStateDictError } from './errors.js';
import { unpickle } from './pickle.js';
import type { StorageRef } from './pickle.js';
import { DTYPE_ITEMSIZE, materializeTensor, swapBytes } from './tensor.js';
import type { CheckpointTensor } from './tensor.js';
import { parseStoragePid, stateDictEntries } from './torch-common.js';

const wrapZipError = (file: string, cause: unknown): never => {
  if (cause instanceof CheckpointError) throw cause;
  if (cause instanceof CorruptArchiveError) {
    // Keep the zip reader's diagnosis, without repeating the file name and the advice.
    let problem = cause.message.startsWith(`${cause.file}: `) ? cause.message.slice(cause.file.length + 2) : cause.message;
    const advice = problem.indexOf('. The file is damaged');
    if (advice > 0) problem = problem.slice(0, advice);
    throw new CorruptCheckpointError(file, undefined, problem, { cause });
  }
  if (cause instanceof UnsafeEntryNameError) throw new CorruptCheckpointError(file, undefined, cause.message, { cause });
  throw cause;
};

/**
 * Reads a zip-format PyTorch checkpoint (what `torch.save(model.state_dict(), path)` writes) into an
 * ordered map of tensors, in the state dict's order. Only state dicts of tensors are accepted.
 */
export function readTorchZip(bytes: Uint8Array, file = '<checkpoint>'): Map<string, CheckpointTensor> {
  let zip: ZipArchive;
  let pkl: Uint8Array;
  let prefix: string;
  try {
    zip = readZip(bytes, file);
    const pickles = zip.entries.filter((e) => /^([^/]+\/)?data\.pkl$/.test(e.name));
    if (pickles.length === 0) throw new CorruptCheckpointError(file, undefined, 'the zip archive has no <folder>/data.pkl entry, so it is not a torch.save checkpoint');
    if (pickles.length > 1) throw new CorruptCheckpointError(file, undefined, `the zip archive has ${pickles.length} data.pkl entries (${pickles.map((e) => e.name).join(', ')})`);
    prefix = pickles[0]!.name.slice(0, -'data.pkl'.length);
    pkl = zip.read(pickles[0]!);
  } catch (cause) {
    return wrapZipError(file, cause);
  }

  if (zip.get(`${prefix}constants.pkl`) || zip.entries.some((e) => e.name.startsWith(`${prefix}code/`))) {
    throw new NotAStateDictError(file, 'this is a TorchScript archive (torch.jit.save), which holds code as well as weights; only state dicts are read');
  }

  let littleEndian = true;
  const byteorder = zip.get(`${prefix}byteorder`);
  if (byteorder) {
    const order = new TextDecoder().decode(readEntry(zip, file, byteorder.name)).trim();
    if (order === 'big') littleEndian = false;
    else if (order !== 'little') throw new CorruptCheckpointError(file, byteorder.name, `unknown byte order ${JSON.stringify(order)}`);
  }

  const entry = `${prefix}data.pkl`;
  const { value } = unpickle(pkl, {
    file,
    entry,
    persistentLoad: (pid) => parseStoragePid(pid, file, entry, false),
  });

  const storages = new Map<string, Uint8Array>();
  const storageBytes = (ref: StorageRef, tensor: string): Uint8Array => {
    const itemsize = DTYPE_ITEMSIZE[ref.dtype];
    const cacheKey = `${ref.key}\u0000${itemsize}`;
    let data = storages.get(cacheKey);
    if (!data) {
      const name = `${prefix}data/${ref.key}`;
      if (!zip.get(name)) throw new CorruptCheckpointError(file, name, `tensor ${JSON.stringify(tensor)} refers to storage ${JSON.stringify(ref.key)} but the entry is missing`);
      data = readEntry(zip, file, name);
      if (data.length % itemsize) throw new CorruptCheckpointError(file, name, `${data.length} bytes is not a whole number of ${itemsize}-byte ${ref.dtype} elements`);
      if (!littleEndian && itemsize > 1) data = swapBytes(data, itemsize);
      storages.set(cacheKey, data);
    }
    return data;
  };

  const out = new Map<string, CheckpointTensor>();
  for (const [name, ref] of stateDictEntries(value, file)) {
    const data = storageBytes(ref.storage, name);
    out.set(name, materializeTensor(file, name, ref.storage.dtype, data, ref));
  }
  return out;
}

function readEntry(zip: ZipArchive, file: string, name: string): Uint8Array {
  try {
    return zip.read(name);
  } catch (cause) {
    return wrapZipError(file, cause);
  }
}
