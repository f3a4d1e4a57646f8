import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, type WasmBackendInternals } from './heap.js';
import { layerKernelsFor } from './layers-module.js';

/**
 * MaxPoolGrad for tfjs-wasm (NHWC float32) in one pass over the windows (wasm/layers.ts maxPoolGrad): each
 * gradient goes to the first maximal input of its window, as on tfjs's cpu backend and in torch. Other
 * cases go to the kernel it replaced.
 */
export function maxPoolGradKernel(replaced: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
    const backend = args.backend as unknown as WasmBackendInternals;
    const kernels = layerKernelsFor(backend);
    if (!kernels || dy.dtype !== 'float32' || input.dtype !== 'float32' || input.shape.length !== 4) return replaced(args);
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const [n, h, w, c] = input.shape as [number, number, number, number];
    const dx = backend.makeOutput([...input.shape], 'float32');
    kernels.maxPoolGrad(
      heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, dx), n, h, w, c, info.outHeight, info.outWidth,
      info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
    );
    return dx;
  };
}
