import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, wasmMemoryOf, withScratch, type WasmBackendInternals } from './heap.js';
import { copyStrided, fitsFourAxes } from './layout-kernels.js';
import { layerKernelsFor, layerKernelsOrThrow, type LayerExports } from './layers-module.js';
import { liveTaps } from '../ops/conv-geometry.js';
import { activeKernelThreads, invoke, type KernelThreads } from './kernel-threads.js';
import { convOnHeap, threadedConv, threadedFilterGrad, type ConvPlan, type FilterGradPlan } from './conv-plan.js';

// Conv2D and both of its gradients for tfjs-wasm as direct convolutions in WebAssembly SIMD (wasm/layers.ts
// convDirect, convFilterGrad). They read only the taps that fall on real input and need no weight packing
// beyond one strided copy into 8-channel panels: XNNPACK (tfjs-wasm's Conv2D) re-packs a filter it has not
// seen, which in training is every filter on every step and costs more than the convolution on deep layers.
// The forward pass gives XNNPACK's bits; the gradients differ from other backends by summation order only.
// Cases they do not cover (other data formats, dilated filters, channel counts that are not multiples of 8
// where noted) go to the kernel they replaced.

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function convInfo(xShape: readonly number[], filterShape: readonly number[], attrs: ConvAttrs): tf.backend_util.Conv2DInfo | undefined {
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC') return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast',
  );
  return info.dilationHeight === 1 && info.dilationWidth === 1 ? info : undefined;
}

/** Makes the kernel's output and fills it with `fill`; frees it if `fill` throws. */
function filledOutput(backend: WasmBackendInternals, shape: number[], fill: (out: tf.TensorInfo) => void): tf.TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  try {
    fill(out);
  } catch (error) {
    backend.disposeData(out.dataId);
    throw error;
  }
  return out;
}

/**
 * The filter rows ty0…ty0+nh−1 and columns tx0…tx0+nw−1 that read real input for some output (a box: taps
 * outside it only ever read padding, so a small map needs only part of the filter: the centre tap alone when
 * every output is a single position).
 */
function liveBox(info: tf.backend_util.Conv2DInfo) {
  const [ty0, nh] = liveTaps(info.filterHeight, info.strideHeight, info.padInfo.top, info.inHeight, info.outHeight);
  const [tx0, nw] = liveTaps(info.filterWidth, info.strideWidth, info.padInfo.left, info.inWidth, info.outWidth);
  return ty0 < 0 || tx0 < 0 ? { ty0: 0, nh: info.filterHeight, tx0: 0, nw: info.filterWidth } : { ty0, nh, tx0, nw };
}

// Tiles per block of wasm/layers.ts winogradFilterGrad (its scratch: 16·block·(ci + co) + 16·ci·co floats;
// 16 to 256 measure the same on ResNet18's shapes) and of winograd4Conv (36·(block·(ci + co) + 32) + 160).
const WINOGRAD_BLOCK = 64;
const WINOGRAD4_BLOCK = 32;
/** Floats of winograd4Filter's scratch. */
const WINOGRAD4_FILTER_SCRATCH = 2400;
// Images per block of wasm/layers.ts map2Conv: its 9 products stream the filter transform once a block, so a
// block is a whole batch of ResNet18's usual sizes (scratch: 9·(block·(ci + co) + 32) floats, ≈ 1.2 MB at 512).
const MAP2_BLOCK = 32;
/** Floats of map2Filter's scratch. */
const MAP2_FILTER_SCRATCH = 36;
let winogradOn = true;

/** Turns Winograd convolutions on (the default) or off: off, every convolution is direct (XNNPACK's bits forward). */
export function setWinograd(on: boolean): void {
  winogradOn = on;
}

/**
 * Whether a convolution of `inC` → `outC` channels runs as Winograd — F(4×4, 3×3) forward and for the input
 * gradient, F(2×2, 3×3) for the filter gradient: 3×3, stride 1, padding 1 on every side, maps of at least 4×4.
 * On 2×2 maps (and 1×1) direct convolution reads only the live taps and is faster than F(4×4) (2×2 maps go to
 * {@link map2Fits}'s kernel forward and for the input gradient); from 4×4 up Winograd is 1.5–2.7× faster forward
 * and 1.05–2.1× for the filter gradient (bench/roofline.mjs times them).
 */
