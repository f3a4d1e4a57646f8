import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, type WasmBackendInternals } from './heap.js';
import { layerKernelsFor, type LayerExports } from './layers-module.js';

// Slice, StridedSlice, Transpose and Reverse for tfjs-wasm as one strided copy each (wasm/layers.ts gather4):
// every output row is a memory.copy when the innermost axis is contiguous in the input, 4×4 register
// transposes when another axis is, an element loop otherwise. They replace tfjs-wasm's own kernels (a per-element index computation, and for Slice a round
// trip through JavaScript) for 4-byte dtypes; anything else goes to the kernel they replaced. Pure data
// movement: the results are bit-identical.

/** An output shape and, per output axis, the input stride (elements, negative for a reversed axis) and start. */
export interface StridedView {
  shape: number[];
  strides: number[];
  start: number;
}

/** Drops axes of size 1 and merges axes that are contiguous in the input; undefined if more than 4 remain. */
function canonical(view: StridedView): StridedView | undefined {
  const shape: number[] = [];
  const strides: number[] = [];
  view.shape.forEach((n, i) => {
    if (n === 1) return;
    const last = shape.length - 1;
    if (last >= 0 && strides[last] === view.strides[i]! * n) {
      shape[last] = shape[last]! * n;
      strides[last] = view.strides[i]!;
    } else {
      shape.push(n);
      strides.push(view.strides[i]!);
    }
  });
  if (shape.length > 4) return undefined;
  while (shape.length < 4) {
    shape.unshift(1);
    strides.unshift(0);
  }
  return { shape, strides, start: view.start };
}

const FOUR_BYTE_DTYPES = new Set<tf.DataType>(['float32', 'int32']);

/** Whether a strided view reduces to the 4 axes {@link copyStrided} handles. */
export const fitsFourAxes = (view: StridedView) => canonical(view) !== undefined;

/** Writes the strided view of `src` (a 4-byte dtype) into `out` from element `outOffset` on, row-major. The view must reduce to 4 axes. */
export function copyStrided(backend: WasmBackendInternals, kernels: LayerExports, src: tf.TensorInfo, planned: StridedView, out: tf.TensorInfo, outOffset = 0): void {
  const view = canonical(planned);
  if (!view) throw new Error(`copyStrided: the view [${planned.shape}] / [${planned.strides}] does not reduce to 4 axes`);
  const [n0, n1, n2, n3] = view.shape as [number, number, number, number];
  const [s0, s1, s2, s3] = view.strides as [number, number, number, number];
  const from = heapOffset(backend, src) + 4 * view.start;
  const tileAxis = s3 === 1 || n3 % 4 !== 0 ? -1 : [0, 1, 2].find((k) => view.strides[k] === 1 && view.shape[k]! % 4 === 0) ?? -1;
  const to = heapOffset(backend, out) + 4 * outOffset;
  if (tileAxis >= 0) kernels.gather4Tiled(from, to, n0, n1, n2, n3, s0, s1, s2, s3, tileAxis);
  else kernels.gather4(from, to, n0, n1, n2, n3, s0, s1, s2, s3);
}

/** The kernel function: the view's copy in wasm, or the replaced kernel where there is none. */
function stridedCopyKernel(viewOf: (x: tf.TensorInfo, attrs: tf.NamedAttrMap) => { view: StridedView; outShape: number[] } | undefined, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    const backend = args.backend as unknown as WasmBackendInternals;
    const kernels = layerKernelsFor(backend);
    const planned = kernels && FOUR_BYTE_DTYPES.has(x.dtype) ? viewOf(x, args.attrs ?? {}) : undefined;
    if (!kernels || !planned || !planned.outShape.every((d) => d > 0) || !canonical(planned.view)) return fallback(args);
    const out = backend.makeOutput(planned.outShape, x.dtype);
    copyStrided(backend, kernels, x, planned.view, out);
    return out;
  };
}

function sliceView(x: tf.TensorInfo, attrs: tf.NamedAttrMap) {
  const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, attrs.begin as number[], attrs.size as number[]);
  const strides = tf.util.computeStrides(x.shape).concat(1);
  return { view: { shape: size, strides: [...strides], start: begin.reduce((s, b, i) => s + b * strides[i]!, 0) }, outShape: size };
}

function stridedSliceView(x: tf.TensorInfo, attrs: tf.NamedAttrMap) {
  const a = attrs as unknown as tf.StridedSliceAttrs;
  if (a.ellipsisMask || a.newAxisMask) return undefined;
  const info = tf.slice_util.sliceInfo(x.shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
  if (info.finalShapeSparse.length !== x.shape.length) return undefined;
  const xStrides = tf.util.computeStrides(x.shape).concat(1);
  const shape = info.finalShapeSparse;
  return {
    view: { shape, strides: shape.map((_, i) => info.strides[i]! * xStrides[i]!), start: info.begin.reduce((s, b, i) => s + b * xStrides[i]!, 0) },
    outShape: info.finalShape,
  };
}

function transposeView(x: tf.TensorInfo, attrs: tf.NamedAttrMap) {
  const perm = attrs.perm as number[];
  const xStrides = tf.util.computeStrides(x.shape).concat(1);
  const shape = perm.map((p) => x.shape[p]!);
  return { view: { shape, strides: perm.map((p) => xStrides[p]!), start: 0 }, outShape: shape };
}

function reverseView(x: tf.TensorInfo, attrs: tf.NamedAttrMap) {
  if (x.shape.length === 0) return undefined;
  const axes = new Set(tf.util.parseAxisParam(attrs.dims as number | number[], x.shape));
  const xStrides = tf.util.computeStrides(x.shape).concat(1);
  const strides = x.shape.map((_, i) => (axes.has(i) ? -xStrides[i]! : xStrides[i]!));
  const start = x.shape.reduce((s, n, i) => s + (axes.has(i) ? (n - 1) * xStrides[i]! : 0), 0);
  return { view: { shape: [...x.shape], strides, start }, outShape: [...x.shape] };
}

/** The kernels this module replaces, with how each maps its input and attributes to a strided view. */
export const LAYOUT_KERNELS = {
  Slice: sliceView,
  StridedSlice: stridedSliceView,
  Transpose: transposeView,
  Reverse: reverseView,
} as const;

/** The replacement for one of {@link LAYOUT_KERNELS}, falling back to `replaced`. */
export const layoutKernel = (name: keyof typeof LAYOUT_KERNELS, replaced: tf.KernelFunc): tf.KernelFunc => stridedCopyKernel(LAYOUT_KERNELS[name], replaced);
