// Opening a MedMNIST file: from bytes in memory, or from a file read by offset (any size), through a store.
import { datasetFile, datasetInfo, isSingleLabel, SPLITS, type DatasetFile, type DatasetInfo, type ImageSize, type Split } from './catalogue.js';
import type { ChecksumStatus, DatasetSplit, MedMNIST } from './dataset.js';
import { downloadBytes, downloadChunks, type DownloadOptions } from './download.js';
import { ChecksumMismatchError, DataError, DatasetFormatError, DatasetUnavailableError, FileTooLargeError } from './errors.js';
import { md5Hex } from './md5.js';
import { readNpy, type NpyHeader } from './npy.js';
import { npzEntries, type NpzEntry } from './npz.js';
import { bytesFile, readAll, type RandomAccessFile } from './random-access.js';
import { imagesInFile, imagesInMemory, type SplitImages } from './split-images.js';
import type { FileProgress, FileStore, InflateCache } from './store.js';
import { openZip, type ZipArchive, type ZipEntry } from './zip.js';

export interface OpenOptions {
  flag: string;
  size?: number;
  /** Names the bytes in messages and in `source`. */
  source?: string;
  /** As in {@link LoadOptions.verify}; default true. */
  verify?: boolean;
  /** Verify against this md5 instead of the official one: for a known copy that is not the official file. */
  expectedMd5?: string;
}

export interface FileOpenOptions extends OpenOptions {
  /** The file's md5 (e.g. from {@link FileStore.md5}); needed when verifying. */
  md5?: string;
  /** Where large deflated image entries are inflated to; without one they are inflated in memory (up to 2 GiB). */
  cache?: InflateCache;
  /** `false`: leave large deflated image entries that are not in the cache yet unprepared (for a quick look). */
  prepare?: boolean;
  /** Image entries up to this many bytes are read into memory whole; default {@link IN_MEMORY_BYTES}. */
  inMemoryBytes?: number;
  onFileProgress?: (progress: FileProgress) => void;
}

export interface LoadOptions extends DownloadOptions {
  /** Image size, default 28. */
  size?: ImageSize;
  /** Where files are cached; see `nodeStore` in `@medxfer/data/node`. */
  store: FileStore;
  /**
   * `true` (default): the file must have the official md5. `false` is the explicit choice to use a file
   * whose md5 differs (e.g. a re-ordered copy); it is then marked `checksum: 'unverified'`, and a large file is
   * not hashed at all.
   */
  verify?: boolean;
  /** Download the file when the store lacks it (default true). */
  download?: boolean;
  /** As in {@link FileOpenOptions.prepare}. */
  prepare?: boolean;
  /** As in {@link FileOpenOptions.inMemoryBytes}. */
  inMemoryBytes?: number;
  /** Hashing and inflating progress. */
  onFileProgress?: (progress: FileProgress) => void;
}

/** Image entries up to this size are read into memory whole (faster for the small files); larger ones stay on disk. */
export const IN_MEMORY_BYTES = 64 * 2 ** 20;
/** Unverified files up to this size are hashed anyway, so runs can record their md5. */
const HASH_UNASKED_BYTES = 512 * 2 ** 20;
/** The largest array one typed array may hold here. */
const ARRAY_LIMIT = 2 ** 31 - 1;

const SPLIT_KEYS = SPLITS.flatMap((s) => [`${s}_images`, `${s}_labels`]);