function winogradFits(info: tf.backend_util.Conv2DInfo, inC: number, outC: number): boolean {
  return winogradOn && info.filterHeight === 3 && info.filterWidth === 3 && info.strideHeight === 1 && info.strideWidth === 1
    && info.padInfo.top === 1 && info.padInfo.left === 1 && info.outHeight === info.inHeight && info.outWidth === info.inWidth
    && info.inHeight >= 4 && info.inWidth >= 4 && inC % 4 === 0 && outC % 8 === 0;
}

/**
 * Whether a convolution runs as map2Conv: 3×3, stride 1, padding 1 on a 2×2 map (9 multiplications per image and
 * channel pair instead of direct convolution's 16 live taps). Off with Winograd (every convolution direct).
 */
function map2Fits(info: tf.backend_util.Conv2DInfo, inC: number, outC: number): boolean {
  return winogradOn && info.filterHeight === 3 && info.filterWidth === 3 && info.strideHeight === 1 && info.strideWidth === 1
    && info.padInfo.top === 1 && info.padInfo.left === 1 && info.inHeight === 2 && info.inWidth === 2 && info.outHeight === 2
    && info.outWidth === 2 && inC % 4 === 0 && outC % 8 === 0;
}

/** What a forward convolution does to its sums: + bias per channel, + an addend (a residual or position bias), ReLU. */
type Epilogue = { bias?: tf.TensorInfo; relu?: boolean; addend?: ConvPlan['addend'] };

const epilogueOperands = ({ bias, addend }: Epilogue): Pick<ConvPlan, 'bias' | 'addend'> => ({ ...(bias ? { bias } : {}), ...(addend ? { addend } : {}) });

interface DirectGeometry {
  inH: number; inW: number; inC: number; outH: number; outW: number; outC: number;
  kh: number; kw: number; sh: number; sw: number; top: number; left: number; dh: number; dw: number;
}

/** A direct convolution (wasm/layers.ts convDirect) over the panels the operand holds, with its epilogue (bias, addend, ReLU). */
function directPlan(c: DirectGeometry, operand: ConvPlan['operand'], epilogue: Epilogue = {}): ConvPlan {
  const relu = epilogue.relu ? 1 : 0;
  const perImage = epilogue.addend?.perImage ? 1 : 0;
  return {
    operand, ...epilogueOperands(epilogue), scratchWords: 3 * c.kh * c.kw,
    call: (s) => ({
      fn: 'convDirect',
      args: [s.x, s.operand, s.y, s.count, c.inH, c.inW, c.inC, c.outH, c.outW, c.outC, c.kh, c.kw, c.sh, c.sw, c.top, c.left, c.dh, c.dw, s.scratch, s.bias, relu, s.addend, perImage],
    }),
  };
}

/**
 * y = x ⊛ the HWIO filter [3,3,ci,co] that `filterAt(scratch)` gives, by Winograd F(4×4, 3×3) (its transform,
 * winograd4Filter, is the operand, under `key`), with its epilogue (bias, addend, ReLU).
 */
function winogradPlan(
  backend: WasmBackendInternals, kernels: LayerExports, h: number, w: number, ci: number, co: number, key: string,
  filterAt: (scratch: (shape: number[]) => tf.TensorInfo) => number, epilogue: Epilogue = {},
): ConvPlan {
  const relu = epilogue.relu ? 1 : 0;
  const perImage = epilogue.addend?.perImage ? 1 : 0;
  const make = (u: tf.TensorInfo) => withScratch(backend, (scratch) => {
    kernels.winograd4Filter(filterAt(scratch), heapOffset(backend, u), ci, co, heapOffset(backend, scratch([WINOGRAD4_FILTER_SCRATCH])));
  });
  return {
    operand: { key, floats: 36 * ci * co, make }, ...epilogueOperands(epilogue),
    scratchWords: 36 * (WINOGRAD4_BLOCK * (ci + co) + 32) + 160,
    call: (s) => ({ fn: 'winograd4Conv', args: [s.x, s.operand, s.y, s.count, h, w, ci, co, s.bias, relu, s.scratch, WINOGRAD4_BLOCK, s.addend, perImage] }),
  };
}

