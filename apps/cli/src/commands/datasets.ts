import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  availableSizes,
  CATALOGUE,
  classCounts,
  datasetFile,
  datasetInfo,
  encodePng,
  imageAt,
  loadMedMNIST,
  MEDMNIST_VERSION,
  montage,
  SPLITS,
  volumeSlices,
  type DatasetSplit,
  type MedMNIST,
  type RasterImage,
  type Split,
} from '@medxfer/data';
import { defaultRoot, nodeStore, writeFileAtomic } from '@medxfer/data/node';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { openDataset } from '../dataset-source.js';
import { UsageError } from '../errors.js';
import { table, type Output } from '../output.js';
import { cliFetch } from '../network.js';
import { downloadProgress, fileProgress } from '../progress.js';

const datasetFlags = {
  size: { type: 'int', value: 'N', description: 'image size', default: 28 },
  root: { type: 'string', value: 'DIR', description: 'dataset folder (default: $MEDMNIST_ROOT or ~/.medmnist, then the bundled copy)' },
  verify: { type: 'boolean', description: 'check the official md5 (--no-verify accepts a file that is not the official one)', default: true },
} as const;

export const listSpec: CommandSpec = { name: 'datasets list', summary: 'List the MedMNIST datasets.', flags: {} };
export const infoSpec: CommandSpec = {
  name: 'datasets info',
  summary: 'Task, labels, per-split counts and class counts, and md5 status of a dataset.',
  positionals: [{ name: 'flag', required: true, description: 'dataset, e.g. pneumoniamnist' }],
  flags: datasetFlags,
  examples: ['medxfer datasets info pneumoniamnist', 'medxfer datasets info pneumoniamnist --root ../shared/data --no-verify --json'],
};
export const downloadSpec: CommandSpec = {
  name: 'datasets download',
  summary: 'Download a dataset (md5-checked, written atomically) into the dataset folder.',
  positionals: [{ name: 'flag', required: true, description: 'dataset' }],
  flags: { size: { type: 'string', value: 'N|all', description: 'image size or all', default: '28' }, root: datasetFlags.root },
};
export const montageSpec: CommandSpec = {
  name: 'datasets montage',
  summary: 'Save an L×L grid of randomly chosen images as PNG (3D: L volumes, one row of depth slices each).',
  positionals: [{ name: 'flag', required: true, description: 'dataset' }],
  flags: {
    ...datasetFlags,
    split: { type: 'string', value: 'S', choices: SPLITS, default: 'train', description: 'split' },
    length: { type: 'int', value: 'L', default: 10, description: 'grid side (3D: number of volumes)' },
    seed: { type: 'int', value: 'N', default: 0, description: 'random seed' },
    out: { type: 'string', value: 'F.png', description: 'output PNG (required)' },
  },
};
export const saveSpec: CommandSpec = {
  name: 'datasets save',
  summary: "Write every image as PNG plus an index CSV (split,index,label,file); a volume as one PNG of its depth slices in a grid.",
  positionals: [{ name: 'flag', required: true, description: 'dataset' }],
  flags: { ...datasetFlags, split: { type: 'string', value: 'S', choices: [...SPLITS, 'all'], default: 'all', description: 'split' }, out: { type: 'string', value: 'DIR', description: 'output folder (required)' } },
};

export async function openFromArgs(args: ParsedArgs, out: Output, flag = args.positionals[0]!, prepare = true): Promise<MedMNIST> {
  const size = args.flags.size as number;
  const info = datasetInfo(flag);
  if (!availableSizes(info).includes(size as 28)) throw new UsageError(`${info.flag} has no size ${size}; available: ${availableSizes(info).join(', ')}`);
  return openDataset({ flag, size, ...(args.flags.root ? { root: resolve(args.flags.root as string) } : {}), noVerify: args.flags.verify === false, onProgress: downloadProgress(out), onFileProgress: fileProgress(out), prepare });
}

export async function datasetsList(_args: ParsedArgs, out: Output): Promise<void> {
  const rows = CATALOGUE.map((d) => [d.flag, d.dimensions === 3 ? '3D' : '2D', d.task, String(d.labels.length), String(d.channels), `${d.splits.train}/${d.splits.val}/${d.splits.test}`, availableSizes(d).join(',')]);
  out.result(
    { medmnist: MEDMNIST_VERSION, datasets: CATALOGUE.map((d) => ({ flag: d.flag, dimensions: d.dimensions, task: d.task, classes: d.labels.length, channels: d.channels, splits: d.splits, sizes: availableSizes(d), licence: d.licence })) },
    table([['dataset', 'dim', 'task', 'classes', 'channels', 'train/val/test', 'sizes'], ...rows]),
  );
}

export async function datasetsInfo(args: ParsedArgs, out: Output): Promise<void> {
  const data = await openFromArgs(args, out, args.positionals[0], false);
  const { info } = data;
  const splits = Object.fromEntries(SPLITS.map((s) => [s, { count: data.splits[s].count, classCounts: classCounts(data.splits[s]) }]));
  const checksumText = {
    official: `official (md5 ${data.md5})`,
    'known-copy': `bundled copy, verified against its own md5 ${data.md5} (official md5 ${data.officialMd5}; the train order differs)`,
    unverified: data.md5
      ? `NOT the official file: md5 ${data.md5}, official ${data.officialMd5} (accepted because of --no-verify)`
      : `not verified (--no-verify; a file this large is not hashed unasked), official md5 ${data.officialMd5}`,
  }[data.checksum];
  const lines = [
    `${info.pythonClass} (${info.flag}), ${data.size}×${data.size}, ${info.dimensions}D`,
    `task: ${info.task}; channels: ${info.channels}; licence: ${info.licence}`,
    `labels: ${info.labels.map((l, i) => `${i}=${l}`).join(', ')}`,
    `file: ${data.source}`,
    `checksum: ${checksumText}`,
    `images: ${storageText(data)}`,
    '',
    table([['split', 'images', ...info.labels], ...SPLITS.map((s) => [s, String(splits[s]!.count), ...splits[s]!.classCounts.map(String)])]),
  ];
  out.result(
    { flag: info.flag, name: info.pythonClass, size: data.size, task: info.task, channels: info.channels, labels: info.labels, licence: info.licence, file: data.source, md5: data.md5, officialMd5: data.officialMd5, checksum: data.checksum, splits },
    lines.join('\n'),
  );
}

