import { describe, expect, it } from 'vitest';
import { decodePng, encodePng, imageAt, montage, openMedMNIST } from '@medxfer/data';
import { pneumoniaBytes } from './helpers.js';

describe('montage and PNG', () => {
  const { test } = openMedMNIST(pneumoniaBytes(), { flag: 'pneumoniamnist', verify: false }).splits;

  it('lays the chosen images out in an L×L grid', () => {
    const grid = montage(test, { length: 3, indices: [5, 6, 7, 8] });
    expect([grid.width, grid.height, grid.channels]).toEqual([84, 84, 1]);
    const tile = (k: number) => Array.from({ length: 28 }, (_, y) => Array.from(grid.pixels.subarray((Math.floor(k / 3) * 28 + y) * 84 + (k % 3) * 28, (Math.floor(k / 3) * 28 + y) * 84 + (k % 3) * 28 + 28)));
    expect(tile(1).flat()).toEqual(Array.from(imageAt(test, 6)));
    expect(new Set(tile(8).flat())).toEqual(new Set([0]));
  });

  it('is seeded', () => {
    expect(montage(test, { length: 4, seed: 1 }).pixels).toEqual(montage(test, { length: 4, seed: 1 }).pixels);
    expect(montage(test, { length: 4, seed: 1 }).pixels).not.toEqual(montage(test, { length: 4, seed: 2 }).pixels);
  });

  it('PNG encodes losslessly', () => {
    const grid = montage(test, { length: 2, seed: 3 });
    const png = encodePng(grid);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const back = decodePng(png);
    expect([back.width, back.height]).toEqual([56, 56]);
    for (let i = 0; i < 56 * 56; i++) expect(back.pixels[4 * i]).toBe(grid.pixels[i]);
    expect(() => decodePng(new Uint8Array([1, 2, 3]), 'bad.png')).toThrow(/bad\.png: not a readable PNG/);
  });
});