/**
 * y = x ⊛ the HWIO filter [3,3,ci,co] that `filterAt(scratch)` gives, on 2×2 maps by map2Conv (its transform,
 * map2Filter, is the operand, under `key`), with its epilogue (bias, addend, ReLU).
 */
function map2Plan(
  backend: WasmBackendInternals, kernels: LayerExports, ci: number, co: number, key: string,
  filterAt: (scratch: (shape: number[]) => tf.TensorInfo) => number, epilogue: Epilogue = {},
): ConvPlan {
  const relu = epilogue.relu ? 1 : 0;
  const perImage = epilogue.addend?.perImage ? 1 : 0;
  const make = (u: tf.TensorInfo) => withScratch(backend, (scratch) => {
    kernels.map2Filter(filterAt(scratch), heapOffset(backend, u), ci, co, heapOffset(backend, scratch([MAP2_FILTER_SCRATCH])));
  });
  return {
    operand: { key, floats: 9 * ci * co, make }, ...epilogueOperands(epilogue),
    scratchWords: 9 * (MAP2_BLOCK * (ci + co) + 32),
    call: (s) => ({ fn: 'map2Conv', args: [s.x, s.operand, s.y, s.count, ci, co, s.bias, relu, s.scratch, MAP2_BLOCK, s.addend, perImage] }),
  };
}

/** The operand made afresh in the call's scratch. */
const madeOperand = (plan: ConvPlan) => (scratch: (shape: number[]) => tf.TensorInfo) => {
  const operand = scratch([plan.operand.floats]);
  plan.operand.make(operand);
  return operand;
};

/** Σ over the outputs along one axis of the taps that read real input. */
function liveTapsAlong(taps: number, stride: number, pad: number, size: number, outSize: number): number {
  let count = 0;
  for (let o = 0; o < outSize; o++) count += Math.max(0, Math.min(taps, size + pad - o * stride) - Math.max(0, pad - o * stride));
  return count;
}

/** The multiply-adds of a convolution over real input (its input and filter gradients have as many). */
function convMacs(info: tf.backend_util.Conv2DInfo): number {
  const rows = liveTapsAlong(info.filterHeight, info.strideHeight, info.padInfo.top, info.inHeight, info.outHeight);
  const columns = liveTapsAlong(info.filterWidth, info.strideWidth, info.padInfo.left, info.inWidth, info.outWidth);
  return info.batchSize * rows * columns * info.inChannels * info.outChannels;
}

/**
 * The kernel threads to split a call over `pixels` output pixels and `macs` multiply-adds (`shares` ways at
 * most), if any are on and it is worth it.
 */
function threadsFor(pixels: number, macs: number, shares: number): KernelThreads | undefined {
  const threads = activeKernelThreads();
  if (!threads || shares < 2) return undefined;
  const n = threads.threads;
  return pixels >= threads.minPixelsPerThread * n || macs >= threads.minMacsPerThread * n ? threads : undefined;
}

/**
 * Runs a plan into a new output of `shape`: on the kernel threads where {@link threadsFor} says (their copy of
 * the operand kept by filter), else here with `operand` (default: made afresh).
 */
function runPlan(
  backend: WasmBackendInternals, kernels: LayerExports, plan: ConvPlan, filter: tf.TensorInfo, x: tf.TensorInfo, shape: number[], macs: number,
  operand = madeOperand(plan),
): tf.TensorInfo {
  const threads = threadsFor(tf.util.sizeFromShape(shape.slice(0, 3)), macs, x.shape[0]!);
  return filledOutput(backend, shape, (out) => (threads ? threadedConv(threads, backend, filter, x, out, plan) : convOnHeap(backend, kernels, plan, x, out, operand)));
}

/** Conv2D: the live taps of the filter [kh,kw,ci,co] copied into panels [co/8, taps·ci, 8], then the direct convolution. */
export function conv2dKernel(replaced: tf.KernelFunc): tf.KernelFunc {
  return forwardKernel(replaced, false);
}

/** FusedConv2D (what tf.fused.conv2d and BatchNorm folding use) with a per-channel bias and/or ReLU; other activations go to tfjs-wasm's. */
export function fusedConv2dKernel(replaced: tf.KernelFunc): tf.KernelFunc {
  return forwardKernel(replaced, true);
}

