/**
 * Test helpers that write pickles and `torch.save`-style checkpoints by hand (protocol 2, the same opcodes
 * torch 1.13 uses), so tests can craft strided tensors, short storages and hostile pickles.
 */
import { zipSync } from 'fflate';

/** A protocol-2 pickle assembler: each method appends one opcode. */
export class PickleWriter {
  private readonly out: number[] = [];
  raw(...bytes: number[]): this {
    this.out.push(...bytes);
    return this;
  }
  private u32(n: number) {
    this.out.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  proto(v = 2) {
    return this.raw(0x80, v);
  }
  global(module: string, name: string) {
    this.raw(0x63);
    for (const c of `${module}\n${name}\n`) this.out.push(c.charCodeAt(0));
    return this;
  }
  str(s: string) {
    const bytes = new TextEncoder().encode(s);
    this.raw(0x58);
    this.u32(bytes.length);
    this.out.push(...bytes);
    return this;
  }
  /** SHORT_BINUNICODE (protocol 4). */
  shortStr(s: string) {
    const bytes = new TextEncoder().encode(s);
    return this.raw(0x8c, bytes.length, ...bytes);
  }
  /** STACK_GLOBAL (protocol 4): module and name as short strings. */
  stackGlobal(module: string, name: string) {
    return this.shortStr(module).memoize().shortStr(name).memoize().raw(0x93);
  }
  memoize() {
    return this.raw(0x94);
  }
  int(n: number) {
    if (n >= 0 && n < 256) return this.raw(0x4b, n);
    if (n >= 0 && n < 65536) return this.raw(0x4d, n & 0xff, n >> 8);
    this.raw(0x4a);
    this.u32(n);
    return this;
  }
  long1(v: bigint) {
    const bytes: number[] = [];
    let x = v;
    while (x !== 0n && x !== -1n) {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
    }
    if (v >= 0n && (bytes.length === 0 || bytes[bytes.length - 1]! & 0x80)) bytes.push(0);
    return this.raw(0x8a, bytes.length, ...bytes);
  }
  none() {
    return this.raw(0x4e);
  }
  bool(v: boolean) {
    return this.raw(v ? 0x88 : 0x89);
  }
  mark() {
    return this.raw(0x28);
  }
  tuple() {
    return this.raw(0x74);
  }
  emptyTuple() {
    return this.raw(0x29);
  }
  ints(values: readonly number[]) {
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }
  emptyDict() {
    return this.raw(0x7d);
  }
  emptyList() {
    return this.raw(0x5d);
  }
  appends() {
    return this.raw(0x65);
  }
  setitem() {
    return this.raw(0x73);
  }
  setitems() {
    return this.raw(0x75);
  }
  reduce() {
    return this.raw(0x52);
  }
  build() {
    return this.raw(0x62);
  }
  binpersid() {
    return this.raw(0x51);
  }
  stop() {
    return this.raw(0x2e);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export type StorageClass = 'FloatStorage' | 'DoubleStorage' | 'HalfStorage' | 'BFloat16Storage' | 'LongStorage' | 'IntStorage' | 'ShortStorage' | 'CharStorage' | 'ByteStorage' | 'BoolStorage';

/** One tensor of a hand-made state dict. */
export interface TensorSpec {
  name: string;
  storage: StorageClass;
  key: string;
  /** Elements the persistent id declares for the storage. */
  numel: number;
  offset: number;
  shape: number[];
  stride: number[];
}

/** The state-dict pickle `torch.save` writes: an OrderedDict of `_rebuild_tensor_v2` calls plus `_metadata`. */
export function stateDictPickle(tensors: readonly TensorSpec[], legacy = false): Uint8Array {
  const p = new PickleWriter().proto().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  for (const t of tensors) {
    p.str(t.name).global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().str('storage').global('torch', t.storage).str(t.key).str('cpu').int(t.numel);
    if (legacy) p.none();
    p.tuple().binpersid();
    p.int(t.offset).ints(t.shape).ints(t.stride).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
  }
  p.setitems();
  p.emptyDict().str('_metadata').global('collections', 'OrderedDict').emptyTuple().reduce().setitem().build();
  return p.stop().bytes();
}

/** A zip checkpoint: `<prefix>/data.pkl`, `<prefix>/data/<key>`, `<prefix>/version` (and optionally `byteorder`). */
export function torchZip(pkl: Uint8Array, storages: Record<string, Uint8Array>, options: { prefix?: string; byteorder?: string } = {}): Uint8Array {
  const prefix = options.prefix ?? 'archive';
  const files: Record<string, [Uint8Array, { level: 0 }]> = {};
  files[`${prefix}/data.pkl`] = [pkl, { level: 0 }];
  if (options.byteorder) files[`${prefix}/byteorder`] = [new TextEncoder().encode(options.byteorder), { level: 0 }];
  for (const [key, bytes] of Object.entries(storages)) files[`${prefix}/data/${key}`] = [bytes, { level: 0 }];
  files[`${prefix}/version`] = [new TextEncoder().encode('3\n'), { level: 0 }];
  return zipSync(files);
}

/** A legacy checkpoint (`tensors` may be a ready-made state pickle): 5 pickles, then per key an int64 count and the raw bytes (`itemsize` per element). */
export function torchLegacy(tensors: readonly TensorSpec[] | Uint8Array, storages: { key: string; count: number; bytes: Uint8Array }[]): Uint8Array {
  const magic = new PickleWriter().proto().long1(0x1950a86a20f9469cfc6cn).stop().bytes();
  const version = new PickleWriter().proto().int(1001).stop().bytes();
  const sysInfo = new PickleWriter()
    .proto()
    .emptyDict()
    .mark()
    .str('protocol_version')
    .int(1001)
    .str('little_endian')
    .bool(true)
    .str('type_sizes')
    .emptyDict()
    .mark()
    .str('short')
    .int(2)
    .str('int')
    .int(4)
    .str('long')
    .int(4)
    .setitems()
    .setitems()
    .stop()
    .bytes();
  const keys = new PickleWriter().proto().emptyList().mark();
  for (const s of storages) keys.str(s.key);
  const keyList = keys.appends().stop().bytes();
  const state = tensors instanceof Uint8Array ? tensors : stateDictPickle(tensors, true);
  const parts: Uint8Array[] = [magic, version, sysInfo, state, keyList];
  for (const s of storages) {
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigInt64(0, BigInt(s.count), true);
    parts.push(count, s.bytes);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Little-endian bytes of float32 values. */
export const f32Bytes = (values: readonly number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);
