import { resizeVolumeValues, type RasterImage } from '@medxfer/data';
import { InputShapeError } from '../errors.js';
import { overlayHeatmap, type GradCamResult } from './grad-cam.js';

export type VolumePlane = 'axial' | 'coronal' | 'sagittal';

/** The middle slice of a volume `size³` across one axis: axial (an H×W plane), coronal (D×W), sagittal (D×H). */
export function midSlice(volume: Float32Array, size: number, plane: VolumePlane): Float32Array {
  const mid = Math.floor(size / 2);
  const out = new Float32Array(size * size);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const [z, y, x] = plane === 'axial' ? [mid, r, c] : plane === 'coronal' ? [r, mid, c] : [r, c, mid];
      out[r * size + c] = volume[(z * size + y) * size + x]!;
    }
  }
  return out;
}

/**
 * A volume `size³` of values in [0, 1] as its three orthogonal middle slices (axial, coronal, sagittal, left to
 * right, `gap` pixels apart), each with a volume Grad-CAM map (`gradCam` of a volume model) resized onto it
 * (trilinear) and overlaid: what a volume's prediction is explained with. RGBA.
 */
export function midSliceOverlays(volume: Float32Array, size: number, cam: GradCamResult, gap = 2): RasterImage {
  if (cam.depth === undefined) throw new InputShapeError('midSliceOverlays takes the Grad-CAM map of a volume');
  if (volume.length !== size ** 3) throw new InputShapeError(`midSliceOverlays: a volume of ${size}³ has ${size ** 3} values, got ${volume.length}`);
  const heat = resizeVolumeValues(cam.heatmap, [cam.depth, cam.height, cam.width], size);
  const width = 3 * size + 2 * gap;
  const pixels = new Uint8Array(width * size * 4);
  (['axial', 'coronal', 'sagittal'] as const).forEach((plane, k) => {
    const grey = Uint8Array.from(midSlice(volume, size, plane), (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
    const panel = overlayHeatmap(grey, size, size, 1, midSlice(heat, size, plane));
    for (let r = 0; r < size; r++) pixels.set(panel.subarray(r * size * 4, (r + 1) * size * 4), (r * width + k * (size + gap)) * 4);
  });
  return { width, height: size, channels: 4, pixels };
}
