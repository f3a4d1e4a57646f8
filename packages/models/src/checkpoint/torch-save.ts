// Writes a state dict in torch.save's default zip format, so PyTorch users load medxfer's models with
// `torch.load(path)` (weights_only=True works too: only OrderedDict, _rebuild_tensor_v2 and storages).
import { encodeStoredZip } from '@medxfer/data';

/** One tensor of a state dict to write: PyTorch's shape, C order, float32 or int64. */
export interface TorchSaveTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

/** The pickle protocol-2 opcodes a state dict needs. */
const OP = { PROTO: 0x80, GLOBAL: 0x63, EMPTY_TUPLE: 0x29, REDUCE: 0x52, MARK: 0x28, TUPLE: 0x74, BINPERSID: 0x51, BININT: 0x4a, BINUNICODE: 0x58, NEWFALSE: 0x89, SETITEMS: 0x75, STOP: 0x2e } as const;

class PickleWriter {
  private readonly bytes: number[] = [];
  op(code: number): this {
    this.bytes.push(code);
    return this;
  }
  global(module: string, name: string): this {
    this.op(OP.GLOBAL);
    for (const c of `${module}\n${name}\n`) this.bytes.push(c.charCodeAt(0));
    return this;
  }
  string(text: string): this {
    const utf8 = new TextEncoder().encode(text);
    this.op(OP.BINUNICODE).int32(utf8.length);
    this.bytes.push(...utf8);
    return this;
  }
  int(value: number): this {
    return this.op(OP.BININT).int32(value);
  }
  tuple(values: readonly number[]): this {
    if (values.length === 0) return this.op(OP.EMPTY_TUPLE);
    this.op(OP.MARK);
    for (const v of values) this.int(v);
    return this.op(OP.TUPLE);
  }
  /** `collections.OrderedDict()` */
  emptyOrderedDict(): this {
    return this.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE).op(OP.REDUCE);
  }
  private int32(v: number): this {
    this.bytes.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** C-order strides of a shape. */
const stridesOf = (shape: readonly number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** `torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())` with storage `key`. */
function pickleTensor(w: PickleWriter, key: string, t: TorchSaveTensor): void {
  const numel = t.shape.reduce((a, b) => a * b, 1);
  w.global('torch._utils', '_rebuild_tensor_v2').op(OP.MARK);
  w.op(OP.MARK).string('storage').global('torch', t.data instanceof BigInt64Array ? 'LongStorage' : 'FloatStorage').string(key).string('cpu').int(numel).op(OP.TUPLE).op(OP.BINPERSID);
  w.int(0).tuple(t.shape).tuple(stridesOf(t.shape)).op(OP.NEWFALSE).emptyOrderedDict();
  w.op(OP.TUPLE).op(OP.REDUCE);
}

/** The pickle of an OrderedDict of tensors whose storages are "0", "1", … in order. */
function pickleStateDict(tensors: readonly (readonly [string, TorchSaveTensor])[]): Uint8Array {
  const w = new PickleWriter().op(OP.PROTO).op(2).emptyOrderedDict().op(OP.MARK);
  tensors.forEach(([name, t], k) => {
    w.string(name);
    pickleTensor(w, String(k), t);
  });
  return w.op(OP.SETITEMS).op(OP.STOP).done();
}

/**
 * The bytes of `torch.save(state_dict, path)` (zip format, little-endian storages) for `tensors`, in order.
 * `archive` names the folder inside the zip (torch uses the file's stem).
 */
export function encodeTorchCheckpoint(tensors: ReadonlyMap<string, TorchSaveTensor>, archive = 'archive'): Uint8Array {
  const list = [...tensors];
  const files: [string, Uint8Array][] = [[`${archive}/data.pkl`, pickleStateDict(list)]];
  list.forEach(([, t], k) => files.push([`${archive}/data/${k}`, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
  files.push([`${archive}/version`, new TextEncoder().encode('3\n')]);
  return encodeStoredZip(files);
}
