/**
 * Safe readers for PyTorch checkpoints (zip and legacy `torch.save` formats) and safetensors files,
 * in plain TypeScript for Node, Deno and browsers. Pickles are interpreted by an allowlisting reader:
 * nothing in a file is ever executed, and only state dicts of tensors are accepted.
 */
import { UnrecognizedCheckpointError } from './errors.js';
import { isSafetensors, readSafetensors } from './safetensors.js';
import type { CheckpointTensor } from './tensor.js';
import { isTorchLegacy, readTorchLegacy } from './torch-legacy.js';
import { readTorchZip } from './torch-zip.js';

export {
  CheckpointError,
  CorruptCheckpointError,
  NotAStateDictError,
  StorageTooShortError,
  UnrecognizedCheckpointError,
  UnsafePickleError,
  UnsupportedDtypeError,
} from './errors.js';
export {
  DTYPE_ITEMSIZE,
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  shapeNumel,
  tensorToNumbers,
  type CheckpointData,
  type CheckpointDtype,
  type CheckpointTensor,
} from './tensor.js';
export {
  encodeSafetensors,
  isSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type SafetensorsInput,
} from './safetensors.js';
export { readTorchZip } from './torch-zip.js';
export { encodeTorchCheckpoint, type TorchSaveTensor } from './torch-save.js';
export {
  PickleDict,
  StorageRef,
  StorageType,
  TensorRef,
  unpickle,
  type PickleKey,
  type PickleValue,
  type UnpickleOptions,
  type UnpickleResult,
} from './pickle.js';
export { isTorchLegacy, readTorchLegacy } from './torch-legacy.js';

/** The file formats {@link readCheckpoint} understands. */
export type CheckpointFormat = 'torch-zip' | 'torch-legacy' | 'safetensors';

/** Recognises a checkpoint's format from its first bytes; `undefined` when it is none of them. */
export function detectCheckpointFormat(bytes: Uint8Array): CheckpointFormat | undefined {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'torch-zip';
  if (isTorchLegacy(bytes)) return 'torch-legacy';
  if (isSafetensors(bytes)) return 'safetensors';
  return undefined;
}

const startsWith = (bytes: Uint8Array, text: string) => {
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return bytes.length >= text.length;
};

function whyUnrecognized(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'the file is empty';
  if (bytes.length >= 2 && bytes[0] === 0x80) return 'the file is a bare pickle, not a torch.save checkpoint (no zip container, no legacy magic number)';
  if (startsWith(bytes, 'version https://git-lfs')) return 'the file is a Git LFS pointer, not the checkpoint itself: fetch it with git lfs pull';
  let at = 0;
  while (at < bytes.length && at < 64 && (bytes[at] === 0x20 || bytes[at] === 0x0a || bytes[at] === 0x0d || bytes[at] === 0x09)) at++;
  if (bytes[at] === 0x3c) return 'the file looks like HTML or XML (an error page saved instead of the download?)';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'the file is gzip-compressed: decompress it first';
  if (bytes.length > 262 && startsWith(bytes.subarray(257), 'ustar')) return 'the file is a tar archive (the tar format of torch < 0.4 is not supported)';
  return 'the format is not recognised';
}

/**
 * Reads a checkpoint into an ordered state dict: a PyTorch zip checkpoint, a legacy `torch.save`
 * file, or a safetensors file, detected from the bytes. `file` names it in error messages.
 * Tensors come in the file's order (the state dict's order for PyTorch files). Each tensor is a fresh
 * contiguous copy: the input can be released afterwards.
 */
export function readCheckpoint(input: Uint8Array | ArrayBuffer, file = '<checkpoint>'): Map<string, CheckpointTensor> {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  switch (detectCheckpointFormat(bytes)) {
    case 'torch-zip':
      return readTorchZip(bytes, file);
    case 'torch-legacy':
      return readTorchLegacy(bytes, file);
    case 'safetensors':
      return readSafetensors(bytes, file);
    default:
      throw new UnrecognizedCheckpointError(file, whyUnrecognized(bytes));
  }
}
