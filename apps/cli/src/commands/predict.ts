import { extname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { encodePng, rasterToInput, resizeVolume, transformForModel, volumeToInput, type RasterImage } from '@medxfer/data';
import { writeFileAtomic } from '@medxfer/data/node';
import { gradCam, midSliceOverlays, overlayHeatmap, upsampleHeatmap, type StageName } from '@medxfer/models';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { activateBackend, BACKEND_CHOICES } from '../backend.js';
import { UsageError } from '../errors.js';
import { readImage, readVolume } from '../image-input.js';
import { checkProbabilities, explainedClass, outputActivation, predictionOf, probabilitiesOf, readAndDispose, taskKind } from '@medxfer/train';
import { loadModelArg } from '../model-dir.js';
import { table, type Output } from '../output.js';

export const predictSpec: CommandSpec = {
  name: 'predict',
  summary: 'Predictions for PNG/JPEG images (resized and normalised as in training): the class, or for multi-label models every finding above 0.5, with probabilities and an optional Grad-CAM overlay. Models of 3D datasets take volumes: .npy files (uint8 [D, H, W]) or PNG grids of a volume\'s slices as `datasets save` writes them.',
  positionals: [{ name: 'image', required: true, variadic: true, description: 'PNG or JPEG files (3D models: .npy volumes or PNG slice grids)' }],
  flags: {
    model: { type: 'string', value: 'DIR', description: 'a run folder or a model folder (required)' },
    cam: { type: 'string', value: 'OUT.png', description: 'write a Grad-CAM heat-map overlay (several images: OUT-1.png, OUT-2.png, …; volumes: their axial, coronal and sagittal middle slices side by side)' },
    'cam-layer': { type: 'string', value: 'L', choices: ['auto', 'layer1', 'layer2', 'layer3', 'layer4'], default: 'auto', description: 'the stage Grad-CAM explains (auto: the deepest with a map of at least 7×7 — layer1 at 28 px, layer2 at 64, layer4 at 224)' },
    backend: { type: 'string', value: 'NAME', choices: BACKEND_CHOICES, default: 'auto', description: 'tfjs backend' },
  },
  examples: ['medxfer predict --model runs/my-run xray.png --cam xray-cam.png'],
};

export async function predictCommand(args: ParsedArgs, out: Output): Promise<void> {
  const cam = args.flags.cam as string | undefined;
  if (cam && extname(cam) !== '.png') throw new UsageError(`--cam must name a .png file, got "${cam}"`);
  // Images (and slice grids) are read before the model: a bad file is reported without loading anything.
  const rasters = new Map(await Promise.all(args.positionals.filter((p) => !p.toLowerCase().endsWith('.npy')).map(async (p) => [p, await readImage(p)] as const)));
  await activateBackend(args.flags.backend as string);
  const loaded = await loadModelArg(args.flags.model as string | undefined);
  if (loaded.metadata.volume) return predictVolumes(args, loaded, rasters, out);
  const images = await Promise.all(args.positionals.map((p) => rasters.get(p) ?? readImage(p)));
  const transform = transformForModel(loaded.metadata);
  const task = taskKind(loaded.metadata.task);
  const names = loaded.metadata.classNames;
  const results = [];
  for (const [k, image] of images.entries()) {
    const input = rasterToInput(image, { ...transform, size: transform.size! });
    const x = tf.tensor4d(input.data, input.shape);
    const probabilities = await readAndDispose(tf.tidy(() => probabilitiesOf(task, loaded.model.predict(x))));
    checkProbabilities(task, probabilities, names.length);
    const prediction = predictionOf(task, probabilities);
    let camFile: string | undefined;
    let camInfo: { layer: string; grid: string; explains: string; flat: boolean } | undefined;
    if (cam) {
      const result = await gradCam(loaded.model, x, explainedClass(task, probabilities), { layer: args.flags['cam-layer'] as StageName | 'auto', activation: outputActivation(task) });
      const size = input.shape[1];
      const heat = upsampleHeatmap(result.heatmap, result.height, result.width, size, size);
      const rgba = overlayHeatmap(input.resized, size, size, input.shape[3], heat);
      camFile = images.length === 1 ? cam : cam.replace(/\.png$/, `-${k + 1}.png`);
      await writeFileAtomic(camFile, encodePng({ width: size, height: size, channels: 4, pixels: rgba }));
      camInfo = { layer: result.layer, grid: `${result.height}×${result.width}`, explains: names[result.classIndex]!, flat: !result.heatmap.some((v) => v > 0) };
    }
    x.dispose();
    const predicted = prediction.classes.map((c) => names[c]!);
    results.push({ image: image.path, prediction: task === 'multi-label' ? predicted : predicted[0]!, probabilities: Object.fromEntries(names.map((n, c) => [n, probabilities[c]])), ...(camFile ? { cam: camFile, camInfo } : {}) });
  }
  loaded.model.dispose();
  const shown = (p: string | string[]) => (Array.isArray(p) ? (p.length ? p.join('; ') : 'no finding above 0.5') : p);
  out.result(
    { model: loaded.dir, task, ...(task === 'multi-label' ? { threshold: 0.5 } : {}), results },
    table([['image', task === 'multi-label' ? 'findings (p > 0.5)' : 'prediction', ...names.map((n) => `p(${n})`), ...(cam ? ['grad-cam'] : [])], ...results.map((r) => [r.image, shown(r.prediction), ...names.map((n) => r.probabilities[n]!.toFixed(4)), ...(r.cam ? [`${r.cam} (${r.camInfo!.layer}, ${r.camInfo!.grid}${r.camInfo!.flat ? ', uniform' : ''})`] : [])])]),
  );
}

type LoadedModelArg = Awaited<ReturnType<typeof loadModelArg>>;

/** Predictions of a volume model for .npy volumes or PNG slice grids; `--cam`: the three middle slices with Grad-CAM. */
async function predictVolumes(args: ParsedArgs, loaded: LoadedModelArg, rasters: ReadonlyMap<string, RasterImage & { path: string }>, out: Output): Promise<void> {
  const cam = args.flags.cam as string | undefined;
  const transform = transformForModel(loaded.metadata);
  const size = transform.size!;
  const task = taskKind(loaded.metadata.task);
  const names = loaded.metadata.classNames;
  const results = [];
  for (const [k, file] of args.positionals.entries()) {
    const { volume, shape, path } = await readVolume(file, rasters.get(file));
    const input = volumeToInput(volume, shape, { ...transform, size });
    const x = tf.tensor5d(input.data, input.shape);
    let camFile: string | undefined;
    let camInfo: { layer: string; grid: string; explains: string; flat: boolean } | undefined;
    let probabilities: Float32Array;
    try {
      probabilities = await readAndDispose(tf.tidy(() => probabilitiesOf(task, loaded.model.predict(x))));
      checkProbabilities(task, probabilities, names.length);
      if (cam) {
        const result = await gradCam(loaded.model, x, explainedClass(task, probabilities), { layer: args.flags['cam-layer'] as StageName | 'auto', activation: outputActivation(task) });
        camFile = args.positionals.length === 1 ? cam : cam.replace(/\.png$/, `-${k + 1}.png`);
        await writeFileAtomic(camFile, encodePng(midSliceOverlays(resizeVolume(volume, shape, size), size, result)));
        camInfo = { layer: result.layer, grid: `${result.depth}×${result.height}×${result.width}`, explains: names[result.classIndex]!, flat: !result.heatmap.some((v) => v > 0) };
      }
    } finally {
      x.dispose();
    }
    const predicted = predictionOf(task, probabilities).classes.map((c) => names[c]!);
    results.push({ image: path, shape, prediction: task === 'multi-label' ? predicted : predicted[0]!, probabilities: Object.fromEntries(names.map((n, c) => [n, probabilities[c]])), ...(camFile ? { cam: camFile, camInfo } : {}) });
  }
  loaded.model.dispose();
  const shown = (p: string | string[]) => (Array.isArray(p) ? (p.length ? p.join('; ') : 'no finding above 0.5') : p);
  out.result(
    { model: loaded.dir, task, ...(task === 'multi-label' ? { threshold: 0.5 } : {}), results },
    table([
      ['volume', 'shape', task === 'multi-label' ? 'findings (p > 0.5)' : 'prediction', ...names.map((n) => `p(${n})`), ...(cam ? ['grad-cam (axial | coronal | sagittal middle slices)'] : [])],
      ...results.map((r) => [r.image, r.shape.join('×'), shown(r.prediction), ...names.map((n) => r.probabilities[n]!.toFixed(4)), ...(r.cam ? [`${r.cam} (${r.camInfo!.layer}, ${r.camInfo!.grid}${r.camInfo!.flat ? ', uniform' : ''})`] : [])]),
    ]),
  );
}
