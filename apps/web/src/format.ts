// Small pure formatting helpers shared by the page and its tests.

/** Escapes text for HTML and SVG markup (element content and attribute values). */
export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Seconds as `m:ss` (or `h:mm:ss`); `–` when unknown. */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A metric value with `digits` decimals; `–` for NaN/undefined (an undefined metric, e.g. AUC with one class). */
export function num(value: number | undefined, digits = 3): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** Bytes as B / kB / MB / GB (powers of 1000, as browsers show downloads). */
export function bytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '?';
  const units = ['B', 'kB', 'MB', 'GB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) (v /= 1000), u++;
  return `${u === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

/** Parses a number field; `undefined` for empty or invalid text. */
export function parseNumber(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}
