// Byte ranges of a growable WebAssembly memory, handed out first-fit and coalesced when freed: the shared
// memory kernel threads work in keeps filters between calls and each call's operands, so blocks of many
// sizes come and go.

const PAGE = 65536;
const ALIGN = 64;

const aligned = (bytes: number) => Math.ceil(Math.max(bytes, 1) / ALIGN) * ALIGN;

export class Arena {
  /** Free ranges, sorted by offset, never adjacent (coalesced). */
  private readonly free: { offset: number; bytes: number }[] = [];
  private readonly sizes = new Map<number, number>();

  /** Hands out bytes from `base` up; below it is the caller's (a control block). */
  constructor(
    private readonly memory: WebAssembly.Memory,
    base: number,
  ) {
    const end = memory.buffer.byteLength;
    if (end > base) this.free.push({ offset: base, bytes: end - base });
  }

  /** The offset of `bytes` fresh bytes (64-byte aligned), growing the memory when no free range fits. */
  alloc(bytes: number): number {
    const size = aligned(bytes);
    let index = this.free.findIndex((r) => r.bytes >= size);
    if (index < 0) index = this.grow(size);
    const range = this.free[index]!;
    const offset = range.offset;
    if (range.bytes === size) this.free.splice(index, 1);
    else this.free[index] = { offset: offset + size, bytes: range.bytes - size };
    this.sizes.set(offset, size);
    return offset;
  }

  /** Returns a range that `alloc` handed out. */
  release(offset: number): void {
    const size = this.sizes.get(offset);
    if (size === undefined) throw new Error(`Arena.release: ${offset} was not allocated`);
    this.sizes.delete(offset);
    let index = this.free.findIndex((r) => r.offset > offset);
    if (index < 0) index = this.free.length;
    this.free.splice(index, 0, { offset, bytes: size });
    this.merge(index);
    if (index > 0) this.merge(index - 1);
  }

  /** Bytes handed out and not released. */
  get inUse(): number {
    let sum = 0;
    for (const size of this.sizes.values()) sum += size;
    return sum;
  }

  /** Merges free range `index` with the next one where they touch. */
  private merge(index: number): void {
    const [a, b] = [this.free[index], this.free[index + 1]];
    if (a && b && a.offset + a.bytes === b.offset) this.free.splice(index, 2, { offset: a.offset, bytes: a.bytes + b.bytes });
  }

  /** Grows the memory so that a free range of `size` bytes ends it; returns that range's index. */
  private grow(size: number): number {
    const end = this.memory.buffer.byteLength;
    const last = this.free.at(-1);
    const tail = last && last.offset + last.bytes === end ? last.bytes : 0;
    this.memory.grow(Math.ceil((size - tail) / PAGE));
    const added = this.memory.buffer.byteLength - end;
    if (tail) last!.bytes += added;
    else this.free.push({ offset: end, bytes: added });
    return this.free.length - 1;
  }
}
