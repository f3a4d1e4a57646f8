/**
 * Errors thrown by the checkpoint readers. Every one extends {@link CheckpointError}, whose `code` is
 * stable for programs to branch on; messages name the file (and the entry or tensor) and the problem.
 */

const where = (file: string, entry?: string): string => (entry ? `${file} (${entry})` : file);

/** Base class of every error the checkpoint readers throw. */
export class CheckpointError extends Error {
  readonly code: string;
  /** The file name the caller gave (or a placeholder such as `<checkpoint>`). */
  readonly file: string;
  constructor(code: string, file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.file = file;
  }
}

/**
 * The pickle asks for something outside the allowlist: a global other than the few that rebuild
 * tensors and dicts, a call of a non-allowlisted callable, or an opcode that builds arbitrary objects.
 * Nothing in the file is ever executed, not even before this error.
 */
export class UnsafePickleError extends CheckpointError {
  /**
   * @param what What was refused, e.g. `global os.system`, `call of torch.FloatStorage`,
   *   `opcode NEWOBJ (0x81)`.
   * @param position Byte offset of the opcode in the pickle.
   * @param refused The bare refused name (`os.system`) or opcode name (`NEWOBJ`).
   */
  constructor(
    file: string,
    readonly entry: string | undefined,
    readonly refused: string,
    what: string,
    readonly position: number,
  ) {
    super(
      'UNSAFE_PICKLE',
      file,
      `${where(file, entry)}: refusing to load: the pickle asks for ${what} at byte ${position}, which is not allowed. ` +
        'Nothing was executed. Only state dicts of tensors are accepted (like torch.load(weights_only=True)); ' +
        'a file that needs other objects may run arbitrary code when unpickled. If you trust where it came from, ' +
        'load it in Python and re-save it with torch.save(model.state_dict(), path) or as .safetensors.',
    );
  }
}

/** A checkpoint that is truncated, inconsistent or otherwise damaged. */
export class CorruptCheckpointError extends CheckpointError {
  constructor(
    file: string,
    readonly entry: string | undefined,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super('CORRUPT_CHECKPOINT', file, `${where(file, entry)}: ${problem}. The checkpoint is damaged or incomplete.`, options);
  }
}

/** A tensor whose element type the readers do not support (complex, quantized, float8, uint16…). */
export class UnsupportedDtypeError extends CheckpointError {
  constructor(
    file: string,
    readonly entry: string | undefined,
    readonly dtype: string,
  ) {
    super(
      'UNSUPPORTED_DTYPE',
      file,
      `${where(file, entry)}: element type ${dtype} is not supported. Supported: float32, float16, bfloat16, float64, ` +
        'int64, int32, int16, int8, uint8 and bool. Convert the tensor (e.g. tensor.float()) before saving.',
    );
  }
}

/** A tensor that needs more elements (offset, shape and strides) than its storage holds. */
export class StorageTooShortError extends CheckpointError {
  constructor(
    file: string,
    readonly tensor: string,
    readonly needed: number,
    readonly available: number,
  ) {
    super(
      'STORAGE_TOO_SHORT',
      file,
      `${file}: tensor ${JSON.stringify(tensor)} needs ${needed} elements of its storage but the storage holds only ${available}. ` +
        'The checkpoint is damaged or incomplete.',
    );
  }
}

/** A valid, safe pickle whose content is not a (flat) state dict of tensors. */
export class NotAStateDictError extends CheckpointError {
  constructor(file: string, problem: string) {
    super('NOT_A_STATE_DICT', file, `${file}: ${problem}. Expected a state dict: save model.state_dict() (a flat dict of tensors).`);
  }
}

/** Bytes that are neither a PyTorch checkpoint (zip or legacy) nor a safetensors file. */
export class UnrecognizedCheckpointError extends CheckpointError {
  constructor(file: string, problem: string) {
    super(
      'UNRECOGNIZED_CHECKPOINT',
      file,
      `${file}: ${problem}. Expected a PyTorch checkpoint written by torch.save (zip or legacy format) or a .safetensors file.`,
    );
  }
}
