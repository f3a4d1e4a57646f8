#!/usr/bin/env node
// Backend parity in a real Chromium (Debian's package; never a downloaded browser): builds e2e/parity/, serves it
// on 127.0.0.1 with the PyTorch fixtures beside it, and runs ResNet18 on wasm, webgl and webgpu — both GPU
// backends on SwiftShader, Chromium's software GPU, with the flags below — against PyTorch's logits and the cpu
// backend's gradients, Adam step and Grad-CAM (e2e/parity/parity.ts says why cpu and how they are compared).
//
//   npm run -w @medxfer/web e2e:backends                 wasm, webgl and webgpu (CI; ~3–5 min, most of it
//       SwiftShader compiling WebGPU's pipelines: a line per backend says where the time went)
//   PARITY_ONLY=webgpu npm run -w @medxfer/web e2e:backends   one backend alone
// Everything reads tensors asynchronously: tfjs-webgpu's synchronous read draws through an OffscreenCanvas, and
// on SwiftShader that lost the device (every later upload then failed "createBuffer failed … mappedAtCreation").
//   CHROMIUM=/path/to/chromium chooses the browser.
//
// Prints one line per check, then "backends: N passed, N failed". Exits 1 when a check failed.
import { join, resolve } from 'node:path';
import { launchChromium, servePage, web } from './page-server.mjs';

const fixtures = resolve(web, '../../test-support/shared/fixtures/torch');

/**
 * What each backend must meet. Forward: against PyTorch's logits, max |ours − ref| / (1e-4 + 1e-4·|ref|) ≤ 1,
 * as in Node. Gradients (all 62 tensors as one vector) and the Adam step's change of the weights (where the
 * gradient is clearly not 0): relative L2 error against cpu. Grad-CAM (before the step): max difference of the
 * [0, 1] maps. The GPU backends compute cpu's formulations (measured: 8e-6, 3e-7, 2e-6); medxfer's wasm kernels
 * take the other side of a ReLU kink on this input (8.6e-3, 2.4e-2; see parity.ts), hence its looser limits.
 */
const LIMITS = {
  wasm: { forward: 1, grads: 2e-2, adamStep: 5e-2, gradCam: 1e-4 },
  webgl: { forward: 1, grads: 1e-4, adamStep: 1e-4, gradCam: 1e-4 },
  webgpu: { forward: 1, grads: 1e-4, adamStep: 1e-4, gradCam: 1e-4 },
};

// PARITY_ONLY=webgpu runs one backend alone.
const chosen = process.env.PARITY_ONLY ? [process.env.PARITY_ONLY] : Object.keys(LIMITS);

const checks = [];
const check = (name, ok, detail) => {
  checks.push(ok);
  console.log(`${ok ? '✓' : '✗'} ${name}${detail ? `: ${detail}` : ''}`);
};

let server;
let browser;
try {
  const files = ['resnet18-random-seed0.pth', 'resnet18-random-seed0.input-28.npy', 'resnet18-random-seed0.logits-28.npy', 'resnet18-random-seed0.input-64.npy', 'resnet18-random-seed0.logits-64.npy'];
  server = await servePage('parity', files.map((f) => join(fixtures, f)));
  const origin = server.origin;
  // Each backend in a browser of its own (beside the cpu reference): a GPU backend starts with a fresh GPU process.
  const errors = [];
  const results = {};
  for (const backend of chosen) {
    browser = await launchChromium();
    const page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(origin, { waitUntil: 'load' });
    await page.waitForFunction(() => typeof globalThis.parity === 'function', null, { timeout: 60_000 });
    const started = Date.now();
    Object.assign(results, await page.evaluate((b) => globalThis.parity([b]), backend));
    const stages = results[backend]?.stages;
    console.log(`${backend}: ran in ${((Date.now() - started) / 1000).toFixed(0)} s${stages ? ` (${Object.entries(stages).map(([k, s]) => `${k} ${s} s`).join(', ')})` : ''}`);
    await browser.close();
    browser = undefined;
  }
  for (const backend of chosen) {
    const limit = LIMITS[backend];
    const r = results[backend];
    if (r.error) {
      check(`${backend}: runs`, false, r.error);
      continue;
    }
    const forward = Math.max(...Object.values(r.forward));
    check(`${backend}: ResNet18 logits (28 and 64 px, BatchNorm folded and not) match PyTorch`, forward <= limit.forward, `worst ${forward.toFixed(3)} of 1e-4 + 1e-4·|ref| (limit ${limit.forward}); ${r.seconds.toFixed(1)} s for all checks`);
    check(`${backend}: gradients of a train-mode step match cpu`, r.grads.all <= limit.grads, `relative L2 ${r.grads.all.toExponential(2)} (worst tensor ${r.grads.name}: ${r.grads.worst.toExponential(2)}); loss differs by ${r.lossDiff.toExponential(2)}`);
    check(`${backend}: one Adam step matches cpu`, r.adamStep.all <= limit.adamStep, `relative L2 ${r.adamStep.all.toExponential(2)} (worst tensor ${r.adamStep.name}: ${r.adamStep.worst.toExponential(2)})`);
    check(`${backend}: Grad-CAM matches cpu`, r.gradCam <= limit.gradCam, `max difference ${r.gradCam.toExponential(2)}`);
  }
  check('no page errors', errors.length === 0, errors.join('; '));
} catch (error) {
  check('the parity page runs', false, error?.stack ?? String(error));
} finally {
  await browser?.close();
  await server?.close();
}
const failed = checks.filter((ok) => !ok).length;
console.log(`backends: ${checks.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