/**
 * Packed panels of FusedConv2D filters, by filter data, shape (a reshape shares the data) and live box.
 * FusedConv2D is what folded inference runs, with the same filters call after call; an entry goes when its
 * filter's data has been freed (checked at each call). Plain Conv2D (training: new filters every step)
 * packs on every call instead, and so does FusedConv2D under tfjs's IS_TEST flag, whose leak check counts
 * what a kernel keeps.
 */
class PanelCache {
  private readonly entries = new Map<object, { key: string; panels: tf.TensorInfo }>();

  /** Frees the panels of filters whose data is gone. */
  sweep(backend: WasmBackendInternals): void {
    for (const [dataId, entry] of this.entries) {
      if (!backend.dataIdMap.has(dataId)) {
        backend.disposeData(entry.panels.dataId);
        this.entries.delete(dataId);
      }
    }
  }

  panelsFor(backend: WasmBackendInternals, filter: tf.TensorInfo, key: string, pack: (panels: tf.TensorInfo) => void, size: number): tf.TensorInfo {
    this.sweep(backend);
    const cached = this.entries.get(filter.dataId);
    if (cached?.key === key) return cached.panels;
    if (cached) backend.disposeData(cached.panels.dataId);
    const panels = backend.makeOutput([size], 'float32');
    pack(panels);
    this.entries.set(filter.dataId, { key, panels });
    return panels;
  }
}

const fusedPanels = new WeakMap<object, PanelCache>();

/** Frees the kept FusedConv2D panels whose filters have been disposed (otherwise done at the next FusedConv2D call). */
export function sweepFusedPanels(backend: WasmBackendInternals): void {
  fusedPanels.get(backend)?.sweep(backend);
}

/** The plan of a forward convolution: Winograd where it fits, else direct over the filter's live taps. */
function forwardPlan(backend: WasmBackendInternals, kernels: LayerExports, info: tf.backend_util.Conv2DInfo, filter: tf.TensorInfo, epilogue: Epilogue): ConvPlan {
  const { filterWidth: kw, inChannels: ci, outChannels: co } = info;
  if (winogradFits(info, ci, co)) return winogradPlan(backend, kernels, info.inHeight, info.inWidth, ci, co, 'winograd4', () => heapOffset(backend, filter), epilogue);
  if (map2Fits(info, ci, co)) return map2Plan(backend, kernels, ci, co, 'map2', () => heapOffset(backend, filter), epilogue);
  const { ty0, nh, tx0, nw } = liveBox(info);
  return directPlan({
    inH: info.inHeight, inW: info.inWidth, inC: ci, outH: info.outHeight, outW: info.outWidth, outC: co, kh: nh, kw: nw,
    sh: info.strideHeight, sw: info.strideWidth, top: info.padInfo.top - ty0, left: info.padInfo.left - tx0, dh: 1, dw: 1,
  }, {
    key: `${ty0},${nh},${tx0},${nw}`, floats: nh * nw * ci * co,
    make: (panels) => copyStrided(backend, kernels, filter, { shape: [co / 8, nh, nw * ci, 8], strides: [8, kw * ci * co, co, 1], start: (ty0 * kw + tx0) * ci * co }, panels),
  }, epilogue);
}

/** Runs a fused forward plan with the filter's operand kept between calls (made afresh under IS_TEST, whose leak check counts what a kernel keeps). */
function runFused(backend: WasmBackendInternals, kernels: LayerExports, info: tf.backend_util.Conv2DInfo, plan: ConvPlan, filter: tf.TensorInfo, x: tf.TensorInfo): tf.TensorInfo {
  if (tf.env().getBool('IS_TEST')) return runPlan(backend, kernels, plan, filter, x, [...info.outShape], convMacs(info));
  let cache = fusedPanels.get(backend);
  if (!cache) fusedPanels.set(backend, (cache = new PanelCache()));
  const panels = cache;
  return runPlan(backend, kernels, plan, filter, x, [...info.outShape], convMacs(info), () => panels.panelsFor(backend, filter, `${filter.shape}:${plan.operand.key}`, plan.operand.make, plan.operand.floats));
}

