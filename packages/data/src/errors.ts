/** Base class of every error `@medxfer/data` throws; `code` is stable for programs to branch on. */
export class DataError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A zip/npz archive that is truncated, corrupt, or not a zip at all. */
export class CorruptArchiveError extends DataError {
  constructor(readonly file: string, problem: string, options?: { cause?: unknown }) {
    super('CORRUPT_ARCHIVE', `${file}: ${problem}. The file is damaged or incomplete: download it again or restore it from a good copy.`, options);
  }
}

/** A zip entry whose name would escape its folder (`../x`, `/etc/x`). */
export class UnsafeEntryNameError extends DataError {
  constructor(readonly file: string, readonly entry: string) {
    super('UNSAFE_ENTRY_NAME', `${file}: entry name ${JSON.stringify(entry)} climbs out of the archive (absolute path or '..'); refusing to read it.`);
  }
}

/** An NPY array that cannot be read: bad magic, header, dtype, order or byte count. */
export class NpyFormatError extends DataError {
  constructor(readonly file: string, problem: string) {
    super('NPY_FORMAT', `${file}: ${problem}`);
  }
}

/** A file whose checksum is not the expected one. */
export class ChecksumMismatchError extends DataError {
  constructor(
    readonly file: string,
    readonly algorithm: 'md5' | 'sha256',
    readonly expected: string,
    readonly actual: string,
    advice: string,
  ) {
    super('CHECKSUM_MISMATCH', `${file}: ${algorithm} is ${actual}, expected ${expected}. ${advice}`);
  }
}

/** A dataset flag, size or split that the catalogue does not know. */
export class UnknownDatasetError extends DataError {
  constructor(message: string) {
    super('UNKNOWN_DATASET', message);
  }
}

/** A dataset file that is neither cached nor downloadable (offline, HTTP error). */
export class DatasetUnavailableError extends DataError {
  constructor(readonly file: string, message: string, options?: { cause?: unknown }) {
    super('DATASET_UNAVAILABLE', message, options);
  }
}

/** An NPZ that lacks the arrays a MedMNIST file must have, or has them with the wrong shapes. */
export class DatasetFormatError extends DataError {
  constructor(readonly file: string, problem: string) {
    super('DATASET_FORMAT', `${file}: ${problem}`);
  }
}

/** A file too large to read whole (Node reads at most 2 GiB into one buffer; one array holds at most 4 GiB). */
export class FileTooLargeError extends DataError {
  constructor(readonly file: string, readonly bytes: number) {
    super('FILE_TOO_LARGE', `${file}: ${(bytes / 2 ** 30).toFixed(2)} GiB is more than one array in memory holds (2 GiB); open it from a file on disk (a store with open(), as nodeStore), where it is read by offset`);
  }
}

/** A file that changed (or shrank) while medxfer was reading it. */
export class FileChangedError extends DataError {
  constructor(readonly file: string, problem: string) {
    super('FILE_CHANGED', `${file} ${problem} while medxfer was reading it; let whatever writes it finish, then run again`);
  }
}
