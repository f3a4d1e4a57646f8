import { describe, expect, it } from 'vitest';
import { bytes, duration, esc, num, parseNumber } from '../src/format.js';

describe('format', () => {
  it('escapes markup', () => {
    expect(esc(`<img src=x onerror="a('b')">&`)).toBe('&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;');
  });
  it('formats durations, metrics and sizes', () => {
    expect(duration(0)).toBe('0:00');
    expect(duration(75.4)).toBe('1:15');
    expect(duration(3725)).toBe('1:02:05');
    expect(duration(undefined)).toBe('–');
    expect(duration(Number.NaN)).toBe('–');
    expect(num(0.92345)).toBe('0.923');
    expect(num(Number.NaN)).toBe('–');
    expect(bytes(999)).toBe('999 B');
    expect(bytes(4_159_364)).toBe('4.2 MB');
    expect(bytes(421_644)).toBe('422 kB');
  });
  it('parses number fields', () => {
    expect(parseNumber(' 1e-3 ')).toBe(0.001);
    expect(parseNumber('')).toBeUndefined();
    expect(parseNumber('abc')).toBeUndefined();
    expect(parseNumber('32')).toBe(32);
  });
});
