// @medxfer/data's public API under Deno, on the shared PneumoniaMNIST and torchvision reference fixtures.
import {
  allImageBytes,
  bytesFile,
  CATALOGUE,
  ChecksumMismatchError,
  IMAGENET_NORMALIZATION,
  SPLITS,
  availableSizes,
  batchIndices,
  classCounts,
  datasetFile,
  datasetInfo,
  decodePng,
  encodeNpy,
  encodeStoredZip,
  encodePng,
  imageAt,
  loadMedMNIST,
  makeBatch,
  md5Hex,
  memoryStore,
  montage,
  openMedMNIST,
  openMedMNISTFile,
  permutation,
  readNpy,
  readNpz,
  readZip,
  resizeBilinearPIL,
  seededRandom,
  sha256Hex,
  subsetSplit,
  UnknownDatasetError,
} from '@medxfer/data';
import { assert, assertClose, assertEquals, assertRejects, assertThrows, readShared } from './harness.ts';

const npz = readShared('data', 'pneumoniamnist.npz');
const reference = JSON.parse(new TextDecoder().decode(readShared('fixtures', 'reference', 'metrics-reference.json')));
const data = openMedMNIST(npz, { flag: 'pneumoniamnist', verify: false });

Deno.test('catalogue: 18 datasets, PneumoniaMNIST binary with 28-224 px files', () => {
  assertEquals(CATALOGUE.length, 18, 'datasets');
  const info = datasetInfo('PneumoniaMNIST');
  assertEquals([info.flag, info.task, info.labels.length, info.dimensions], ['pneumoniamnist', 'binary-class', 2, 2]);
  assertEquals(availableSizes(info), [28, 64, 128, 224], 'sizes');
  const file = datasetFile(info, 28);
  assertEquals(file.fileName, 'pneumoniamnist.npz');
  assert(/^[0-9a-f]{32}$/.test(file.md5) && file.url.startsWith('https://'), 'md5 and url');
  assertThrows(() => datasetInfo('nosuchmnist'), UnknownDatasetError);
  assertEquals(SPLITS, ['train', 'val', 'test']);
});

Deno.test('md5 and sha256 (Web Crypto) of the shared file match its README', async () => {
  assertEquals(md5Hex(npz), 'b591286d75c096548ca78ab709b385da', 'md5');
  assertEquals(await sha256Hex(npz), '8c555c787c4594882835129e3cee6a02cf9b8a6d8aed162b512521a5697177c8', 'sha256');
});

Deno.test('readNpz reads all six arrays; openMedMNIST checks the md5 unless told not to', () => {
  const arrays = readNpz(npz, 'pneumoniamnist.npz');
  assertEquals([...arrays.keys()].sort(), ['test_images', 'test_labels', 'train_images', 'train_labels', 'val_images', 'val_labels']);
  assertEquals(arrays.get('train_images')!.shape, [4708, 28, 28]);
  assertEquals(arrays.get('train_labels')!.dtype, 'u1');
  assertThrows(() => openMedMNIST(npz, { flag: 'pneumoniamnist' }), ChecksumMismatchError, /not the official/);
  assertEquals(data.checksum, 'unverified');
  assertEquals(openMedMNIST(npz, { flag: 'pneumoniamnist', expectedMd5: 'b591286d75c096548ca78ab709b385da' }).checksum, 'known-copy');
});

Deno.test('class counts equal the official splits', () => {
  assertEquals(SPLITS.map((s) => [data.splits[s].count, classCounts(data.splits[s])]), [[4708, [1214, 3494]], [524, [135, 389]], [624, [234, 390]]]);
});

for (const size of [28, 64, 224]) {
  Deno.test(`makeBatch = torchvision Resize(${size}) [PIL bilinear] → Grayscale(3) → ToTensor → Normalize, to 1e-6`, () => {
    const expected = readNpy(readShared('fixtures', 'reference', `transform-imagenet-${size}.npy`));
    const batch = makeBatch(data.splits.train, reference.source_indices, { size, channels: 3, normalization: IMAGENET_NORMALIZATION, layout: 'NCHW' });
    assertEquals(batch.shape, expected.shape, 'shape');
    assertClose(batch.images, expected.data as Float32Array, 1e-6, 0, 'pixels');
  });
}

