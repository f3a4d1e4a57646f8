/**
 * torchvision's ImageNet ResNet18 weights (`ResNet18_Weights.IMAGENET1K_V1`): read from a cache store,
 * else downloaded, checked against the hash prefix in the file name (torchvision's `check_hash`
 * convention), and cached only once the check passed. Portable: the caller passes the store and fetch.
 */
import { ChecksumMismatchError, downloadBytes, sha256Hex, type DownloadProgress, type FetchLike, type FileStore } from '@medxfer/data';
import { readCheckpoint, type CheckpointTensor } from '../checkpoint/index.js';
import { ModelError } from '../errors.js';

/** Where torchvision publishes the ImageNet ResNet18 weights (the `IMAGENET1K_V1` weights, top-1 69.758%). */
export const IMAGENET_RESNET18 = {
  url: 'https://download.pytorch.org/models/resnet18-f37072fd.pth',
  fileName: 'resnet18-f37072fd.pth',
  sha256Prefix: 'f37072fd',
} as const;

/** The weights are neither in the store nor downloadable (offline, HTTP error, downloads off). */
export class WeightsUnavailableError extends ModelError {
  constructor(
    readonly url: string,
    /** Where to put the file by hand (the store's location of the file name). */
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('WEIGHTS_UNAVAILABLE', message, options);
  }
}

/** torchvision's `HASH_REGEX` (`-([a-f0-9]*)\.`): the sha256 prefix a checkpoint's file name carries. */
export function hashPrefixOf(fileName: string): string | undefined {
  return /-([a-f0-9]*)\./.exec(fileName)?.[1] || undefined;
}

export interface ImagenetWeightsOptions {
  /** Where the file is cached (Node: `torchHubStore()` from `@medxfer/models/node`, torch hub's own folder). */
  store: FileStore;
  /** Default: the runtime's global `fetch`. */
  fetch?: FetchLike;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Download when the file is not in the store (default true); false: the store only. */
  download?: boolean;
  /** Download from here instead (a mirror); the file is still checked and cached under `fileName`. */
  url?: string;
  /** The cache name, whose `-<hex>.` part is the expected sha256 prefix (default `resnet18-f37072fd.pth`). For mirrors and tests. */
  fileName?: string;
  /** Overrides the prefix taken from `fileName`. For mirrors and tests. */
  expectedSha256Prefix?: string;
}

export interface ImagenetWeights {
  /** The state dict, torchvision names and PyTorch layouts, for `loadStateDict`. */
  readonly state: Map<string, CheckpointTensor>;
  /** The file's full sha256. */
  readonly sha256: string;
  /** For the saved model's metadata: `imagenet:resnet18-f37072fd`. */
  readonly source: string;
  /** Whether the bytes came from the store or were downloaded now. */
  readonly origin: 'cache' | 'download';
  /** Where the file is cached (`store.locate(fileName)`). */
  readonly path: string;
}

/**
 * The ImageNet ResNet18 state dict: from `store` if cached, else downloaded from `url`. The file's sha256
 * must start with the prefix its name carries (`f37072fd`), as torchvision checks; a mismatch throws
 * {@link ChecksumMismatchError} and nothing is cached. Offline with no cached copy:
 * {@link WeightsUnavailableError}, naming the URL and the exact path to put the file at.
 */
export async function loadImagenetResNet18Weights(options: ImagenetWeightsOptions): Promise<ImagenetWeights> {
  const { store } = options;
  const fileName = options.fileName ?? IMAGENET_RESNET18.fileName;
  const url = options.url ?? IMAGENET_RESNET18.url;
  const expected = (options.expectedSha256Prefix ?? hashPrefixOf(fileName))?.toLowerCase();
  if (!expected || !/^[0-9a-f]+$/.test(expected)) {
    throw new ModelError('BAD_OPTIONS', `no sha256 prefix to check ${fileName} against: name it like torchvision (name-<hex>.pth) or pass expectedSha256Prefix`);
  }
  const path = store.locate(fileName);
  const source = `imagenet:${fileName.replace(/\.[^.]*$/, '')}`;

  const cached = await store.read(fileName);
  if (cached) {
    const sha256 = await sha256Hex(cached);
    if (!sha256.startsWith(expected)) {
      throw new ChecksumMismatchError(path, 'sha256', `${expected}…`, sha256, `The cached file is not ${fileName} (damaged or replaced): delete it to download it again.`);
    }
    return { state: readCheckpoint(cached, path), sha256, source, origin: 'cache', path };
  }

  const manual = `To use it offline, download ${url} on a machine with network access and put it at ${path}.`;
  if (options.download === false) {
    throw new WeightsUnavailableError(url, path, `ImageNet ResNet18 weights: ${path} does not exist and downloading is off. ${manual}`);
  }
  const fetchImpl = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
  let networkFailure: unknown;
  const recordingFetch: FetchLike | undefined = fetchImpl
    ? async (u, init) => {
        try {
          return await fetchImpl(u, init);
        } catch (error) {
          networkFailure = error;
          throw error;
        }
      }
    : undefined;
  let bytes: Uint8Array;
  try {
    bytes = await downloadBytes(url, fileName, {
      ...(recordingFetch ? { fetch: recordingFetch } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    const why =
      networkFailure !== undefined
        ? `there is no network connection to ${url} (${(networkFailure as Error).message ?? networkFailure}${(networkFailure as Error).cause ? `: ${((networkFailure as Error).cause as Error).message ?? ''}` : ''})`
        : `the download failed: ${(error as Error).message}`;
    throw new WeightsUnavailableError(url, path, `ImageNet ResNet18 weights: ${path} does not exist and ${why}. ${manual}`, { cause: error });
  }
  const sha256 = await sha256Hex(bytes);
  if (!sha256.startsWith(expected)) {
    throw new ChecksumMismatchError(
      url,
      'sha256',
      `${expected}…`,
      sha256,
      `The download is not ${fileName} (a proxy or error page, or a wrong mirror?); nothing was saved to ${path}.`,
    );
  }
  const state = readCheckpoint(bytes, url);
  await store.writeAtomic(fileName, bytes);
  return { state, sha256, source, origin: 'download', path };
}
