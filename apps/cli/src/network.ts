import type { FetchLike } from '@medxfer/data';

/** `MEDXFER_OFFLINE=1` forbids every download (air-gapped machines, tests): fetches fail at once with this reason. */
export function cliFetch(env: Record<string, string | undefined> = process.env): FetchLike {
  if (env.MEDXFER_OFFLINE && env.MEDXFER_OFFLINE !== '0') return () => Promise.reject(new Error('downloads are off (MEDXFER_OFFLINE is set)'));
  return (url, init) => fetch(url, init);
}
