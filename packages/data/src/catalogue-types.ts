// The catalogue's types, apart from its data and its functions (catalogue-data.ts and catalogue.ts both use them).
/** MedMNIST's task names, as its metadata spells them. */
export type Task = 'binary-class' | 'multi-class' | 'multi-label, binary-class' | 'ordinal-regression';
export type Split = 'train' | 'val' | 'test';
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
  readonly task: Task;
  /** Class (or label) names, indexed by label value. */
  readonly labels: readonly string[];
  readonly channels: number;
  readonly splits: Readonly<Record<Split, number>>;
  readonly licence: string;
  readonly description: string;
  /** The published files by image size. */
  readonly files: Readonly<Record<string, DatasetFile>>;
}