/** Loads a MedMNIST dataset from a store, downloading and verifying it first when needed. */
export async function loadMedMNIST(flag: string, options: LoadOptions): Promise<MedMNIST> {
  const info = datasetInfo(flag);
  const size = options.size ?? 28;
  const official = datasetFile(info, size);
  const name = official.fileName;
  const where = options.store.locate(name);
  const verify = options.verify ?? true;
  const store = options.store;
  if (!store.open) {
    const bytes = (await store.read(name)) ?? (await download(options, official, where, verify, false))!;
    return openMedMNIST(bytes, { flag: info.flag, size, source: where, verify });
  }
  let file = await store.open(name);
  if (!file) {
    await download(options, official, where, verify, true);
    file = (await store.open(name))!;
  }
  try {
    const hash = verify || file.size <= HASH_UNASKED_BYTES;
    const md5 = store.md5 ? await store.md5(name, { cachedOnly: !hash, ...(options.onFileProgress ? { onProgress: options.onFileProgress } : {}) }) : md5Hex(readAll(file));
    const cache = store.inflateCache?.(name);
    const opened = await openMedMNISTFile(file, {
      flag: info.flag, size, source: where, verify, ...(md5 ? { md5 } : {}), ...(cache ? { cache } : {}),
      ...(options.prepare === false ? { prepare: false } : {}), ...(options.inMemoryBytes !== undefined ? { inMemoryBytes: options.inMemoryBytes } : {}),
      ...(options.onFileProgress ? { onFileProgress: options.onFileProgress } : {}),
    });
    return { ...opened, close: () => file.close() };
  } catch (error) {
    await file.close();
    throw error;
  }
}

/**
 * Downloads the official file into the store, refusing one with another md5: streamed to disk when the store can
 * (and `stream`), else into memory (the bytes are returned).
 */
async function download(options: LoadOptions, file: DatasetFile & { fileName: string }, where: string, verify: boolean, stream: boolean): Promise<Uint8Array | undefined> {
  const name = file.fileName;
  if (options.download === false) {
    throw new DatasetUnavailableError(where, `${where} does not exist; download it from ${file.url} (md5 ${file.md5}) and put it there, or allow downloading`);
  }
  const refuse = (md5: string) =>
    new ChecksumMismatchError(file.url, 'md5', file.md5, md5, `The download is not the official ${file.fileName}; nothing was saved. Try again later.`);
  const { store } = options;
  if (stream && store.writeStreamAtomic && store.remove) {
    const md5 = await store.writeStreamAtomic(name, downloadChunks(file.url, where, options));
    if (md5 !== file.md5 && verify) {
      await store.remove(name);
      throw refuse(md5);
    }
    return undefined;
  }
  const bytes = await downloadBytes(file.url, where, options);
  const md5 = md5Hex(bytes);
  if (md5 !== file.md5 && verify) throw refuse(md5);
  await store.writeAtomic(name, bytes);
  return bytes;
}

/** Reads MedMNIST from bytes already in memory (a dropped file, a fetched buffer). */
export function openMedMNIST(bytes: Uint8Array, options: OpenOptions): MedMNIST {
  const info = datasetInfo(options.flag);
  const size = options.size ?? 28;
  const source = options.source ?? datasetFile(info, size).fileName;
  const md5 = md5Hex(bytes);
  const checksum = checkMd5(md5, info, size, source, options);
  const zip = openZip(bytesFile(bytes, source));
  const arrays = describeArrays(zip, info, size, source);
  const splits = Object.fromEntries(SPLITS.map((split) => [split, toSplit(info, split, size, zip, arrays, inMemory(zip, arrays.get(`${split}_images`)!), 'memory', source)]));
  return { info, size, source, md5, officialMd5: datasetFile(info, size).md5, checksum, splits: splits as Record<Split, DatasetSplit> };
}

/**
 * Reads MedMNIST from a file read by offset, of any size: labels and small image entries are read into memory;
 * large stored image entries are read in place; large deflated ones are inflated once into `cache` and read
 * from there. The caller hashes the file (`md5`) and closes it.
 */
export async function openMedMNISTFile(file: RandomAccessFile, options: FileOpenOptions): Promise<MedMNIST> {
  const info = datasetInfo(options.flag);
  const size = options.size ?? 28;
  const source = options.source ?? file.name;
  const checksum = checkMd5(options.md5, info, size, source, options);
  const zip = openZip(file);
  const arrays = describeArrays(zip, info, size, source);
  const splits: Partial<Record<Split, DatasetSplit>> = {};
  const unprepared: { split: Split; bytes: number; seconds: number }[] = [];
  for (const split of SPLITS) {
    const { images, storage } = await imagesOf(zip, file, arrays.get(`${split}_images`)!, source, options);
    if (storage === 'unprepared') unprepared.push({ split, bytes: images.count * images.imageBytes, seconds: await inflateSeconds(zip, arrays.get(`${split}_images`)!.entry) });
    splits[split] = toSplit(info, split, size, zip, arrays, images, storage, source);
  }
  return {
    info, size, source, md5: options.md5, officialMd5: datasetFile(info, size).md5, checksum, splits: splits as Record<Split, DatasetSplit>,
    ...(unprepared.length > 0 ? { unprepared } : {}),
  };
}

