// Fails when a core source file (packages/*/src except node.ts and node/) imports a `node:` module
// or a Node builtin, or uses Node globals (process, Buffer, __dirname, __filename, require, global,
// setImmediate); also scans the built core entries (dist/, except node.js and node/) for imports of
// Node modules. Uses TypeScript's parser, so comments and strings do not trigger it.
// Usage: node .ci/check-portable.mjs [package...]   (default: data models train metrics)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = new URL('..', import.meta.url).pathname;
const packages = process.argv.slice(2).length ? process.argv.slice(2) : ['data', 'models', 'train', 'metrics'];
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isNodeModule = (spec) => spec.startsWith('node:') || builtins.has(spec) || builtins.has(spec.split('/')[0]);
const GLOBALS = new Set(['process', 'Buffer', '__dirname', '__filename', 'require', 'global', 'setImmediate', 'clearImmediate']);
const isNodeOnly = (rel) => rel === 'node.ts' || rel === 'node.js' || rel === 'node.d.ts' || rel.startsWith('node/') || rel.startsWith(`node${'\\'}`);

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

const problems = [];
let files = 0;

/** Reports imports of Node modules and, when `globals`, uses of Node globals in one file. */
function scan(path, globals) {
  files++;
  const text = readFileSync(path, 'utf8');
  const kind = /\.(m|c)?js$/.test(path) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, kind);
  const report = (node, what) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    problems.push(`${relative(root, path)}:${line + 1}: ${what}`);
  };
  const visit = (node) => {
    // import … from 'x', export … from 'x', import x = require('x'), import('x'), require('x'), import('x') types
    let spec;
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) spec = node.moduleSpecifier;
    else if (ts.isExternalModuleReference(node) && ts.isStringLiteral(node.expression)) spec = node.expression;
    else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require')) && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) spec = node.arguments[0];
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) spec = node.argument.literal;
    if (spec && isNodeModule(spec.text)) report(node, `imports the Node module '${spec.text}' (Node-only code belongs in src/node.ts or src/node/)`);
    if (globals && ts.isIdentifier(node) && GLOBALS.has(node.text)) {
      const p = node.parent;
      const isName =
        (ts.isPropertyAccessExpression(p) && p.name === node && !(ts.isIdentifier(p.expression) && p.expression.text === 'globalThis')) ||
        ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isPropertySignature(p) || ts.isMethodDeclaration(p) || ts.isMethodSignature(p)) && p.name === node) ||
        (ts.isBindingElement(p) && p.propertyName === node) ||
        (ts.isQualifiedName(p) && p.right === node);
      if (!isName) report(node, `uses the Node global '${node.text}'`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

for (const pkg of packages) {
  const src = join(root, 'packages', pkg, 'src');
  for (const path of walk(src)) {
    const rel = relative(src, path);
    if (/\.(m|c)?tsx?$/.test(path) && !isNodeOnly(rel)) scan(path, true);
  }
  // The built core entries: no import of a Node module may have slipped in (the vendored bundles included).
  const dist = join(root, 'packages', pkg, 'dist');
  let built;
  try {
    built = [...walk(dist)];
  } catch {
    problems.push(`packages/${pkg}/dist is missing: build first`);
    continue;
  }
  for (const path of built) {
    const rel = relative(dist, path);
    if (/\.(m|c)?js$/.test(path) && !isNodeOnly(rel)) scan(path, false);
  }
}

for (const p of problems) console.log(`  ${p}`);
console.log(`portable: scanned ${files} core files of ${packages.join(', ')}: ${problems.length ? `${problems.length} problem(s)` : 'no Node imports or globals'}`);
process.exit(problems.length ? 1 : 0);
