import { readFileSync } from 'node:fs';
import { CorruptArchiveError } from '@medxfer/data';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/paths.js';
import {
  CheckpointError,
  CorruptCheckpointError,
  NotAStateDictError,
  UnrecognizedCheckpointError,
  UnsafePickleError,
  UnsupportedDtypeError,
  readCheckpoint,
  readTorchZip,
} from '../src/checkpoint/index.js';
import { unpickle } from '../src/checkpoint/pickle.js';
import { PickleWriter, f32Bytes, stateDictPickle, torchLegacy, torchZip } from './fixtures-gen/torch-pickle.js';
import type { TensorSpec } from './fixtures-gen/torch-pickle.js';
import { thrown } from './helpers.js';

const fixture = (...parts: string[]) => {
  const buf = readFileSync(sharedPath('fixtures', 'torch', ...parts));
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
};

/** A zip checkpoint whose data.pkl is `pkl`. */
const zipWith = (pkl: Uint8Array) => torchZip(pkl, {});

describe('the pickle allowlist', () => {
  it('refuses GLOBAL os.system and says nothing was executed', () => {
    // The classic payload: os.system('echo pwned')
    const pkl = new PickleWriter().proto().global('os', 'system').str('echo pwned').raw(0x85).reduce().stop().bytes();
    const error = thrown(() => readCheckpoint(zipWith(pkl), 'evil.pth'));
    expect(error).toBeInstanceOf(UnsafePickleError);
    expect(error).toBeInstanceOf(CheckpointError);
    const e = error as UnsafePickleError;
    expect(e.code).toBe('UNSAFE_PICKLE');
    expect(e.refused).toBe('os.system');
    expect(e.position).toBe(2);
    expect(e.message).toContain('os.system');
    expect(e.message).toContain('evil.pth');
    expect(e.message).toContain('archive/data.pkl');
    expect(e.message).toMatch(/Nothing was executed/);
    expect(e.message).toMatch(/state dicts of tensors/);
    expect(e.message).toMatch(/weights_only=True/);
  });

  it('refuses builtins.eval called through REDUCE', () => {
    const pkl = new PickleWriter().proto().global('builtins', 'eval').mark().str("__import__('os').system('x')").tuple().reduce().stop().bytes();
    const e = thrown(() => readCheckpoint(zipWith(pkl))) as UnsafePickleError;
    expect(e).toBeInstanceOf(UnsafePickleError);
    expect(e.refused).toBe('builtins.eval');
    expect(e.message).toContain('builtins.eval');
  });

  it('refuses globals reached via STACK_GLOBAL (protocol 4) too', () => {
    const pkl = new PickleWriter().proto(4).raw(0x8c, 9, ...new TextEncoder().encode('posixpath')).raw(0x8c, 4, ...new TextEncoder().encode('join')).raw(0x93).stop().bytes();
    const e = thrown(() => unpickle(pkl)) as UnsafePickleError;
    expect(e).toBeInstanceOf(UnsafePickleError);
    expect(e.refused).toBe('posixpath.join');
  });

  it('refuses near-miss names of allowlisted globals', () => {
    for (const [module, name] of [
      ['torch._utils', '_rebuild_tensor'],
      ['torch', 'load'],
      ['collections', 'defaultdict'],
      ['torch._utils ', '_rebuild_tensor_v2'],
      ['torch', '__proto__'],
      ['torch', 'constructor'],
    ] as const) {
      const e = thrown(() => unpickle(new PickleWriter().proto().global(module, name).stop().bytes())) as UnsafePickleError;
      expect(e, `${module}.${name}`).toBeInstanceOf(UnsafePickleError);
      expect(e.refused).toBe(`${module}.${name}`);
    }
  });

  it('refuses a REDUCE whose callable is not an allowlisted function (a storage class)', () => {
    const pkl = new PickleWriter().proto().global('torch', 'FloatStorage').emptyTuple().reduce().stop().bytes();
    const e = thrown(() => unpickle(pkl)) as UnsafePickleError;
    expect(e).toBeInstanceOf(UnsafePickleError);
    expect(e.message).toContain('torch.FloatStorage');
  });

  it('refuses object-building opcodes: NEWOBJ, INST, OBJ, EXT1', () => {
    const cases: [string, number[]][] = [
      ['NEWOBJ', [0x81]],
      ['INST', [0x69, ...new TextEncoder().encode('os\nsystem\n')]],
      ['OBJ', [0x6f]],
      ['EXT1', [0x82, 1]],
    ];
    for (const [name, op] of cases) {
      const pkl = new PickleWriter().proto().global('collections', 'OrderedDict').emptyTuple().raw(...op).stop().bytes();
      const e = thrown(() => unpickle(pkl, { file: 'x.pth' })) as UnsafePickleError;
      expect(e, name).toBeInstanceOf(UnsafePickleError);
      expect(e.refused).toBe(name);
      expect(e.message).toContain(name);
      expect(e.position).toBe(28);
    }
  });

  it('names an unknown opcode byte and its position', () => {
    const pkl = new PickleWriter().proto().raw(0xff).stop().bytes();
    const e = thrown(() => unpickle(pkl, { file: 'x.pth', entry: 'archive/data.pkl' }));
    expect(e).toBeInstanceOf(CorruptCheckpointError);
    expect(e.message).toContain('0xff');
    expect(e.message).toContain('byte 2');
  });

  it('refuses BUILD on anything but a dict', () => {
    const pkl = new PickleWriter().proto().emptyList().emptyDict().build().stop().bytes();
    expect(thrown(() => unpickle(pkl))).toBeInstanceOf(UnsafePickleError);
  });

  it('refuses persistent ids unless the caller handles them', () => {
    const pkl = new PickleWriter().proto().str('x').binpersid().stop().bytes();
    expect(thrown(() => unpickle(pkl))).toBeInstanceOf(UnsafePickleError);
  });

  it('refuses an unsafe global inside an otherwise valid legacy checkpoint', () => {
    const state = new PickleWriter().proto().global('subprocess', 'Popen').mark().str('sh').tuple().reduce().stop().bytes();
    const e = thrown(() => readCheckpoint(torchLegacy(state, []), 'old.pth')) as UnsafePickleError;
    expect(e).toBeInstanceOf(UnsafePickleError);
    expect(e.refused).toBe('subprocess.Popen');
    expect(e.message).toContain('legacy pickle 4 of 5');
  });

  it('refuses non-tensor entries and points at a nested state dict', () => {
    const spec: TensorSpec = { name: 'w', storage: 'FloatStorage', key: '0', numel: 1, offset: 0, shape: [1], stride: [1] };
    const inner = stateDictPickle([spec]).subarray(2, -1); // without PROTO and STOP
    const pkl = new PickleWriter().proto().emptyDict().str('epoch').int(3).setitem().str('state_dict').raw(...inner).setitem().stop().bytes();
    const e = thrown(() => readCheckpoint(torchZip(pkl, { '0': f32Bytes([1]) }), 'ckpt.pth'));
    expect(e).toBeInstanceOf(NotAStateDictError);
    expect(e.message).toContain('"epoch"');
    expect(e.message).toContain('nested under "state_dict"');
    const list = new PickleWriter().proto().emptyList().stop().bytes();
    expect(thrown(() => readCheckpoint(torchZip(list, {}))).message).toMatch(/holds a list, not a dict/);
  });

  it('refuses unsupported storage types with UnsupportedDtypeError', () => {
    const pkl = new PickleWriter().proto().global('torch', 'ComplexFloatStorage').stop().bytes();
    const e = thrown(() => unpickle(pkl));
    expect(e).toBeInstanceOf(UnsupportedDtypeError);
    expect(e.message).toContain('complex64');
  });
});