const biasFits = (bias: tf.TensorInfo | undefined, co: number) => !bias || (bias.shape.length === 1 && bias.shape[0] === co && bias.dtype === 'float32');

function forwardKernel(replaced: tf.KernelFunc, fused: boolean): tf.KernelFunc {
  return (args) => {
    const { x, filter, bias } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
    const activation = fused ? (args.attrs as { activation?: string }).activation ?? 'linear' : 'linear';
    const backend = args.backend as unknown as WasmBackendInternals;
    const kernels = layerKernelsFor(backend);
    const info = kernels && x.dtype === 'float32' ? convInfo(x.shape, filter.shape, args.attrs as unknown as ConvAttrs) : undefined;
    const supported = info && info.outChannels % 8 === 0 && info.inChannels === filter.shape[2]
      && (activation === 'linear' || activation === 'relu') && biasFits(bias, info.outChannels);
    if (!kernels || !info || !supported) return replaced(args);
    const plan = forwardPlan(backend, kernels, info, filter, { bias, relu: activation === 'relu' });
    if (!fused) return runPlan(backend, kernels, plan, filter, x, [...info.outShape], convMacs(info));
    return runFused(backend, kernels, info, plan, filter, x);
  };
}

/**
 * y = relu?(x ⊛ filter + bias + addend): a convolution, its per-channel bias, a residual (`addend` shaped as y)
 * or a position-dependent bias (one image of it, [1, oh, ow, co]), and an optional ReLU, as one kernel —
 * FusedConv2D's bits followed by Add's and Relu's. Inputs `{ x, filter, bias?, addend }` (NHWC, HWIO, float32);
 * attributes `strides`, `pad`, `activation` ('linear' | 'relu'). {@link fusedConvAddFits} says which it takes.
 */
export const FUSED_CONV_ADD_KERNEL = 'MedxferFusedConv2DAdd';

export interface FusedConvAddAttrs {
  strides: number;
  pad: number;
  activation: 'linear' | 'relu';
}

/** The geometry of a {@link FUSED_CONV_ADD_KERNEL} call, or undefined where the kernel does not take it. */
function fusedConvAddInfo(x: tf.TensorInfo, filter: tf.TensorInfo, addend: tf.TensorInfo, bias: tf.TensorInfo | undefined, attrs: FusedConvAddAttrs) {
  if ([x, filter, addend].some((t) => t.dtype !== 'float32') || x.shape.length !== 4 || filter.shape.length !== 4 || x.shape[3] !== filter.shape[2]) return undefined;
  const info = convInfo(x.shape, filter.shape, { strides: attrs.strides, pad: attrs.pad });
  if (!info || info.outChannels % 8 !== 0 || !biasFits(bias, info.outChannels)) return undefined;
  const [n, ...image] = info.outShape;
  const perImage = addend.shape.join() === info.outShape.join();
  return perImage || addend.shape.join() === [1, ...image].join() ? { info, perImage: perImage && n !== 1 } : undefined;
}

/** Whether the {@link FUSED_CONV_ADD_KERNEL} takes these shapes (float32 NHWC, HWIO, out channels a multiple of 8, the addend per image or one image). */
export function fusedConvAddFits(x: tf.TensorInfo, filter: tf.TensorInfo, addend: tf.TensorInfo, bias: tf.TensorInfo | undefined, attrs: FusedConvAddAttrs): boolean {
  return fusedConvAddInfo(x, filter, addend, bias, attrs) !== undefined;
}

function fusedConvAdd({ inputs, backend: b, attrs }: { inputs: { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; addend: tf.TensorInfo }; backend: unknown; attrs: FusedConvAddAttrs }): tf.TensorInfo {
  const backend = b as WasmBackendInternals;
  const { x, filter, bias, addend } = inputs;
  const kernels = layerKernelsOrThrow(FUSED_CONV_ADD_KERNEL, backend);
  const fits = fusedConvAddInfo(x, filter, addend, bias, attrs);
  if (!fits) throw new Error(`${FUSED_CONV_ADD_KERNEL}: unsupported x [${x.shape}], filter [${filter.shape}], addend [${addend.shape}] (see fusedConvAddFits)`);
  const plan = forwardPlan(backend, kernels, fits.info, filter, { bias, relu: attrs.activation === 'relu', addend: { tensor: addend, perImage: fits.perImage } });
  return runFused(backend, kernels, fits.info, plan, filter, x);
}

