import { readFile } from 'node:fs/promises';
import type { ImageTransform } from '@medxfer/data';
import type { Plan } from '@medxfer/train';

/** Every setting of a run, as config.json records it; enough to resume it, evaluate it and predict with it. */
export interface RunConfig {
  readonly medxfer: string;
  readonly createdAt: string;
  readonly dataset: {
    flag: string; size: number; source: string; md5?: string; officialMd5: string; checksum: string; trainLimit?: number; evalLimit?: number;
    /** How the limits drew their images (`limitSplits`: stratified, seeded by the run's seed); absent before it existed (first N). */
    subset?: 'stratified';
  };
  readonly resize: number;
  readonly input: 'grey' | 'rgb';
  /** 3D datasets: how the model applies its 2D kernels to volumes (`--conv`). Absent for 2D datasets. */
  readonly volume?: 'acs' | '2.5d' | '3d';
  readonly transform: ImageTransform;
  readonly weights: { requested: string; source: string; sha256?: string; path?: string; note?: string };
  readonly preset: string;
  readonly presetOptions: Record<string, number | undefined>;
  readonly plan: Plan;
  readonly seed: number;
  readonly backend: string;
  readonly bootstrap: number;
  readonly microBatch?: number;
  /** Threads computing each batch's chunks (1: the single-process path). Absent in runs made before --workers. */
  readonly workers?: number;
  readonly versions: Record<string, string>;
}

/** The dataset folder a run read its file from (undefined for the bundled copy), for resume and evaluate. */
export function runDatasetRoot(config: RunConfig): string | undefined {
  return config.dataset.checksum === 'known-copy' ? undefined : config.dataset.source.replace(/[/\\][^/\\]+$/, '');
}

/** The versions of medxfer's packages and tfjs, from their package.json files. */
export async function versions(): Promise<Record<string, string>> {
  const read = async (spec: string) => {
    try {
      const url = import.meta.resolve(`${spec}/package.json`);
      return (JSON.parse(await readFile(new URL(url), 'utf8')) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  const names = ['@medxfer/data', '@medxfer/models', '@medxfer/train', '@medxfer/metrics', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'];
  const cli = await readFile(new URL('../package.json', import.meta.url), 'utf8').then((t) => (JSON.parse(t) as { version: string }).version, () => 'unknown');
  return { node: process.versions.node, '@medxfer/cli': cli, ...Object.fromEntries(await Promise.all(names.map(async (n) => [n, await read(n)]))) };
}
