// What MD5 and SHA-256 share: 64-byte blocks fed incrementally, and the final padding with the bit length.

/** A hash over 64-byte blocks; subclasses compress one block and write the digest. */
export abstract class BlockHash {
  private readonly block = new Uint8Array(64);
  private blockLength = 0;
  private total = 0;

  /** Whether the message length is written little-endian (MD5) or big-endian (SHA-2). */
  protected abstract readonly littleEndian: boolean;
  protected abstract compress(bytes: Uint8Array, at: number): void;
  protected abstract digestHex(): string;

  update(bytes: Uint8Array): this {
    let offset = 0;
    this.total += bytes.length;
    if (this.blockLength > 0) {
      const take = Math.min(64 - this.blockLength, bytes.length);
      this.block.set(bytes.subarray(0, take), this.blockLength);
      this.blockLength += take;
      offset = take;
      if (this.blockLength < 64) return this;
      this.compress(this.block, 0);
      this.blockLength = 0;
    }
    for (; offset + 64 <= bytes.length; offset += 64) this.compress(bytes, offset);
    this.block.set(bytes.subarray(offset), 0);
    this.blockLength = bytes.length - offset;
    return this;
  }

  /** The digest as lower-case hex (the hash is finished: call it once). */
  hex(): string {
    const bits = this.total * 8;
    const padding = new Uint8Array((this.blockLength < 56 ? 56 : 120) - this.blockLength + 8);
    padding[0] = 0x80;
    const view = new DataView(padding.buffer);
    const high = Math.floor(bits / 2 ** 32);
    const low = bits >>> 0;
    if (this.littleEndian) view.setUint32(padding.length - 8, low, true), view.setUint32(padding.length - 4, high, true);
    else view.setUint32(padding.length - 8, high), view.setUint32(padding.length - 4, low);
    this.update(padding);
    return this.digestHex();
  }
}
