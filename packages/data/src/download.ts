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

/** Downloads a body as a stream of chunks with progress callbacks; errors name the URL and what to do. */
export async function* downloadChunks(url: string, what: string, options: DownloadOptions = {}): AsyncGenerator<Uint8Array> {
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
  if (!response.body) {
    yield new Uint8Array(await response.arrayBuffer());
    return;
  }
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (cause) {
      throw new DatasetUnavailableError(what, `${what}: download of ${url} broke off after ${loaded} bytes (${(cause as Error).message}); run it again`, { cause });
    }
    if (chunk.done) break;
    loaded += chunk.value.length;
    options.onProgress?.({ url, loaded, total });
    yield chunk.value;
  }
  if (total !== undefined && loaded !== total) {
    throw new DatasetUnavailableError(what, `${what}: download of ${url} ended after ${loaded} of ${total} bytes; run it again`);
  }
}

/** Downloads a whole body into memory (see {@link downloadChunks}). */
export async function downloadBytes(url: string, what: string, options: DownloadOptions = {}): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of downloadChunks(url, what, options)) chunks.push(chunk);
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) bytes.set(chunk, at), (at += chunk.length);
  return bytes;
}
