import { extname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { encodePng, rasterToInput } from '@medxfer/data';
import { writeFileAtomic } from '@medxfer/data/node';
import { gradCam, overlayHeatmap, upsampleHeatmap } from '@medxfer/models';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { activateBackend, BACKEND_CHOICES } from '../backend.js';
import { UsageError } from '../errors.js';
import { readImage } from '../image-input.js';
import { loadModelArg, transformFor } from '../model-dir.js';
import { table, type Output } from '../output.js';

export const predictSpec: CommandSpec = {
  name: 'predict',
  summary: 'Class probabilities for PNG/JPEG images (resized and normalised as in training), with an optional Grad-CAM overlay.',
  positionals: [{ name: 'image', required: true, variadic: true, description: 'PNG or JPEG files' }],
  flags: {
    model: { type: 'string', value: 'DIR', description: 'a run folder or a model folder (required)' },
    cam: { type: 'string', value: 'OUT.png', description: 'write a Grad-CAM heat-map overlay (several images: OUT-1.png, OUT-2.png, …)' },
    backend: { type: 'string', value: 'NAME', choices: BACKEND_CHOICES, default: 'auto', description: 'tfjs backend' },
  },
  examples: ['medxfer predict --model runs/my-run xray.png --cam xray-cam.png'],
};

export async function predictCommand(args: ParsedArgs, out: Output): Promise<void> {
  const cam = args.flags.cam as string | undefined;
  if (cam && extname(cam) !== '.png') throw new UsageError(`--cam must name a .png file, got "${cam}"`);
  const images = await Promise.all(args.positionals.map(readImage));
  await activateBackend(args.flags.backend as string);
  const loaded = await loadModelArg(args.flags.model as string | undefined);
  const transform = transformFor(loaded);
  const names = loaded.metadata.classNames;
  const results = [];
  for (const [k, image] of images.entries()) {
    const input = rasterToInput(image, { ...transform, size: transform.size! });
    const x = tf.tensor4d(input.data, input.shape);
    let camFile: string | undefined;
    let probabilities: Float32Array;
    if (cam) {
      const result = gradCam(loaded.model, x);
      probabilities = result.probabilities;
      const size = input.shape[1];
      const heat = upsampleHeatmap(result.heatmap, result.height, result.width, size, size);
      const rgba = overlayHeatmap(input.resized, size, size, input.shape[3], heat);
      camFile = images.length === 1 ? cam : cam.replace(/\.png$/, `-${k + 1}.png`);
      await writeFileAtomic(camFile, encodePng({ width: size, height: size, channels: 4, pixels: rgba }));
    } else {
      probabilities = tf.tidy(() => tf.softmax(loaded.model.predict(x)).dataSync() as Float32Array);
    }
    x.dispose();
    let best = 0;
    for (let c = 1; c < probabilities.length; c++) if (probabilities[c]! > probabilities[best]!) best = c;
    results.push({ image: image.path, prediction: names[best], probabilities: Object.fromEntries(names.map((n, c) => [n, probabilities[c]])), ...(camFile ? { cam: camFile } : {}) });
  }
  loaded.model.dispose();
  out.result(
    { model: loaded.dir, results },
    table([['image', 'prediction', ...names.map((n) => `p(${n})`), ...(cam ? ['grad-cam'] : [])], ...results.map((r) => [r.image, r.prediction!, ...names.map((n) => r.probabilities[n]!.toFixed(4)), ...(r.cam ? [r.cam] : [])])]),
  );
}
