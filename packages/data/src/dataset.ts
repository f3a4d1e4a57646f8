import { datasetFile, datasetInfo, isSingleLabel, SPLITS, type DatasetInfo, type ImageSize, type Split } from './catalogue.js';
import { downloadBytes, type DownloadOptions } from './download.js';
import { ChecksumMismatchError, DatasetFormatError, DatasetUnavailableError, UnknownDatasetError } from './errors.js';
import { md5Hex } from './md5.js';
import { readNpz } from './npz.js';
import type { NpyArray, NpyHeader } from './npy.js';
import type { FileStore } from './store.js';

/** One split of a MedMNIST dataset, as flat typed arrays (no tfjs). */
export interface DatasetSplit {
  readonly info: DatasetInfo;
  readonly split: Split;
  readonly size: number;
  readonly count: number;
  /** Shape of one image: `[H, W]` (grey), `[H, W, C]` (colour) or `[D, H, W]` (3D). */
  readonly imageShape: readonly number[];
  /** `count` images, each `imageShape` in C order, uint8. */
  readonly images: Uint8Array;
  /** `count × labelWidth` label values, uint8. */
  readonly labels: Uint8Array;
  /** 1 for single-label tasks, the number of labels for multi-label tasks. */
  readonly labelWidth: number;
  /** For a subset ({@link subsetSplit}): the index of each of its images in the original split. */
  readonly sourceIndices?: Uint32Array;
}

/**
 * `official`: the file's md5 is the catalogue's. `known-copy`: it is the md5 the caller named for a
 * known non-official copy (e.g. a bundled one). `unverified`: the caller chose to accept any file.
 */
export type ChecksumStatus = 'official' | 'known-copy' | 'unverified';

/** A loaded MedMNIST file: its three splits plus provenance. */
export interface MedMNIST {
  readonly info: DatasetInfo;
  readonly size: number;
  /** Where the file came from (a path, a URL or a label). */
  readonly source: string;
  readonly md5: string;
  readonly officialMd5: string;
  readonly checksum: ChecksumStatus;
  readonly splits: Readonly<Record<Split, DatasetSplit>>;
}

export interface LoadOptions extends DownloadOptions {
  /** Image size, default 28. */
  size?: ImageSize;
  /** Where files are cached; see `nodeStore` in `@medxfer/data/node`. */
  store: FileStore;
  /**
   * `true` (default): the file must have the official md5. `false` is the explicit choice to use a file
   * whose md5 differs (e.g. a re-ordered copy); it is then marked `checksum: 'unverified'`.
   */
  verify?: boolean;
  /** Download the file when the store lacks it (default true). */
  download?: boolean;
}

const SPLIT_KEYS = SPLITS.flatMap((s) => [`${s}_images`, `${s}_labels`]);

/** Loads a MedMNIST dataset from a store, downloading and verifying it first when needed. */
export async function loadMedMNIST(flag: string, options: LoadOptions): Promise<MedMNIST> {
  const info = datasetInfo(flag);
  const size = options.size ?? 28;
  const file = datasetFile(info, size);
  const where = options.store.locate(file.fileName);
  const verify = options.verify ?? true;
  let bytes = await options.store.read(file.fileName);
  if (!bytes) {
    if (options.download === false) {
      throw new DatasetUnavailableError(where, `${where} does not exist; download it from ${file.url} (md5 ${file.md5}) and put it there, or allow downloading`);
    }
    bytes = await downloadBytes(file.url, where, options);
    const md5 = md5Hex(bytes);
    if (md5 !== file.md5 && verify) {
      throw new ChecksumMismatchError(file.url, 'md5', file.md5, md5, `The download is not the official ${file.fileName}; nothing was saved. Try again later.`);
    }
    await options.store.writeAtomic(file.fileName, bytes);
  }
  return openMedMNIST(bytes, { flag: info.flag, size, source: where, verify });
}

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

