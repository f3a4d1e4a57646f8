// `--backend webgpu` in Node: Dawn (the optional npm package `webgpu`) on SwiftShader's Vulkan driver, the one
// Chromium ships (chromium-common), through Debian's Vulkan loader (libvulkan1). .ci/run installs both.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '@medxfer/data';
import { sharedPath } from '../../../test-support/paths.js';
import { runCli, scratch } from './run-cli.js';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const VULKAN_LOADER = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'];
const HAS_VULKAN = existsSync(SWIFTSHADER_ICD) && VULKAN_LOADER.some((p) => existsSync(p));
const onSwiftShader = { env: { VK_ICD_FILENAMES: SWIFTSHADER_ICD } };

/** history.csv as rows of numbers by column name. */
function history(run: string): Record<string, number>[] {
  const [head, ...rows] = readFileSync(join(run, 'history.csv'), 'utf8').trim().split('\n');
  const names = head!.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [names[i]!, Number(v)])));
}

describe.skipIf(!HAS_VULKAN)('medxfer on WebGPU in Node (Dawn on SwiftShader)', () => {
  it('infer reproduces PyTorch logits', async () => {
    const out = join(scratch('webgpu-infer'), 'logits.npy');
    const r = await runCli(['infer', '--weights', sharedPath('fixtures', 'torch', 'resnet18-random-seed0.pth'), '--input', sharedPath('fixtures', 'torch', 'resnet18-random-seed0.input-28.npy'), '--out', out, '--backend', 'webgpu', '--json'], onSwiftShader);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).backend).toBe('webgpu');
    const ref = readNpy(new Uint8Array(readFileSync(sharedPath('fixtures', 'torch', 'resnet18-random-seed0.logits-28.npy')))).data as Float32Array;
    const ours = readNpy(new Uint8Array(readFileSync(out))).data as Float32Array;
    let worst = 0;
    ours.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ref[i]!) / (1e-4 + 1e-4 * Math.abs(ref[i]!)))));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('trains all layers, validates and evaluates as the cpu backend does', { timeout: 300_000 }, async () => {
    const args = ['train', '--weights', 'none', '--epochs-head', '0', '--epochs-full', '1', '--train-limit', '8', '--eval-limit', '8', '--batch-size', '8', '--bootstrap', '0', '--json'];
    const gpu = join(scratch('webgpu-train'), 'run');
    const cpu = join(scratch('cpu-train'), 'run');
    const [onGpu, onCpu] = await Promise.all([runCli([...args, '--backend', 'webgpu', '--out', gpu], onSwiftShader), runCli([...args, '--backend', 'cpu', '--out', cpu])]);
    expect(onGpu.code, onGpu.stderr).toBe(0);
    expect(onCpu.code, onCpu.stderr).toBe(0);
    const [g, c] = [history(gpu), history(cpu)];
    expect(g).toHaveLength(1);
    for (const key of ['trainLoss', 'valLoss', 'valAuc', 'trainAcc', 'valAcc']) expect(Math.abs(g[0]![key]! - c[0]![key]!), key).toBeLessThan(1e-4);
    const metrics = (run: string) => JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
    expect(Math.abs(metrics(gpu).test.auc - metrics(cpu).test.auc)).toBeLessThan(1e-4);
  });

  it('without a Vulkan driver, says so in one line and exits 2', async () => {
    const r = await runCli(['infer', '--weights', sharedPath('fixtures', 'torch', 'tiny.zip.pth'), '--input', sharedPath('fixtures', 'torch', 'resnet18-random-seed0.input-28.npy'), '--out', join(scratch('webgpu-none'), 'y.npy'), '--backend', 'webgpu'], { env: { VK_ICD_FILENAMES: '/nonexistent/icd.json' } });
    expect(r.code).toBe(2);
    // Dawn itself prints its Vulkan warnings first; medxfer's own message is one line.
    const ours = r.stderr.trim().split('\n').filter((l) => l.startsWith('medxfer:'));
    expect(ours).toEqual([expect.stringMatching(/backend webgpu: Dawn found no GPU adapter; it needs a Vulkan driver .*--backend wasm$/)]);
  });
});