export const fusedConvAddKernel = { kernelName: FUSED_CONV_ADD_KERNEL, kernelFunc: fusedConvAdd as unknown as tf.KernelFunc };

/**
 * Conv2DBackpropInput: dx is the stride-1 correlation of dy, dilated by the stride, with the filter flipped
 * and its in/out channels swapped — its live taps copied straight into panels [ci/8, kh, kw, co, 8] — padded
 * by k − 1 − pad.
 */
export function conv2dBackpropInputKernel(replaced: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
    const backend = args.backend as unknown as WasmBackendInternals;
    const kernels = layerKernelsFor(backend);
    const info = kernels && dy.dtype === 'float32' ? convInfo(attrs.inputShape, filter.shape, attrs) : undefined;
    // dy must have the shape the convolution gives (tfjs's op does not check its rows and columns).
    if (!kernels || !info || info.inChannels % 8 !== 0 || dy.shape.join() !== info.outShape.join()) return replaced(args);
    const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
    const at = (t: tf.TensorInfo) => heapOffset(backend, t);
    const winograd = winogradFits(info, co, ci);
    if (winograd || map2Fits(info, co, ci)) {
      // The flipped filter with its channels swapped, HWIO [3, 3, co, ci], then its transform.
      const flipped = (scratch: (shape: number[]) => tf.TensorInfo) => {
        const made = scratch([9 * co * ci]);
        copyStrided(backend, kernels, filter, { shape: [3, 3, co, ci], strides: [-3 * ci * co, -ci * co, 1, co], start: 8 * ci * co }, made);
        return at(made);
      };
      const plan = winograd
        ? winogradPlan(backend, kernels, info.outHeight, info.outWidth, co, ci, 'dx:winograd4', flipped)
        : map2Plan(backend, kernels, co, ci, 'dx:map2', flipped);
      return runPlan(backend, kernels, plan, filter, dy, [...info.inShape], convMacs(info));
    }
    const { ty0, nh, tx0, nw } = liveBox(info);
    // Flipped tap t' = k − 1 − t: the live box's last tap comes first.
    const last = ((ty0 + nh - 1) * kw + (tx0 + nw - 1)) * ci * co;
    const whole = { shape: [ci / 8, nh, nw, co, 8], strides: [8 * co, -kw * ci * co, -ci * co, 1, co], start: last };
    const make = (panels: tf.TensorInfo) => {
      if (fitsFourAxes(whole)) return copyStrided(backend, kernels, filter, whole, panels);
      for (let c8 = 0; c8 < ci / 8; c8++) {
        copyStrided(backend, kernels, filter, { shape: [nh, nw, co, 8], strides: [-kw * ci * co, -ci * co, 1, co], start: last + 8 * c8 * co }, panels, c8 * nh * nw * co * 8);
      }
    };
    const plan = directPlan({
      inH: info.outHeight, inW: info.outWidth, inC: co, outH: info.inHeight, outW: info.inWidth, outC: ci, kh: nh, kw: nw, sh: 1, sw: 1,
      top: kh - 1 - info.padInfo.top - (kh - ty0 - nh), left: kw - 1 - info.padInfo.left - (kw - tx0 - nw), dh: info.strideHeight, dw: info.strideWidth,
    }, { key: `dx:${ty0},${nh},${tx0},${nw}`, floats: nh * nw * ci * co, make });
    return runPlan(backend, kernels, plan, filter, dy, [...info.inShape], convMacs(info));
  };
}

/**
 * The filter gradient's kernel call for output channels oa…ob−1: over Winograd tiles where {@link winogradFits},
 * else over output pixels — in blocks per tap (input channels in tiles of 4) or, for a 1- or 3-channel stem,
 * along rows with a filter row's taps and channels as one run.
 */
