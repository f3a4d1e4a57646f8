import { DatasetUnavailableError } from './errors.js';

/** Progress of one download; `total` is undefined when the server sends no length. */
export interface DownloadProgress {
  readonly url: string;
  readonly loaded: number;
  readonly total: number | undefined;
}

export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;

export interface DownloadOptions {
  /** Defaults to the runtime's global `fetch`. */
  fetch?: FetchLike;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
}

/** Downloads a whole body into memory with progress callbacks; errors name the URL and what to do. */
export async function downloadBytes(url: string, what: string, options: DownloadOptions = {}): Promise<Uint8Array> {
  const fetchImpl = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
  if (!fetchImpl) throw new DatasetUnavailableError(what, `${what}: this runtime has no fetch; pass one in the options`);
  let response: Response;
  try {
    response = await fetchImpl(url, options.signal ? { signal: options.signal } : undefined);
  } catch (cause) {
    throw new DatasetUnavailableError(what, `${what}: cannot download ${url} (${(cause as Error).message}); check the network, or put the file there by hand`, { cause });
  }
  if (!response.ok) {
    throw new DatasetUnavailableError(what, `${what}: ${url} answered HTTP ${response.status} ${response.statusText}`.trim());
  }
  const lengthHeader = response.headers.get('content-length');
  const total = lengthHeader ? Number(lengthHeader) : undefined;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      options.onProgress?.({ url, loaded, total });
    }
  } catch (cause) {
    throw new DatasetUnavailableError(what, `${what}: download of ${url} broke off after ${loaded} bytes (${(cause as Error).message}); run it again`, { cause });
  }
  if (total !== undefined && loaded !== total) {
    throw new DatasetUnavailableError(what, `${what}: download of ${url} ended after ${loaded} of ${total} bytes; run it again`);
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const chunk of chunks) bytes.set(chunk, at), (at += chunk.length);
  return bytes;
}
