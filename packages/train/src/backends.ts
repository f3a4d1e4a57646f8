/**
 * The tfjs backends medxfer knows, in one list that the CLI, the web app and the bench all read.
 * `package` is what must be installed (the embedded ones ship with medxfer's dependencies).
 */
export interface BackendInfo {
  readonly name: string;
  /** The name tfjs registers (tfjs-node and tfjs-node-gpu both register `tensorflow`). */
  readonly tfjsName: string;
  readonly package: string;
  readonly runtimes: readonly ('node' | 'browser')[];
  /** Runtimes where `auto` never picks it: there it runs only when asked for by name. */
  readonly byNameOnly?: readonly ('node' | 'browser')[];
  /** Shipped inside npm packages (no native download at install time). */
  readonly embedded: boolean;
  readonly description: string;
}

export const BACKENDS: readonly BackendInfo[] = [
  { name: 'tensorflow-gpu', tfjsName: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', runtimes: ['node'], embedded: false, description: 'libtensorflow with CUDA (native, optional)' },
  { name: 'tensorflow', tfjsName: 'tensorflow', package: '@tensorflow/tfjs-node', runtimes: ['node'], embedded: false, description: 'libtensorflow on the CPU (native, optional)' },
  // In Node through Dawn (the optional npm package `webgpu`): by name only, as a machine without a GPU offers a
  // software adapter far slower than wasm.
  { name: 'webgpu', tfjsName: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu', runtimes: ['node', 'browser'], byNameOnly: ['node'], embedded: true, description: 'WebGPU' },
  { name: 'webgl', tfjsName: 'webgl', package: '@tensorflow/tfjs-backend-webgl', runtimes: ['browser'], embedded: true, description: 'WebGL 2' },
  { name: 'wasm', tfjsName: 'wasm', package: '@tensorflow/tfjs-backend-wasm', runtimes: ['node', 'browser'], embedded: true, description: "WebAssembly SIMD with medxfer's own kernels" },
  { name: 'cpu', tfjsName: 'cpu', package: '@tensorflow/tfjs-backend-cpu', runtimes: ['node', 'browser'], embedded: true, description: 'plain JavaScript' },
];

/** Backends for a runtime, fastest first. */
export const backendsFor = (runtime: 'node' | 'browser'): BackendInfo[] => BACKENDS.filter((b) => b.runtimes.includes(runtime));

/** The backends `auto` tries on a runtime, in order. */
export const autoBackendsFor = (runtime: 'node' | 'browser'): BackendInfo[] => backendsFor(runtime).filter((b) => !b.byNameOnly?.includes(runtime));

export const backendInfo = (name: string): BackendInfo | undefined => BACKENDS.find((b) => b.name === name);
