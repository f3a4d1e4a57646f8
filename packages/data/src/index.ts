// @medxfer/data — MedMNIST for JavaScript. Portable core: no file system, no network of its own.
export * from './errors.js';
export { readNpy, readNpyHeader, encodeNpy, sizeOf, type NpyArray, type NpyData, type NpyDtype, type NpyHeader } from './npy.js';
export { npzEntries, readNpz, type NpzArrays, type NpzEntry } from './npz.js';
export { openZip, readZip, type ZipArchive, type ZipEntry } from './zip.js';
export { bytesFile, readAll, type RandomAccessFile } from './random-access.js';
export { allImageBytes, imagesInFile, imagesInMemory, type SplitImages } from './split-images.js';
export { encodeStoredZip } from './zip-write.js';
export { crc32 } from './crc32.js';
export { Md5, md5Hex, sha256Hex } from './md5.js';
export { Sha256, sha256HexSync } from './sha256.js';
export {
  CATALOGUE,
  MEDMNIST_VERSION,
  SPLITS,
  availableSizes,
  datasetFile,
  datasetInfo,
  isSingleLabel,
  type DatasetFile,
  type DatasetInfo,
  type ImageSize,
  type Split,
  type Task,
} from './catalogue.js';
export { memoryStore, type FileProgress, type FileStore, type InflateCache, type OpenFile } from './store.js';
export { downloadBytes, downloadChunks, type DownloadOptions, type DownloadProgress, type FetchLike } from './download.js';
export {
  asRGB,
  classCounts,
  imageAt,
  sourceIndexOf,
  subsetSplit,
  type ChecksumStatus,
  type DatasetSplit,
  type MedMNIST,
} from './dataset.js';
export { IN_MEMORY_BYTES, loadMedMNIST, openMedMNIST, openMedMNISTFile, type FileOpenOptions, type LoadOptions, type OpenOptions } from './open.js';
export { resizeBilinearPIL } from './transforms/resize.js';
export { HALF_NORMALIZATION, IMAGENET_NORMALIZATION, NO_NORMALIZATION, channelStats, type Normalization } from './transforms/normalize.js';
export { XRAY_AUGMENTATION, augmentImage, type Augmentation } from './transforms/augment.js';
export { VOLUME_AUGMENTATION, augmentVolume, resizeVolume, resizeVolumeValues } from './transforms/volume.js';
export { inputTransform, makeBatch, transformForModel, volumeToInput, type FloatBatch, type ImageTransform } from './transforms/pipeline.js';
export { limitSplits, strataOf, stratifiedCounts, stratifiedIndices, stratifiedSubset, type SplitLimits } from './subset.js';
export { isGrey, rasterToInput, toGrey, toRGB } from './transforms/raster.js';
export { batchIndices, prefetchBatches, type BatchPlan } from './batching.js';
export { mixSeed, permutation, seededRandom, type Random } from './random.js';
export { checkImageSize, decodePng, encodePng, MAX_IMAGE_PIXELS, type RasterImage } from './png.js';
export { montage, slicesToVolume, volumeSlices, type MontageOptions } from './montage.js';