Deno.test('the reference source images are the split images at source_indices; resizeBilinearPIL keeps size 28 as is', () => {
  const source = readNpy(readShared('fixtures', 'reference', 'transform-source.npy'));
  const images = reference.source_indices.map((i: number) => Array.from(imageAt(data.splits.train, i))).flat();
  assertEquals(images, Array.from(source.data as Uint8Array), 'source images');
  const one = imageAt(data.splits.train, 0);
  assertEquals(Array.from(resizeBilinearPIL(one, 28, 28, 1, 28, 28)), Array.from(one), 'identity resize');
});

Deno.test('seeded batching and subsets are deterministic', () => {
  const a = batchIndices(100, { batchSize: 32, seed: 42, epoch: 1 });
  const b = batchIndices(100, { batchSize: 32, seed: 42, epoch: 1 });
  assertEquals(a.map((x) => Array.from(x)), b.map((x) => Array.from(x)));
  assertEquals(a.map((x) => x.length), [32, 32, 32, 4]);
  assertEquals([...a.flatMap((x) => Array.from(x))].sort((p, q) => p - q), Array.from({ length: 100 }, (_, i) => i));
  const sub = subsetSplit(data.splits.val, permutation(data.splits.val.count, seededRandom(3)).subarray(0, 10));
  assertEquals(sub.count, 10);
  assertEquals(allImageBytes(sub.images).length, 10 * 28 * 28);
});

Deno.test('openMedMNISTFile reads by offset (here over bytes) the same images and labels as openMedMNIST', async () => {
  const zip = readZip(npz);
  const stored = encodeStoredZip(zip.entries.map((e) => [e.name, zip.read(e)] as const));
  const byOffset = await openMedMNISTFile(bytesFile(stored, 'stored.npz'), { flag: 'pneumoniamnist', verify: false, inMemoryBytes: 0 });
  const inMemory = openMedMNIST(stored, { flag: 'pneumoniamnist', verify: false });
  for (const split of SPLITS) {
    assertEquals(byOffset.splits[split].storage, 'file');
    assertEquals(Array.from(allImageBytes(byOffset.splits[split].images)), Array.from(allImageBytes(inMemory.splits[split].images)), `${split} images`);
    assertEquals(Array.from(byOffset.splits[split].labels), Array.from(inMemory.splits[split].labels), `${split} labels`);
  }
});

Deno.test('NPY and PNG round trips; montage', () => {
  const back = readNpy(encodeNpy(Float32Array.from([1, 2, 3, 4, 5, 6.5]), [2, 3]));
  assertEquals([back.shape, Array.from(back.data as Float32Array)], [[2, 3], [1, 2, 3, 4, 5, 6.5]]);
  const grid = montage(data.splits.test, { length: 3, seed: 1 });
  assertEquals([grid.width, grid.height, grid.channels], [84, 84, 1]);
  const png = decodePng(encodePng(grid));
  assertEquals([png.width, png.height, png.channels], [84, 84, 4]);
  assertEquals(Array.from({ length: 84 * 84 }, (_, i) => png.pixels[4 * i]), Array.from(grid.pixels), 'grey pixels');
});

Deno.test('loadMedMNIST downloads through an injected fetch into a memory store, then reads the store', async () => {
  const store = memoryStore();
  let calls = 0;
  const fetch = async (url: string) => {
    calls++;
    assert(url.startsWith('https://'), url);
    return new Response(npz.slice(), { headers: { 'content-length': String(npz.length) } });
  };
  await assertRejects(() => loadMedMNIST('pneumoniamnist', { store, fetch }), ChecksumMismatchError);
  assertEquals(store.files.size, 0, 'nothing cached after a bad checksum');
  const loaded = await loadMedMNIST('pneumoniamnist', { store, fetch, verify: false });
  assertEquals([loaded.splits.test.count, store.files.size], [624, 1]);
  await loadMedMNIST('pneumoniamnist', { store, fetch, verify: false, download: false });
  assertEquals(calls, 2, 'the third load came from the store');
});
