/**
 * A minimal, allowlisting pickle reader. It interprets the opcodes that `torch.save` emits for state dicts
 * and nothing more: GLOBAL resolves only the handful of names that rebuild tensors and ordered dicts, REDUCE
 * only "calls" those (by building inert descriptions), and nothing is ever executed. Everything else is refused
 * with {@link UnsafePickleError} before any further byte is read.
 */
import { CorruptCheckpointError, UnsafePickleError, UnsupportedDtypeError } from './errors.js';
import type { CheckpointDtype } from './tensor.js';

/** A Python dict (or `collections.OrderedDict`); keys keep insertion order. */
export class PickleDict {
  readonly items = new Map<PickleKey, PickleValue>();
  /** The state a BUILD gave it (e.g. `{'_metadata': …}` on a state dict); attributes, not items. */
  attributes: PickleValue | undefined = undefined;
  constructor(readonly ordered: boolean) {}
}

/** A `torch.*Storage` class named by GLOBAL; only usable inside a persistent id. */
export class StorageType {
  constructor(
    readonly name: string,
    readonly dtype: CheckpointDtype,
  ) {}
}

/** A storage, as the caller's persistent-load callback describes it. */
export class StorageRef {
  constructor(
    /** The storage's key (`data/<key>` in zip files). */
    readonly key: string,
    readonly dtype: CheckpointDtype,
    /** Elements the storage declares. */
    readonly numel: number,
    /** Element offset into the root storage (legacy storage views); 0 otherwise. */
    readonly viewOffset = 0,
    /** Elements of the root storage `key` (differs from `numel` only for legacy storage views). */
    readonly rootNumel = numel,
  ) {}
}

/** `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …)`, described, not executed. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

/** A callable the allowlist resolves GLOBAL to. */
class AllowedCallable {
  constructor(readonly qualifiedName: 'collections.OrderedDict' | 'torch._utils._rebuild_tensor_v2' | 'torch._utils._rebuild_parameter') {}
}

/** Hashable keys of {@link PickleDict}. */
export type PickleKey = string | number | bigint | boolean | null;

/** Values the reader produces. Tuples are frozen arrays, lists are plain arrays. */
export type PickleValue =
  | PickleKey
  | Uint8Array
  | PickleValue[]
  | readonly PickleValue[]
  | PickleDict
  | StorageType
  | StorageRef
  | TensorRef
  | AllowedCallable;

/** Storage classes by name; dtypes we cannot represent are refused with {@link UnsupportedDtypeError}. */
const STORAGE_TYPES: Readonly<Record<string, CheckpointDtype>> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};
const UNSUPPORTED_STORAGE_TYPES: Readonly<Record<string, string>> = {
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
  ComplexHalfStorage: 'complex32',
  QInt8Storage: 'qint8',
  QUInt8Storage: 'quint8',
  QInt32Storage: 'qint32',
  QUInt4x2Storage: 'quint4x2',
  QUInt2x4Storage: 'quint2x4',
  UntypedStorage: 'untyped',
};

const OPCODE_NAMES: Readonly<Record<number, string>> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT',
  0x4a: 'BININT', 0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID',
  0x51: 'BINPERSID', 0x52: 'REDUCE', 0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND', 0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT',
  0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET', 0x69: 'INST', 0x6a: 'LONG_BINGET',
  0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT',
  0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2',
  0x87: 'TUPLE3', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

export interface UnpickleOptions {
  /** File name for error messages. */
  file?: string;
  /** Entry (e.g. `archive/data.pkl`) or part (e.g. `pickle 4 of 5`) for error messages. */
  entry?: string;
  /** Byte offset where the pickle starts (several pickles may follow each other). */
  start?: number;
  /**
   * Receives each BINPERSID persistent id (a tuple such as `('storage', StorageType, '0', 'cpu', 36)`)
   * and returns the value to push. Without it, persistent ids are refused.
   */
  persistentLoad?: (pid: PickleValue) => PickleValue;
}

