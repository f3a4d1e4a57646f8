import { DATASETS } from './catalogue-data.js';
import { UnknownDatasetError } from './errors.js';

export { MEDMNIST_VERSION } from './catalogue-data.js';

/** MedMNIST's task names, as its metadata spells them. */
export type Task = 'binary-class' | 'multi-class' | 'multi-label, binary-class' | 'ordinal-regression';
export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];
/** Image sizes MedMNIST publishes: 2D sets at 28/64/128/224, 3D sets at 28/64. */
export type ImageSize = 28 | 64 | 128 | 224;

/** One published file of a dataset: where it lives and its official md5. */
export interface DatasetFile {
  readonly url: string;
  readonly md5: string;
}

/** Everything the catalogue knows about one MedMNIST dataset. */
export interface DatasetInfo {
  /** Lower-case name used in file names and on the command line, e.g. `pneumoniamnist`. */
  readonly flag: string;
  readonly pythonClass: string;
  readonly dimensions: 2 | 3;
  readonly task: Task | string;
  /** Class (or label) names, indexed by label value. */
  readonly labels: readonly string[];
  readonly channels: number;
  readonly splits: Readonly<Record<Split, number>>;
  readonly licence: string;
  readonly description: string;
  /** The published files by image size. */
  readonly files: Readonly<Record<string, DatasetFile>>;
}

/** All 18 MedMNIST v3 datasets (12 2D, 6 3D). */
export const CATALOGUE: readonly DatasetInfo[] = DATASETS;

/** Looks a dataset up by flag (case-insensitive); throws {@link UnknownDatasetError} listing the known flags. */
export function datasetInfo(flag: string): DatasetInfo {
  const info = CATALOGUE.find((d) => d.flag === flag.toLowerCase());
  if (!info) {
    throw new UnknownDatasetError(`unknown dataset ${JSON.stringify(flag)}; known datasets: ${CATALOGUE.map((d) => d.flag).join(', ')}`);
  }
  return info;
}

/** The sizes a dataset is published at. */
export function availableSizes(info: DatasetInfo): ImageSize[] {
  return Object.keys(info.files).map(Number) as ImageSize[];
}

/** The published file of a dataset at a size; throws {@link UnknownDatasetError} for sizes that do not exist. */
export function datasetFile(info: DatasetInfo, size: number): DatasetFile & { fileName: string } {
  const file = info.files[String(size)];
  if (!file) {
    throw new UnknownDatasetError(`${info.flag} has no size ${size}; available sizes: ${availableSizes(info).join(', ')}`);
  }
  return { ...file, fileName: size === 28 ? `${info.flag}.npz` : `${info.flag}_${size}.npz` };
}

/** True for tasks whose labels are one class index per image. */
export const isSingleLabel = (task: string): boolean => task !== 'multi-label, binary-class';
