import { DATASETS } from './catalogue-data.js';
import { UnknownDatasetError } from './errors.js';

export { MEDMNIST_VERSION } from './catalogue-data.js';

export type { DatasetFile, DatasetInfo, ImageSize, Split, Task } from './catalogue-types.js';
import type { DatasetInfo, ImageSize, Split, DatasetFile } from './catalogue-types.js';

export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

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