/** The checksum status of a file with `md5`, or the error that refuses it. */
function checkMd5(md5: string | undefined, info: DatasetInfo, size: number, source: string, options: OpenOptions): ChecksumStatus {
  const official = datasetFile(info, size);
  const expected = options.expectedMd5 ?? official.md5;
  if (md5 !== expected && (options.verify ?? true)) {
    if (md5 === undefined) throw new DataError('BAD_OPTION', `${source}: verifying needs the file's md5`);
    throw new ChecksumMismatchError(
      source,
      'md5',
      expected,
      md5,
      options.expectedMd5
        ? 'The file is damaged or was replaced: restore it from the repository.'
        : `It is not the official ${official.fileName}. Delete it to download it again, or, if you trust this copy, load it with verification off (verify: false, --no-verify).`,
    );
  }
  return md5 === official.md5 ? 'official' : md5 !== undefined && md5 === options.expectedMd5 ? 'known-copy' : 'unverified';
}

/** The six arrays' entries and headers, each refused before it is read or inflated if it cannot be this file's. */
function describeArrays(zip: ZipArchive, info: DatasetInfo, size: number, source: string): Map<string, NpzEntry> {
  const arrays = npzEntries(zip, SPLIT_KEYS, (key, header) => checkArrayHeader(info, size, source, key, header));
  const missing = SPLIT_KEYS.filter((k) => !arrays.has(k));
  if (missing.length > 0) {
    const found = zip.entries.filter((e) => e.name.endsWith('.npy')).map((e) => e.name.slice(0, -4));
    throw new DatasetFormatError(source, `missing arrays ${missing.join(', ')} (found: ${found.join(', ') || 'none'}); is this a MedMNIST file?`);
  }
  return arrays;
}

/** Refuses, from its NPY header, an array that cannot be this MedMNIST file's. */
function checkArrayHeader(info: DatasetInfo, size: number, source: string, key: string, { dtype, shape }: NpyHeader): void {
  const [split, kind] = key.split('_') as [Split, 'images' | 'labels'];
  const bad = (problem: string) => new DatasetFormatError(source, `${split}: ${problem}`);
  const count = shape[0] ?? 0;
  // An official file holds exactly the catalogue's images; a copy may hold fewer (a subset), never more.
  if (count > info.splits[split]) throw bad(`${count} ${kind}, more than the ${info.splits[split]} ${info.flag} has`);
  if (kind === 'labels') {
    if (dtype !== 'u1' && dtype !== 'i8' && dtype !== 'i4') throw bad(`labels are ${dtype}, expected integers`);
    const expectedWidth = isSingleLabel(info.task) ? 1 : info.labels.length;
    const width = shape.length === 2 ? shape[1] : 1;
    if (width !== expectedWidth) throw bad(`labels have width ${width}, expected ${expectedWidth}`);
    return;
  }
  if (dtype !== 'u1') throw bad(`images are ${dtype}, expected uint8`);
  const imageShape = shape.slice(1);
  const expectedRank = info.dimensions === 3 ? 3 : info.channels === 1 ? 2 : 3;
  if (imageShape.length !== expectedRank || imageShape[0] !== size || imageShape[1] !== size) {
    throw bad(`images have shape [${shape.join(', ')}], expected [N, ${size}, ${size}${expectedRank === 3 ? (info.dimensions === 3 ? `, ${size}` : `, ${info.channels}`) : ''}]`);
  }
}

const imageBytesOf = ({ header }: NpzEntry) => header.shape.slice(1).reduce((a, b) => a * b, 1);

/** An image entry read whole into memory. */
function inMemory(zip: ZipArchive, array: NpzEntry): SplitImages {
  if (array.entry.uncompressedSize > ARRAY_LIMIT) throw new FileTooLargeError(`${zip.file}:${array.entry.name}`, array.entry.uncompressedSize);
  return imagesInMemory(readNpy(zip.read(array.entry), `${zip.file}:${array.entry.name}`).data as Uint8Array, imageBytesOf(array));
}