/** Reads MedMNIST from bytes already in memory (a dropped file, a fetched buffer). */
export function openMedMNIST(bytes: Uint8Array, options: OpenOptions): MedMNIST {
  const info = datasetInfo(options.flag);
  const size = options.size ?? 28;
  const official = datasetFile(info, size);
  const source = options.source ?? official.fileName;
  const md5 = md5Hex(bytes);
  const expected = options.expectedMd5 ?? official.md5;
  if (md5 !== expected && (options.verify ?? true)) {
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
  const arrays = readNpz(bytes, source, SPLIT_KEYS, checkArrayHeader(info, size, source));
  const missing = SPLIT_KEYS.filter((k) => !arrays.has(k));
  if (missing.length > 0) {
    throw new DatasetFormatError(source, `missing arrays ${missing.join(', ')} (found: ${[...arrays.keys()].join(', ') || 'none'}); is this a MedMNIST file?`);
  }
  const splits = Object.fromEntries(
    SPLITS.map((split) => [split, toSplit(info, split, size, arrays.get(`${split}_images`)!, arrays.get(`${split}_labels`)!, source)]),
  ) as Record<Split, DatasetSplit>;
  return { info, size, source, md5, officialMd5: official.md5, checksum: md5 === official.md5 ? 'official' : md5 === options.expectedMd5 ? 'known-copy' : 'unverified', splits };
}

/** Refuses, from its NPY header and before it is inflated, an array that cannot be this MedMNIST file's. */
function checkArrayHeader(info: DatasetInfo, size: number, source: string): (key: string, header: NpyHeader) => void {
  return (key, { dtype, shape }) => {
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
  };
}

/** A split from its arrays (whose headers {@link checkArrayHeader} checked). */
function toSplit(info: DatasetInfo, split: Split, size: number, images: NpyArray, labels: NpyArray, source: string): DatasetSplit {
  const bad = (problem: string) => new DatasetFormatError(source, `${split}: ${problem}`);
  const [count, ...imageShape] = images.shape as number[];
  if (labels.shape[0] !== count) throw bad(`${count} images but ${labels.shape[0]} labels`);
  const labelWidth = labels.shape.length === 2 ? labels.shape[1]! : 1;
  const labelBytes = labels.data instanceof Uint8Array ? labels.data : Uint8Array.from(labels.data as ArrayLike<number | bigint>, Number);
  const classes = isSingleLabel(info.task) ? info.labels.length : 2;
  for (const value of labelBytes) if (value >= classes) throw bad(`label value ${value} is out of range for ${classes} classes`);
  return { info, split, size, count: count!, imageShape, images: images.data as Uint8Array, labels: labelBytes, labelWidth };
}

/** The split's images as an index into its flat arrays. */
export function imageAt(split: DatasetSplit, index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index >= split.count) throw new UnknownDatasetError(`image ${index} is out of range 0..${split.count - 1}`);
  const length = split.images.length / split.count;
  return split.images.subarray(index * length, (index + 1) * length);
}

/** Images per class (single-label) or positives per label (multi-label). */
export function classCounts(split: DatasetSplit): number[] {
  const single = split.labelWidth === 1;
  const counts = new Array<number>(split.info.labels.length).fill(0);
  for (let i = 0; i < split.labels.length; i++) {
    if (single) counts[split.labels[i]!]!++;
    else counts[i % split.labelWidth]! += split.labels[i]!;
  }
  return counts;
}

/** A grey split as 3-channel `[H, W, 3]` images (the grey value repeated), like MedMNIST's `as_rgb`. */
export function asRGB(split: DatasetSplit): DatasetSplit {
  if (split.info.dimensions === 3 || split.imageShape.length === 3) return split;
  const pixels = split.images.length;
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0, j = 0; i < pixels; i++, j += 3) rgb[j] = rgb[j + 1] = rgb[j + 2] = split.images[i]!;
  return { ...split, imageShape: [...split.imageShape, 3], images: rgb };
}

/** A split holding only the images at `indices` (in that order): for demos, quick runs and folds. */
export function subsetSplit(split: DatasetSplit, indices: ArrayLike<number>): DatasetSplit {
  const length = split.images.length / split.count;
  const images = new Uint8Array(indices.length * length);
  const labels = new Uint8Array(indices.length * split.labelWidth);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= split.count) throw new UnknownDatasetError(`image ${i} is out of range 0..${split.count - 1}`);
    images.set(split.images.subarray(i * length, (i + 1) * length), k * length);
    labels.set(split.labels.subarray(i * split.labelWidth, (i + 1) * split.labelWidth), k * split.labelWidth);
  }
  const sourceIndices = Uint32Array.from(indices, (i) => split.sourceIndices?.[i] ?? i);
  return { ...split, count: indices.length, images, labels, sourceIndices };
}

/** The index in the original split of image `i` of `split` (itself, unless the split is a subset). */
export const sourceIndexOf = (split: DatasetSplit, i: number): number => split.sourceIndices?.[i] ?? i;