describe('tolerated variants', () => {
  it('reads a protocol-4 state dict (FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL) of parameters', () => {
    const p = new PickleWriter().proto(4).raw(0x95, 0, 0, 0, 0, 0, 0, 0, 0);
    p.stackGlobal('collections', 'OrderedDict').memoize().emptyTuple().reduce().memoize(); // memo 2: OrderedDict, 3: the dict
    p.shortStr('w').memoize().stackGlobal('torch._utils', '_rebuild_parameter');
    p.stackGlobal('torch._utils', '_rebuild_tensor_v2');
    p.mark().mark().shortStr('storage').stackGlobal('torch', 'FloatStorage').shortStr('0').shortStr('cpu').int(3).tuple().binpersid();
    p.int(1).raw(0x4b, 2, 0x85).raw(0x4b, 1, 0x85).bool(true).raw(0x68, 2).emptyTuple().reduce().tuple().reduce();
    p.bool(true).raw(0x68, 2).emptyTuple().reduce().raw(0x87).reduce().setitem().stop();
    const sd = readCheckpoint(torchZip(p.bytes(), { '0': f32Bytes([1, 2, 3]) }));
    expect([...sd.keys()]).toEqual(['w']);
    expect([...(sd.get('w')!.data as Float32Array)]).toEqual([2, 3]);
  });

  it('accepts an ArrayBuffer', () => {
    const bytes = fixture('tiny.zip.pth').slice();
    expect(readCheckpoint(bytes.buffer).size).toBe(9);
  });

  it('refuses a TorchScript archive with a hint', () => {
    const pkl = stateDictPickle([]);
    const zip = zipSync({ 'm/data.pkl': pkl, 'm/constants.pkl': pkl, 'm/code/__torch__.py': new Uint8Array(1) });
    const e = thrown(() => readCheckpoint(zip, 'scripted.pt'));
    expect(e).toBeInstanceOf(NotAStateDictError);
    expect(e.message).toMatch(/TorchScript/);
  });

  it('refuses absurdly long integers', () => {
    const pkl = new PickleWriter().proto().raw(0x8b, 0, 1, 0, 0, ...new Uint8Array(256)).stop().bytes();
    expect(thrown(() => unpickle(pkl)).message).toMatch(/too large/);
  });
});