function filterGradPlan(info: tf.backend_util.Conv2DInfo): FilterGradPlan {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  if (winogradFits(info, ci, co)) {
    return {
      scratchWords: 16 * WINOGRAD_BLOCK * (ci + co) + 16 * ci * co,
      call: (s) => ({ fn: 'winogradFilterGrad', args: [s.x, s.dy, s.dw, n, h, w, ci, co, s.scratch, WINOGRAD_BLOCK, s.oa, s.ob] }),
    };
  }
  const byTaps = ci % 4 === 0;
  const geometry = [n, h, w, ci, info.outHeight, info.outWidth, co, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left];
  return {
    scratchWords: byTaps ? 2 * 128 : 12,
    call: (s) => ({ fn: byTaps ? 'convFilterGrad' : 'convFilterGradRows', args: [s.x, s.dy, s.dw, ...geometry, s.scratch, s.oa, s.ob] }),
  };
}

/** Runs a filter gradient into a new dw of `shape`: on the kernel threads where they are on (by output channels), else here. */
function runFilterGrad(
  backend: WasmBackendInternals, kernels: LayerExports, plan: FilterGradPlan, x: tf.TensorInfo, dy: tf.TensorInfo, shape: number[], macs: number,
): tf.TensorInfo {
  const threads = threadsFor(tf.util.sizeFromShape(dy.shape.slice(0, 3)), macs, shape[3]! / 8);
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  return filledOutput(backend, shape, (dw) => {
    if (threads) return threadedFilterGrad(threads, backend, x, dy, dw, plan);
    withScratch(backend, (scratch) => {
      invoke(kernels, plan.call({ x: at(x), dy: at(dy), dw: at(dw), scratch: at(scratch([plan.scratchWords])), oa: 0, ob: shape[3]! }));
    });
  });
}

/**
 * Conv2DBackpropFilter (tfjs-wasm has none): dW summed over the output pixels in blocks (wasm/layers.ts
 * convFilterGrad), or over Winograd tiles where {@link winogradFits} (winogradFilterGrad). Output channels
 * that are not a multiple of 8 are zero-padded to one.
 */
export function conv2dBackpropFilterKernel(replaced?: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
    const backend = args.backend as unknown as WasmBackendInternals;
    const kernels = layerKernelsFor(backend);
    const info = kernels && x.dtype === 'float32' && dy.dtype === 'float32' ? convInfo(x.shape, attrs.filterShape, attrs) : undefined;
    // dy must have the shape the convolution gives, x the filter's input channels.
    const fits = info && dy.shape.join() === info.outShape.join() && attrs.filterShape[2] === x.shape[3];
    if (!kernels || !info || !fits) {
      if (replaced) return replaced(args);
      throw new Error(
        `Conv2DBackpropFilter on wasm: needs NHWC float32 x and dy of the convolution's output shape, an undilated filter and WebAssembly SIMD; got x [${x.shape}], dy [${dy.shape}], filter [${attrs.filterShape}]`,
      );
    }
    const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
    if (co % 8 === 0) return runFilterGrad(backend, kernels, filterGradPlan(info), x, dy, [kh, kw, ci, co], convMacs(info));
    // Other channel counts: dy's rows copied into zeroed rows of a multiple of 8 channels, the result's first co
    // columns copied out.
    const padded = Math.ceil(co / 8) * 8;
    const at = (t: tf.TensorInfo) => heapOffset(backend, t);
    return filledOutput(backend, [kh, kw, ci, co], (dw) => withScratch(backend, (scratch) => {
      const pixels = tf.util.sizeFromShape(dy.shape.slice(0, 3));
      const grad = scratch([pixels * padded]);
      kernels.zero(at(grad), pixels * padded * 4);
      const heap = new Float32Array(wasmMemoryOf(backend)!.buffer);
      for (let p = 0; p < pixels; p++) heap.copyWithin(at(grad) / 4 + p * padded, at(dy) / 4 + p * co, at(dy) / 4 + (p + 1) * co);
      const target = scratch([kh * kw * ci * padded]);
      const plan = filterGradPlan({ ...info, outChannels: padded });
      invoke(kernels, plan.call({ x: at(x), dy: at(grad), dw: at(target), scratch: at(scratch([plan.scratchWords])), oa: 0, ob: padded }));
      copyStrided(backend, kernels, target, { shape: [kh * kw * ci, co], strides: [padded, 1], start: 0 }, dw);
    }));
  };
}
