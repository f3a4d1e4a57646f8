import type { DatasetInfo, Split } from './catalogue.js';
import { mapImages, selectImages, type SplitImages } from './split-images.js';

/** One split of a MedMNIST dataset, as flat typed arrays (no tfjs). */
export interface DatasetSplit {
  readonly info: DatasetInfo;
  readonly split: Split;
  readonly size: number;
  readonly count: number;
  /** Shape of one image: `[H, W]` (grey), `[H, W, C]` (colour) or `[D, H, W]` (3D). */
  readonly imageShape: readonly number[];
  /** `count` images, each `imageShape` in C order, uint8: in memory, or read by offset from a file on disk. */
  readonly images: SplitImages;
  /** `count × labelWidth` label values, uint8. */
  readonly labels: Uint8Array;
  /** 1 for single-label tasks, the number of labels for multi-label tasks. */
  readonly labelWidth: number;
  /**
   * Where the images are read from: `memory`; `file`, in place in a stored (uncompressed) entry; `cache`, an
   * inflated copy of a deflated entry kept next to the file; `unprepared`, a large deflated entry not inflated yet
   * (opened with `prepare: false`: its labels are there, its images cannot be read).
   */
  readonly storage?: 'memory' | 'file' | 'cache' | 'unprepared';
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
  /** The file's md5; absent only when verification was off and the file too large to hash unasked. */
  readonly md5: string | undefined;
  readonly officialMd5: string;
  readonly checksum: ChecksumStatus;
  readonly splits: Readonly<Record<Split, DatasetSplit>>;
  /** Deflated image entries left unprepared (`prepare: false`) and how long inflating each would take here. */
  readonly unprepared?: readonly { readonly split: Split; readonly bytes: number; readonly seconds: number }[];
  /** Releases the open file, if the dataset is read from one. */
  close?(): Promise<void>;
}

/** Image `index` of a split (do not modify it: it may be a view of the whole split). */
export const imageAt = (split: DatasetSplit, index: number): Uint8Array => split.images.read(index);

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

/** A grey split as 3-channel `[H, W, 3]` images (the grey value repeated), like MedMNIST's `as_rgb`; converted as read. */
export function asRGB(split: DatasetSplit): DatasetSplit {
  if (split.info.dimensions === 3 || split.imageShape.length === 3) return split;
  const images = mapImages(split.images, split.images.imageBytes * 3, (grey) => {
    const rgb = new Uint8Array(grey.length * 3);
    for (let i = 0, j = 0; i < grey.length; i++, j += 3) rgb[j] = rgb[j + 1] = rgb[j + 2] = grey[i]!;
    return rgb;
  });
  return { ...split, imageShape: [...split.imageShape, 3], images };
}

/** A split holding only the images at `indices` (in that order): for demos, quick runs and folds. */
export function subsetSplit(split: DatasetSplit, indices: ArrayLike<number>): DatasetSplit {
  const images = selectImages(split.images, indices);
  const labels = new Uint8Array(indices.length * split.labelWidth);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    labels.set(split.labels.subarray(i * split.labelWidth, (i + 1) * split.labelWidth), k * split.labelWidth);
  }
  const sourceIndices = Uint32Array.from(indices, (i) => split.sourceIndices?.[i] ?? i);
  return { ...split, count: indices.length, images, labels, sourceIndices };
}

/** The index in the original split of image `i` of `split` (itself, unless the split is a subset). */
export const sourceIndexOf = (split: DatasetSplit, i: number): number => split.sourceIndices?.[i] ?? i;