describe('damaged files', () => {
  it('a truncated zip checkpoint is a CorruptCheckpointError caused by CorruptArchiveError', () => {
    const bytes = fixture('tiny.zip.pth');
    for (const length of [bytes.length - 1, Math.floor(bytes.length / 2), 100, 30]) {
      const e = thrown(() => readCheckpoint(bytes.subarray(0, length), 'tiny.zip.pth'));
      expect(e).toBeInstanceOf(CorruptCheckpointError);
      expect(e.cause).toBeInstanceOf(CorruptArchiveError);
      expect(e.message).toContain('tiny.zip.pth');
      expect(e.message).toMatch(/truncated|missing/);
    }
  });

  it('a zip whose data.pkl is cut short is corrupt', () => {
    const pkl = stateDictPickle([{ name: 'w', storage: 'FloatStorage', key: '0', numel: 2, offset: 0, shape: [2], stride: [1] }]);
    const e = thrown(() => readTorchZip(torchZip(pkl.subarray(0, pkl.length - 10), { '0': f32Bytes([1, 2]) }), 'cut.pth'));
    expect(e).toBeInstanceOf(CorruptCheckpointError);
    expect(e.message).toContain('archive/data.pkl');
    expect(e.message).toMatch(/truncated/);
  });

  it('a zip that lacks a storage entry names it', () => {
    const pkl = stateDictPickle([{ name: 'w', storage: 'FloatStorage', key: '0', numel: 2, offset: 0, shape: [2], stride: [1] }]);
    const e = thrown(() => readTorchZip(torchZip(pkl, {}), 'm.pth'));
    expect(e).toBeInstanceOf(CorruptCheckpointError);
    expect(e.message).toContain('archive/data/0');
  });

  it('a zip without data.pkl is not a checkpoint', () => {
    const zip = zipSync({ 'notes/readme.txt': new TextEncoder().encode('hi') });
    const e = thrown(() => readCheckpoint(zip, 'x.zip'));
    expect(e).toBeInstanceOf(CorruptCheckpointError);
    expect(e.message).toContain('data.pkl');
  });

  it('a truncated legacy checkpoint is corrupt, wherever it is cut', () => {
    const bytes = fixture('tiny.legacy.pth');
    for (const length of [bytes.length - 1, 2000, 1200, 500, 16]) {
      const e = thrown(() => readCheckpoint(bytes.subarray(0, length), 'tiny.legacy.pth'));
      expect(e, `cut at ${length}`).toBeInstanceOf(CorruptCheckpointError);
      expect(e.message).toMatch(/truncated/);
    }
  });

  it('a legacy storage whose count disagrees with the state dict is corrupt', () => {
    const spec: TensorSpec = { name: 'w', storage: 'FloatStorage', key: '7', numel: 2, offset: 0, shape: [2], stride: [1] };
    const e = thrown(() => readCheckpoint(torchLegacy([spec], [{ key: '7', count: 3, bytes: f32Bytes([1, 2, 3]) }]), 'l.pth'));
    expect(e).toBeInstanceOf(CorruptCheckpointError);
    expect(e.message).toContain('"7"');
  });

  it('unrecognised bytes get a clear error with a hint', () => {
    const cases: [string, string | RegExp][] = [
      ['', /empty/],
      ['<!DOCTYPE html><html>', /HTML/],
      ['version https://git-lfs.github.com/spec/v1\noid sha256:abc\n', /LFS/],
      ['hello world, this is text', /not recognised/],
    ];
    for (const [text, hint] of cases) {
      const e = thrown(() => readCheckpoint(new TextEncoder().encode(text), 'model.pth'));
      expect(e).toBeInstanceOf(UnrecognizedCheckpointError);
      expect(e.message).toMatch(hint);
      expect(e.message).toContain('model.pth');
    }
    const bare = new PickleWriter().proto().emptyDict().stop().bytes();
    expect(thrown(() => readCheckpoint(bare)).message).toMatch(/bare pickle/);
  });
});
