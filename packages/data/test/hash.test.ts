import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Md5, md5Hex, Sha256, sha256HexSync } from '@medxfer/data';
import { sha256Node } from '@medxfer/data/node';

/** Deterministic bytes (a small LCG), so a failure reproduces. */
const bytes = (n: number, seed: number) => {
  let s = seed >>> 0;
  return Uint8Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
};

describe('portable hashes equal node:crypto', () => {
  it.each([0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_003])('%i bytes, whole and in pieces', (n) => {
    const b = bytes(n, n + 1);
    const sha = createHash('sha256').update(b).digest('hex');
    const md5 = createHash('md5').update(b).digest('hex');
    expect(sha256HexSync(b)).toBe(sha);
    expect(sha256HexSync(b.subarray(0, n >> 1), b.subarray(n >> 1))).toBe(sha);
    expect(new Sha256().update(b.subarray(0, 7)).update(b.subarray(7)).hex()).toBe(sha);
    expect(sha256Node(b.subarray(0, 3), b.subarray(3))).toBe(sha);
    expect(md5Hex(b)).toBe(md5);
    expect(new Md5().update(b.subarray(0, n >> 2)).update(b.subarray(n >> 2)).hex()).toBe(md5);
  });
});
