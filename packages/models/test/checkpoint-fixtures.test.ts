import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readZip } from '@medxfer/data';
import { sharedPath } from '../../../test-support/paths.js';
import { detectCheckpointFormat, readCheckpoint, readTorchLegacy, readTorchZip, tensorToNumbers } from '../src/checkpoint/index.js';
import type { CheckpointTensor } from '../src/checkpoint/index.js';

const fixture = (...parts: string[]) => {
  const buf = readFileSync(sharedPath('fixtures', 'torch', ...parts));
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
};

/** A minimal reader for the fixtures' NPY v1.0 little-endian float32 files. */
function readNpyF32(bytes: Uint8Array): { shape: number[]; data: Float32Array } {
  expect(String.fromCharCode(...bytes.subarray(1, 6))).toBe('NUMPY');
  const headerLen = bytes[8]! | (bytes[9]! << 8);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLen));
  expect(header).toContain("'descr': '<f4'");
  expect(header).toContain("'fortran_order': False");
  const shape = header.match(/'shape': \(([^)]*)\)/)![1]!.split(',').filter((s) => s.trim()).map(Number);
  const body = bytes.slice(10 + headerLen);
  return { shape, data: new Float32Array(body.buffer, 0, body.byteLength / 4) };
}

const bytesOf = (t: CheckpointTensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

const TINY_KEYS: [string, number[]][] = [
  ['0.weight', [4, 1, 3, 3]],
  ['0.bias', [4]],
  ['1.weight', [4]],
  ['1.bias', [4]],
  ['1.running_mean', [4]],
  ['1.running_var', [4]],
  ['1.num_batches_tracked', []],
  ['4.weight', [2, 2704]],
  ['4.bias', [2]],
];

describe('tiny model, zip and legacy formats', () => {
  const zipBytes = fixture('tiny.zip.pth');
  const legacyBytes = fixture('tiny.legacy.pth');

  it('detects the formats', () => {
    expect(detectCheckpointFormat(zipBytes)).toBe('torch-zip');
    expect(detectCheckpointFormat(legacyBytes)).toBe('torch-legacy');
  });

  it('reads the keys in order with their shapes and dtypes', () => {
    for (const sd of [readCheckpoint(zipBytes, 'tiny.zip.pth'), readCheckpoint(legacyBytes, 'tiny.legacy.pth')]) {
      expect([...sd.keys()]).toEqual(TINY_KEYS.map(([k]) => k));
      for (const [name, shape] of TINY_KEYS) {
        const t = sd.get(name)!;
        expect(t.name).toBe(name);
        expect(t.shape).toEqual(shape);
        expect(t.data.length).toBe(shape.reduce((a, b) => a * b, 1));
        if (name.endsWith('num_batches_tracked')) {
          expect(t.dtype).toBe('int64');
          expect(t.data).toBeInstanceOf(BigInt64Array);
          expect(t.data[0]).toBe(3n);
          expect(tensorToNumbers(t)).toEqual([3]);
        } else {
          expect(t.dtype).toBe('float32');
          expect(t.data).toBeInstanceOf(Float32Array);
        }
      }
    }
  });

  it('gives bit-identical data in both formats, equal to the zip entries', () => {
    const a = readTorchZip(zipBytes, 'tiny.zip.pth');
    const b = readTorchLegacy(legacyBytes, 'tiny.legacy.pth');
    for (const [name] of TINY_KEYS) expect(bytesOf(b.get(name)!)).toEqual(bytesOf(a.get(name)!));
    // 4.weight is storage 7 in the zip: its bytes are the entry's bytes.
    const w = a.get('4.weight')!;
    expect(bytesOf(w)).toEqual(readZip(zipBytes).read('tiny.zip/data/7'));
  });

  it('owns its data: tensors are copies, not views of the file', () => {
    const sd = readCheckpoint(zipBytes);
    for (const t of sd.values()) expect(t.data.buffer).not.toBe(zipBytes.buffer);
  });
});

describe('ResNet18 checkpoint', () => {
  const sd = readCheckpoint(fixture('resnet18-random-seed0.pth'), 'resnet18-random-seed0.pth');

  it('has the 122 entries in state-dict order', () => {
    const bn = (p: string) => ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map((s) => `${p}.${s}`);
    const expected = ['conv1.weight', ...bn('bn1')];
    for (const layer of [1, 2, 3, 4]) {
      for (const block of [0, 1]) {
        const p = `layer${layer}.${block}`;
        expected.push(`${p}.conv1.weight`, ...bn(`${p}.bn1`), `${p}.conv2.weight`, ...bn(`${p}.bn2`));
        if (block === 0 && layer > 1) expected.push(`${p}.downsample.0.weight`, ...bn(`${p}.downsample.1`));
      }
    }
    expected.push('fc.weight', 'fc.bias');
    expect(expected).toHaveLength(122);
    expect([...sd.keys()]).toEqual(expected);
  });

  it('has 11,689,512 parameters (running stats and num_batches_tracked excluded)', () => {
    let params = 0;
    let buffers = 0;
    for (const [name, t] of sd) {
      if (/running_(mean|var)$|num_batches_tracked$/.test(name)) buffers += t.data.length;
      else params += t.data.length;
    }
    expect(params).toBe(11_689_512);
    // BatchNorm channels: 2 running stats each, plus one num_batches_tracked per BatchNorm (20 of them).
    expect(buffers).toBe(2 * 4800 + 20);
  });

  it('has the documented shapes and dtypes', () => {
    expect(sd.get('conv1.weight')!.shape).toEqual([64, 3, 7, 7]);
    expect(sd.get('layer2.0.downsample.0.weight')!.shape).toEqual([128, 64, 1, 1]);
    expect(sd.get('fc.weight')!.shape).toEqual([1000, 512]);
    expect(sd.get('fc.bias')!.shape).toEqual([1000]);
    for (const [name, t] of sd) {
      if (name.endsWith('num_batches_tracked')) {
        expect(t.dtype).toBe('int64');
        expect(t.shape).toEqual([]);
        expect(t.data[0]).toBe(4n);
      } else {
        expect(t.dtype).toBe('float32');
        expect(t.data).toBeInstanceOf(Float32Array);
      }
    }
    for (const [name, t] of sd) if (name.endsWith('running_var')) expect(Math.min(...(t.data as Float32Array))).toBeGreaterThan(0);
  });
});

describe('cross-check against an independent source (train-sgd)', () => {
  it('initial.pth equals row 0 of states.npy, bit for bit', () => {
    const sd = readCheckpoint(fixture('train-sgd', 'initial.pth'), 'initial.pth');
    const layout = JSON.parse(new TextDecoder().decode(fixture('train-sgd', 'layout.json'))) as {
      state_layout: { name: string; shape: number[]; offset: number; count: number }[];
      state_size: number;
    };
    const states = readNpyF32(fixture('train-sgd', 'states.npy'));
    expect(states.shape).toEqual([6, layout.state_size]);
    const row0 = states.data.subarray(0, layout.state_size);
    for (const { name, shape, offset, count } of layout.state_layout) {
      const t = sd.get(name)!;
      expect(t.shape).toEqual(shape);
      expect(new Uint32Array((t.data as Float32Array).slice().buffer)).toEqual(new Uint32Array(row0.slice(offset, offset + count).buffer));
    }
    expect(sd.get('1.num_batches_tracked')!.data[0]).toBe(3n);
  });

  it('final.pth has num_batches_tracked 8', () => {
    const sd = readCheckpoint(fixture('train-sgd', 'final.pth'));
    expect(sd.get('1.num_batches_tracked')!.data[0]).toBe(8n);
    const states = readNpyF32(fixture('train-sgd', 'states.npy'));
    const w = sd.get('4.bias')!.data as Float32Array;
    const last = states.data.subarray(5 * 5466 + 5464, 5 * 5466 + 5466);
    expect([...w]).toEqual([...last]);
  });
});
