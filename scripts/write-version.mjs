// Writes src/version.ts of the package in the current folder from its package.json, at build time, so the
// version a package reports is the one changesets bumped (src/version.ts is generated and git-ignored).
import { readFileSync, writeFileSync } from 'node:fs';

const { name, version } = JSON.parse(readFileSync('package.json', 'utf8'));
const text = `// Generated from package.json by scripts/write-version.mjs at build time; do not edit.\n/** The version of ${name}. */\nexport const VERSION = '${version}';\n`;
let current = '';
try {
  current = readFileSync('src/version.ts', 'utf8');
} catch {}
if (current !== text) writeFileSync('src/version.ts', text);
