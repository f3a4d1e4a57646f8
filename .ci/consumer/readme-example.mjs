// Writes the first ```js block under "## Example" of a README to a file, applying literal
// replacements (each must be found, so a README edit that breaks one is noticed):
//   node readme-example.mjs README.md out.mjs [from to]...
import { readFileSync, writeFileSync } from 'node:fs';

const [readme, out, ...pairs] = process.argv.slice(2);
const block = /## Example[\s\S]*?```js\n([\s\S]*?)```/.exec(readFileSync(readme, 'utf8'));
if (!block) {
  console.log(`no js block under "## Example" in ${readme}`);
  process.exit(1);
}
let code = block[1];
for (let i = 0; i < pairs.length; i += 2) {
  if (!code.includes(pairs[i])) {
    console.log(`${readme}: the example no longer contains "${pairs[i]}"; update .ci/consumer-test.sh`);
    process.exit(1);
  }
  code = code.replace(pairs[i], pairs[i + 1]);
}
writeFileSync(out, code);
