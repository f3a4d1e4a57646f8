// Bundles tfjs-core's gradient registrations into dist/vendor/tfjs-gradients.js (see src/vendor/tfjs-gradients.ts).
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const entry = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
const outfile = fileURLToPath(new URL('../dist/vendor/tfjs-gradients.js', import.meta.url));
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  target: 'es2020',
  legalComments: 'inline',
  logLevel: 'warning',
  banner: { js: '// Generated from @tensorflow/tfjs-core (Apache-2.0) by scripts/bundle-tfjs-gradients.mjs; do not edit.' },
});
// tsc's source map of the stub it replaced would describe the wrong file.
await rm(`${outfile}.map`, { force: true });
