// Synthetic MedMNIST files for tests: the official keys (`{train,val,test}_{images,labels}`), dtypes (uint8)
// and shapes of any dataset of the catalogue (2D images, 3D volumes), seeded, with a signal a small model
// learns in a few epochs.
// Only PneumoniaMNIST is real in this repository; every other dataset is tested on files like these.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { datasetFile, datasetInfo, encodeNpy, isSingleLabel, seededRandom, type Random } from '@medxfer/data';

export interface SyntheticOptions {
  /** Images per split (default 160 / 64 / 64). */
  readonly counts?: { readonly train: number; readonly val: number; readonly test: number };
  readonly size?: number;
  readonly seed?: number;
}

/**
 * Where mark `j` (of `marks`) is drawn: a horizontal band (rows) and a segment that is its own mirror image
 * (the centre, or both edges), so the signal survives horizontal flips and small shifts (x-ray augmentation).
 */
function rectsOf(j: number, marks: number, size: number): { x: number; y: number; w: number; h: number }[] {
  const bands = Math.max(1, Math.ceil(marks / 2));
  const h = Math.floor(size / bands);
  const y = (j % bands) * h + Math.floor(h / 4);
  const bandHeight = Math.max(1, h - Math.floor(h / 2));
  const third = Math.floor(size / 3);
  if (j < bands) return [{ x: third, y, w: size - 2 * third, h: bandHeight }];
  return [{ x: 1, y, w: third - 2, h: bandHeight }, { x: size - third + 1, y, w: third - 2, h: bandHeight }];
}

/** One image: noise, plus a bright mark for each present label (or the class; ordinal: brighter with the grade). */
function drawImage(pixels: Uint8Array, at: number, size: number, channels: number, marks: readonly number[], markCount: number, random: Random, brightness: number): void {
  for (let p = 0; p < size * size * channels; p++) pixels[at + p] = 40 + random.int(60);
  for (const j of marks) {
    for (const { x, y, w, h } of rectsOf(j, markCount, size)) {
      for (let r = y; r < y + h; r++) {
        for (let c = x; c < x + w; c++) {
          for (let k = 0; k < channels; k++) pixels[at + (r * size + c) * channels + k] = Math.min(255, brightness + random.int(30) + (channels === 3 ? k * 20 : 0));
        }
      }
    }
  }
}

/**
 * One volume: noise, plus the 2D image's bright mark for its class on each slice of the middle third of the depth,
 * so every kind of volume model sees it (2.5D ones only look within slices) and it survives left–right flips,
 * small rotations about the depth axis and small shifts (the volume augmentation).
 */
function drawVolume(voxels: Uint8Array, at: number, size: number, mark: number, markCount: number, random: Random): void {
  for (let p = 0; p < size ** 3; p++) voxels[at + p] = 40 + random.int(60);
  const third = Math.floor(size / 3);
  for (let d = third; d < size - third; d++) {
    for (const { x, y, w, h } of rectsOf(mark, markCount, size)) {
      for (let r = y; r < y + h; r++) {
        for (let c = x; c < x + w; c++) voxels[at + (d * size + r) * size + c] = 200 + random.int(40);
      }
    }
  }
}

function split(flag: string, count: number, size: number, random: Random): { images: Uint8Array; imageShape: number[]; labels: Uint8Array; labelShape: number[] } {
  const info = datasetInfo(flag);
  const classes = info.labels.length;
  const channels = info.channels;
  if (info.dimensions === 3) {
    const per = size ** 3;
    const images = new Uint8Array(count * per);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      labels[i] = i % classes; // every class in every split
      drawVolume(images, i * per, size, labels[i]!, classes, random);
    }
    return { images, imageShape: [count, size, size, size], labels, labelShape: [count, 1] };
  }
  const per = size * size * channels;
  const images = new Uint8Array(count * per);
  const single = isSingleLabel(info.task);
  const labels = new Uint8Array(count * (single ? 1 : classes));
  for (let i = 0; i < count; i++) {
    let marks: number[];
    const brightness = 220;
    if (single) {
      const c = i % classes; // every class in every split
      labels[i] = c;
      // Ordinal: grade c shows marks 0..c (more with each grade); otherwise the class's own mark.
      marks = info.task === 'ordinal-regression' ? Array.from({ length: c + 1 }, (_, j) => j) : [c];
    } else {
      marks = [];
      for (let j = 0; j < classes; j++) {
        // Each finding present in ~30% of images (and label j in image i at least once in every split).
        const present = random.next() < 0.3 || i % classes === j;
        labels[i * classes + j] = present ? 1 : 0;
        if (present) marks.push(j);
      }
    }
    drawImage(images, i * per, size, channels, marks, classes, random, brightness);
  }
  return {
    images, imageShape: channels === 1 ? [count, size, size] : [count, size, size, 3],
    labels, labelShape: single ? [count, 1] : [count, classes],
  };
}

/** The bytes of a synthetic `<flag>.npz` with the official keys, dtypes and shapes. */
export function syntheticMedMNIST(flag: string, options: SyntheticOptions = {}): Uint8Array {
  const size = options.size ?? 28;
  const counts = options.counts ?? { train: 160, val: 64, test: 64 };
  const random = seededRandom(options.seed ?? 1);
  const files: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const name of ['train', 'val', 'test'] as const) {
    const s = split(flag, counts[name], size, random);
    files[`${name}_images.npy`] = [encodeNpy(s.images, s.imageShape), { level: 0 }];
    files[`${name}_labels.npy`] = [encodeNpy(s.labels, s.labelShape), { level: 0 }];
  }
  return zipSync(files);
}

/** Writes a synthetic dataset into `root` under its official file name; returns the path. */
export function writeSyntheticMedMNIST(root: string, flag: string, options: SyntheticOptions = {}): string {
  mkdirSync(root, { recursive: true });
  const path = join(root, datasetFile(datasetInfo(flag), options.size ?? 28).fileName);
  writeFileSync(path, syntheticMedMNIST(flag, options));
  return path;
}