const gigabytes = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;

/** Where each split's images are read from, and what preparing a deflated one will cost. */
function storageText(data: MedMNIST): string {
  const parts = SPLITS.map((s) => {
    const split = data.splits[s];
    const bytes = gigabytes(split.count * split.images.imageBytes);
    const pending = data.unprepared?.find((u) => u.split === s);
    if (pending) return `${s} deflated (${bytes}): inflated once into ${data.source}.medxfer/ on first use, about ${formatDuration(pending.seconds)} here`;
    return { memory: `${s} in memory`, file: `${s} read in place (${bytes})`, cache: `${s} from the inflated copy (${bytes})`, unprepared: '' }[split.storage ?? 'memory'];
  });
  return parts.join('; ');
}

const formatDuration = (seconds: number) => (seconds < 90 ? `${Math.max(1, Math.round(seconds))} s` : `${Math.round(seconds / 60)} min`);

export async function datasetsDownload(args: ParsedArgs, out: Output): Promise<void> {
  const info = datasetInfo(args.positionals[0]!);
  const sizeArg = args.flags.size as string;
  const sizes = sizeArg === 'all' ? availableSizes(info) : [Number(sizeArg)];
  for (const s of sizes) if (!availableSizes(info).includes(s as 28)) throw new UsageError(`${info.flag} has no size ${sizeArg}; available: ${availableSizes(info).join(', ')} or all`);
  const root = args.flags.root ? resolve(args.flags.root as string) : defaultRoot();
  const results = [];
  for (const size of sizes) {
    const data = await loadMedMNIST(info.flag, { store: nodeStore(root), size: size as 28, fetch: cliFetch(), onProgress: downloadProgress(out) });
    results.push({ size, file: data.source, md5: data.md5 });
    out.line(`${datasetFile(info, size).fileName}: ${data.source} (md5 ${data.md5}, official)`);
  }
  out.result({ flag: info.flag, files: results });
}

export async function datasetsMontage(args: ParsedArgs, out: Output): Promise<void> {
  const target = args.flags.out as string | undefined;
  if (!target) throw new UsageError('datasets montage needs --out F.png');
  if (!target.endsWith('.png')) throw new UsageError(`--out must name a .png file, got "${target}"`);
  if ((args.flags.length as number) < 1) throw new UsageError('--length must be at least 1');
  const data = await openFromArgs(args, out);
  const split = data.splits[args.flags.split as Split];
  const length = args.flags.length as number;
  const grid = montage(split, { length, seed: args.flags.seed as number });
  const path = resolve(target);
  await writeFileAtomic(path, encodePng(grid));
  // 3D: `length` volumes, one row of depth slices each.
  const volumes = data.info.dimensions === 3;
  const shown = Math.min(volumes ? length : length ** 2, split.count);
  out.result({ file: path, width: grid.width, height: grid.height, [volumes ? 'volumes' : 'images']: shown }, `wrote ${path} (${grid.width}×${grid.height}${volumes ? `: ${shown} volumes, one row of ${split.imageShape[0]} slices each` : ''})`);
}

export async function datasetsSave(args: ParsedArgs, out: Output): Promise<void> {
  const target = args.flags.out as string | undefined;
  if (!target) throw new UsageError('datasets save needs --out DIR');
  const data = await openFromArgs(args, out);
  const dir = resolve(target);
  const splits = (args.flags.split === 'all' ? SPLITS : [args.flags.split]) as Split[];
  const rows = ['split,index,label,file'];
  for (const s of splits) {
    const split = data.splits[s];
    await mkdir(join(dir, s), { recursive: true });
    for (let i = 0; i < split.count; i++) {
      const file = `${s}/${s}_${i}.png`;
      await writeFile(join(dir, file), encodePng(rasterOf(split, i)));
      const label = Array.from(split.labels.subarray(i * split.labelWidth, (i + 1) * split.labelWidth)).join(' ');
      rows.push(`${s},${i},${label},${file}`);
    }
  }
  await writeFileAtomic(join(dir, 'index.csv'), rows.join('\n') + '\n');
  const what = data.info.dimensions === 3 ? `PNGs (each volume's ${data.splits.train.imageShape[0]} depth slices as a grid, left to right, top to bottom)` : 'PNGs';
  out.result({ folder: dir, images: rows.length - 1, index: join(dir, 'index.csv') }, `wrote ${rows.length - 1} ${what} and index.csv to ${dir}`);
}

/** Image `i` of a split as a raster: the image itself, or a volume's depth slices as a grid. */
function rasterOf(split: DatasetSplit, i: number): RasterImage {
  if (split.info.dimensions === 3) return volumeSlices(imageAt(split, i), split.imageShape as [number, number, number]);
  return { width: split.size, height: split.size, channels: (split.imageShape[2] ?? 1) as 1 | 3, pixels: imageAt(split, i) };
}
