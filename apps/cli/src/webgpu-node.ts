// WebGPU in Node: Dawn's bindings from the optional npm package `webgpu` (prebuilt inside the package, nothing
// downloaded), installed as `navigator.gpu` and the GPU* globals before tfjs-backend-webgpu is imported — it
// registers its backend only where `navigator.gpu` exists.
import { BackendUnavailableError } from './backend-error.js';

/** What Dawn needs from the machine, for the message when it finds no adapter. */
const NO_ADAPTER =
  'backend webgpu: Dawn found no GPU adapter; it needs a Vulkan driver (Debian: apt-get install libvulkan1 and a driver — ' +
  'mesa-vulkan-drivers, or Chromium\'s SwiftShader via VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json), or use --backend wasm';

interface DawnModule {
  create(options: string[]): { requestAdapter(): Promise<unknown> };
  globals: Record<string, unknown>;
}

async function importDawn(): Promise<DawnModule> {
  try {
    // A variable specifier: `webgpu` is optional, not a dependency of medxfer.
    const name = 'webgpu';
    return (await import(/* @vite-ignore */ name)) as DawnModule;
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND';
    throw new BackendUnavailableError(
      missing
        ? 'backend webgpu needs the npm package webgpu (Dawn, prebuilt; about 130 MB), which is not installed: run "npm install webgpu@0.6.2", or use --backend wasm'
        : `backend webgpu: the npm package webgpu is installed but failed to load (${(cause as Error).message.split('\n')[0]})`,
    );
  }
}

/** Makes WebGPU available to tfjs in this process (once); throws a one-line error when it cannot be. */
export async function provideWebGPU(): Promise<void> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu) return;
  const dawn = await importDawn();
  const gpu = dawn.create([]);
  if (!(await gpu.requestAdapter())) throw new BackendUnavailableError(NO_ADAPTER);
  Object.assign(globalThis, dawn.globals);
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}