export interface UnpickleResult {
  value: PickleValue;
  /** Offset just past the STOP opcode. */
  end: number;
}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

/** Longest LONG1/LONG4 integer accepted, in bytes (the legacy magic number needs 10). */
const MAX_LONG_BYTES = 64;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Reads one pickle from `bytes` (starting at `options.start`), allowing only state-dict constructs. */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: the pickle virtual machine is one loop over one opcode switch, the way CPython's and torch's readers are written; each case is a few lines and the allowlist checks sit beside the opcodes they guard.
export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): UnpickleResult {
  const file = options.file ?? '<pickle>';
  const entry = options.entry;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  let pos = options.start ?? 0;
  let opPos = pos;
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();

  const corrupt = (problem: string): never => {
    throw new CorruptCheckpointError(file, entry, `${problem} (pickle byte ${opPos})`);
  };
  const unsafe = (refused: string, what: string): never => {
    throw new UnsafePickleError(file, entry, refused, what, opPos);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) corrupt(`truncated: opcode needs ${n} more bytes but the data ends at byte ${bytes.length}`);
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = Number(view.getBigUint64(pos, true));
    pos += 8;
    if (!Number.isSafeInteger(v)) corrupt(`length ${v} is too large`);
    return v;
  };
  const take = (n: number) => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const line = () => {
    const endAt = bytes.indexOf(0x0a, pos);
    if (endAt < 0) corrupt('truncated: missing end of line');
    const text = latin1.decode(bytes.subarray(pos, endAt));
    pos = endAt + 1;
    return text;
  };
  const utf8 = (raw: Uint8Array) => {
    try {
      return decoder.decode(raw);
    } catch {
      return corrupt('string is not valid UTF-8');
    }
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined) corrupt('stack underflow');
    if (v === MARK) corrupt('unexpected MARK on the stack');
    return v as PickleValue;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) corrupt('stack underflow');
    return v as PickleValue;
  };
  const popMark = (): PickleValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) corrupt('MARK not found');
    const items = stack.splice(at) as PickleValue[];
    items.shift();
    return items;
  };
  const tuple = (items: PickleValue[]): readonly PickleValue[] => Object.freeze(items);
  const asList = (v: PickleValue): PickleValue[] => {
    if (!Array.isArray(v) || Object.isFrozen(v)) corrupt('APPEND on something that is not a list');
    return v as PickleValue[];
  };
  const asDict = (v: PickleValue): PickleDict => {
    if (!(v instanceof PickleDict)) corrupt('SETITEM on something that is not a dict');
    return v as PickleDict;
  };
  const setItem = (dict: PickleDict, key: PickleValue, value: PickleValue) => {
    if (!(key === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof key))) corrupt('dict key is not a string, number, bool or None');
    dict.items.set(key as PickleKey, value);
  };
  const signedLong = (raw: Uint8Array): number | bigint => {
    if (raw.length === 0) return 0;
    if (raw.length > MAX_LONG_BYTES) corrupt(`integer of ${raw.length} bytes is too large for a checkpoint`);
    let v = 0n;
    for (let i = raw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]!);
    if (raw[raw.length - 1]! & 0x80) v -= 1n << BigInt(raw.length * 8);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  const resolveGlobal = (module: string, name: string): PickleValue => {
    const qualified = `${module}.${name}`;
    if (module === 'collections' && name === 'OrderedDict') return new AllowedCallable('collections.OrderedDict');
    if (module === 'torch._utils' && (name === '_rebuild_tensor_v2' || name === '_rebuild_parameter')) return new AllowedCallable(qualified as 'torch._utils._rebuild_tensor_v2');
    if (module === 'torch') {
      const dtype = STORAGE_TYPES[name];
      if (dtype && Object.hasOwn(STORAGE_TYPES, name)) return new StorageType(name, dtype);
      if (Object.hasOwn(UNSUPPORTED_STORAGE_TYPES, name)) throw new UnsupportedDtypeError(file, entry, `${UNSUPPORTED_STORAGE_TYPES[name]} (torch.${name})`);
    }
    return unsafe(qualified, `global ${qualified}`);
  };

  const intList = (v: PickleValue, what: string): number[] => {
    if (!Array.isArray(v) || !v.every((x) => isInt(x) && x >= 0)) corrupt(`${what} is not a tuple of non-negative integers`);
    return [...(v as number[])];
  };

  const call = (callable: PickleValue, args: PickleValue): PickleValue => {
    if (!(callable instanceof AllowedCallable)) {
      const what = callable instanceof StorageType ? `torch.${callable.name}` : typeof callable;
      return unsafe(what, `a call of ${what} (REDUCE)`);
    }
    if (!Array.isArray(args)) corrupt('REDUCE arguments are not a tuple');
    const a = args as PickleValue[];
    switch (callable.qualifiedName) {
      case 'collections.OrderedDict': {
        const dict = new PickleDict(true);
        if (a.length === 0) return dict;
        if (a.length === 1 && Array.isArray(a[0])) {
          for (const pair of a[0] as PickleValue[]) {
            if (!Array.isArray(pair) || pair.length !== 2) corrupt('OrderedDict argument is not a list of pairs');
            setItem(dict, (pair as PickleValue[])[0]!, (pair as PickleValue[])[1]!);
          }
          return dict;
        }
        return corrupt('unexpected OrderedDict arguments');
      }
      case 'torch._utils._rebuild_tensor_v2': {
        if (a.length < 4 || a.length > 7) corrupt(`_rebuild_tensor_v2 takes 4 to 7 arguments, got ${a.length}`);
        const [storage, offset, size, stride] = a;
        if (!(storage instanceof StorageRef)) corrupt('_rebuild_tensor_v2: first argument is not a storage');
        if (!isInt(offset) || offset < 0) corrupt('_rebuild_tensor_v2: storage offset is not a non-negative integer');
        const shape = intList(size!, '_rebuild_tensor_v2: size');
        const strides = intList(stride!, '_rebuild_tensor_v2: stride');
        if (shape.length !== strides.length) corrupt('_rebuild_tensor_v2: size and stride differ in length');
        return new TensorRef(storage as StorageRef, offset as number, shape, strides);
      }
      case 'torch._utils._rebuild_parameter': {
        if (a.length !== 3 || !(a[0] instanceof TensorRef)) corrupt('_rebuild_parameter: expected (tensor, requires_grad, hooks)');
        return a[0]!;
      }
    }
  };

  for (;;) {
    opPos = pos;
    if (pos >= bytes.length) corrupt('truncated: the pickle ends without a STOP opcode');
    const op = bytes[pos++]!;
    switch (op) {
      case 0x80: {
        const proto = u8();
        if (proto > 5) corrupt(`unsupported pickle protocol ${proto}`);
        break;
      }
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: {
        // STOP
        return { value: pop(), end: pos };
      }
      case 0x28:
        stack.push(MARK);
        break;
      case 0x30:
        if (stack.length === 0) corrupt('stack underflow');
        stack.pop();
        break;
      case 0x31:
        popMark();
        break;
      case 0x32:
        stack.push(top());
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a:
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b:
        stack.push(u8());
        break;
      case 0x4d:
        stack.push(u16());
        break;
      case 0x8a:
        stack.push(signedLong(take(u8())));
        break;
      case 0x8b: {
        need(4);
        const n = view.getInt32(pos, true);
        pos += 4;
        if (n < 0) corrupt('negative LONG4 length');
        stack.push(signedLong(take(n)));
        break;
      }
      case 0x49: {
        // INT (text): also encodes True/False as 01/00
        const text = line();
        if (text === '01' || text === '00') stack.push(text === '01');
        else if (/^[-+]?\d{1,40}$/.test(text)) {
          const v = BigInt(text);
          stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        } else corrupt('INT is not an integer');
        break;
      }
      case 0x47:
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58:
        stack.push(utf8(take(u32())));
        break;
      case 0x8c:
        stack.push(utf8(take(u8())));
        break;
      case 0x8d:
        stack.push(utf8(take(u64())));
        break;
      case 0x54: {
        need(4);
        const n = view.getInt32(pos, true);
        pos += 4;
        if (n < 0) corrupt('negative BINSTRING length');
        stack.push(latin1.decode(take(n)));
        break;
      }
      case 0x55:
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x42:
        stack.push(take(u32()).slice());
        break;
      case 0x43:
        stack.push(take(u8()).slice());
        break;
      case 0x8e:
        stack.push(take(u64()).slice());
        break;
      case 0x29:
        stack.push(tuple([]));
        break;
      case 0x74:
        stack.push(tuple(popMark()));
        break;
      case 0x85:
        stack.push(tuple([pop()]));
        break;
      case 0x86: {
        const b = pop();
        stack.push(tuple([pop(), b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push(tuple([pop(), b, c]));
        break;
      }
      case 0x5d:
        stack.push([]);
        break;
      case 0x6c:
        stack.push(popMark());
        break;
      case 0x61: {
        const v = pop();
        asList(top()).push(v);
        break;
      }
      case 0x65: {
        const items = popMark();
        asList(top()).push(...items);
        break;
      }
      case 0x7d:
        stack.push(new PickleDict(false));
        break;
      case 0x64: {
        const items = popMark();
        if (items.length % 2) corrupt('DICT with an odd number of items');
        const dict = new PickleDict(false);
        for (let i = 0; i < items.length; i += 2) setItem(dict, items[i]!, items[i + 1]!);
        stack.push(dict);
        break;
      }
      case 0x73: {
        const value = pop();
        const key = pop();
        setItem(asDict(top()), key, value);
        break;
      }
      case 0x75: {
        const items = popMark();
        if (items.length % 2) corrupt('SETITEMS with an odd number of items');
        const dict = asDict(top());
        for (let i = 0; i < items.length; i += 2) setItem(dict, items[i]!, items[i + 1]!);
        break;
      }
      case 0x71:
        memo.set(u8(), top());
        break;
      case 0x72:
        memo.set(u32(), top());
        break;
      case 0x70: {
        const key = line();
        if (!/^\d+$/.test(key)) corrupt('PUT key is not a number');
        memo.set(Number(key), top());
        break;
      }
      case 0x94:
        memo.set(memo.size, top());
        break;
      case 0x68:
      case 0x6a:
      case 0x67: {
        const key = op === 0x68 ? u8() : op === 0x6a ? u32() : Number(line());
        if (!memo.has(key)) corrupt(`memo key ${key} is not defined`);
        stack.push(memo.get(key)!);
        break;
      }
      case 0x63: {
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') corrupt('STACK_GLOBAL needs two strings');
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: {
        const args = pop();
        const callable = pop();
        stack.push(call(callable, args));
        break;
      }
      case 0x62: {
        // BUILD: only the attribute state of a dict (torch's `_metadata`) is accepted.
        const state = pop();
        const target = top();
        if (!(target instanceof PickleDict)) {
          const what = target instanceof TensorRef ? 'a tensor' : Array.isArray(target) ? 'a list or tuple' : typeof target;
          unsafe('BUILD', `opcode BUILD (0x62) on ${what}`);
        }
        if (!(state instanceof PickleDict)) unsafe('BUILD', 'opcode BUILD (0x62) with a state that is not a dict');
        (target as PickleDict).attributes = state;
        break;
      }
      case 0x51: {
        const pid = pop();
        if (!options.persistentLoad) unsafe('BINPERSID', 'a persistent id (BINPERSID) outside a checkpoint');
        stack.push(options.persistentLoad!(pid));
        break;
      }
      default: {
        const name = OPCODE_NAMES[op];
        const hex = `0x${op.toString(16).padStart(2, '0')}`;
        if (name) unsafe(name, `opcode ${name} (${hex})`);
        corrupt(`unknown pickle opcode ${hex}`);
      }
    }
  }
}