/** Where a split's images are read from, preparing the cache for a large deflated entry when needed. */
async function imagesOf(zip: ZipArchive, file: RandomAccessFile, array: NpzEntry, source: string, options: FileOpenOptions): Promise<{ images: SplitImages; storage: NonNullable<DatasetSplit['storage']> }> {
  const { entry, header } = array;
  const count = header.shape[0]!;
  const imageBytes = imageBytesOf(array);
  if (entry.uncompressedSize <= (options.inMemoryBytes ?? IN_MEMORY_BYTES)) return { images: inMemory(zip, array), storage: 'memory' };
  if (header.fortranOrder) throw new DatasetFormatError(source, `${entry.name} is in Fortran order; images that large are read in place and must be in C order`);
  if (entry.method === 0) return { images: imagesInFile(file, entry.dataOffset + header.dataStart, count, imageBytes), storage: 'file' };
  if (!options.cache) return { images: inMemory(zip, array), storage: 'memory' };
  const cached = await options.cache.open(entry);
  if (cached) return { images: imagesInFile(cached, header.dataStart, count, imageBytes), storage: 'cache' };
  if (options.prepare === false) return { images: unpreparedImages(source, entry, count, imageBytes), storage: 'unprepared' };
  const what = `${source}:${entry.name}`;
  const progress = options.onFileProgress;
  const prepared = await options.cache.write(entry, (sink) =>
    zip.pipe(entry, sink, progress ? (done) => progress({ stage: 'inflate', what, done, total: entry.uncompressedSize }) : undefined),
  );
  return { images: imagesInFile(prepared, header.dataStart, count, imageBytes), storage: 'cache' };
}

function unpreparedImages(source: string, entry: ZipEntry, count: number, imageBytes: number): SplitImages {
  return {
    count,
    imageBytes,
    read() {
      throw new DataError('NOT_PREPARED', `${source}: ${entry.name} is deflated and was not inflated into the cache yet; open the dataset with preparing on`);
    },
  };
}

/** Seconds inflating `entry` would take here, from timing the first 64 MiB of it through the same path. */
async function inflateSeconds(zip: ZipArchive, entry: ZipEntry): Promise<number> {
  const sample = Math.min(entry.uncompressedSize, 64 * 2 ** 20);
  const enough = new Error('sampled');
  let got = 0;
  const start = performance.now();
  await zip
    .pipe(entry, (chunk) => {
      got += chunk.length;
      if (got >= sample) throw enough;
    })
    .catch((error: unknown) => {
      if (error !== enough) throw error;
    });
  return ((performance.now() - start) / 1000) * (entry.uncompressedSize / Math.max(1, got));
}

/** A split from its images and its labels (read whole: they are small). */
function toSplit(
  info: DatasetInfo,
  split: Split,
  size: number,
  zip: ZipArchive,
  arrays: Map<string, NpzEntry>,
  images: SplitImages,
  storage: NonNullable<DatasetSplit['storage']>,
  source: string,
): DatasetSplit {
  const bad = (problem: string) => new DatasetFormatError(source, `${split}: ${problem}`);
  const labelArray = arrays.get(`${split}_labels`)!;
  const labels = readNpy(zip.read(labelArray.entry), `${source}:${labelArray.entry.name}`);
  const imageShape = arrays.get(`${split}_images`)!.header.shape.slice(1);
  if (labels.shape[0] !== images.count) throw bad(`${images.count} images but ${labels.shape[0]} labels`);
  const labelWidth = labels.shape.length === 2 ? labels.shape[1]! : 1;
  const labelBytes = labels.data instanceof Uint8Array ? labels.data : Uint8Array.from(labels.data as ArrayLike<number | bigint>, Number);
  const classes = isSingleLabel(info.task) ? info.labels.length : 2;
  for (const value of labelBytes) if (value >= classes) throw bad(`label value ${value} is out of range for ${classes} classes`);
  return { info, split, size, count: images.count, imageShape, images, labels: labelBytes, labelWidth, storage };
}
