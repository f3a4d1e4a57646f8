#!/usr/bin/env bash
# Browser bundling: Vite builds test-browser-bundle/ (a page importing the core entry "." of each
# @medxfer package) for the browser with no polyfills or aliases for Node builtins (its config turns
# any Node builtin imported by the page or our packages into a build error); then
#   - the output must reference no `node:` module;
#   - the bundle runs (smoke test) in a Deno isolate with no permissions, no `process` and a
#     WorkerGlobalScope, i.e. as tfjs sees a web worker, and prints its results.
# Last line: browser: N passed, M failed
set -uo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
passed=0
failed=0
ok() { echo "  ok     $*"; passed=$((passed + 1)); }
bad() { echo "  FAIL   $*"; failed=$((failed + 1)); }
out="$(mktemp -d "${TMPDIR:-/tmp}/medxfer-browser.XXXXXX")"
trap 'rm -rf "$out"' EXIT

npx turbo run build --filter=@medxfer/train... --output-logs=errors-only || { echo "browser: 0 passed, 1 failed"; exit 1; }

if npx vite build --config test-browser-bundle/vite.config.ts --outDir "$out/dist" --emptyOutDir; then
  ok "vite build of test-browser-bundle/ (no Node builtins, no polyfills)"
  if grep -rnoE "(from|import|require)[[:space:]]*\(?[[:space:]]*[\"']node:[^\"']*[\"']" "$out/dist"; then
    bad "the bundle references node: modules (above)"
  else
    ok "the bundle references no node: module"
  fi
  bundle="$(ls "$out"/dist/assets/*.js | head -n 1)"
  printf 'delete globalThis.process;\nglobalThis.WorkerGlobalScope ??= class WorkerGlobalScope {};\nawait import(%s);\n' "\"./dist/assets/$(basename "$bundle")\"" > "$out/smoke.mjs"
  if (cd "$out" && NO_COLOR=1 "$repo/node_modules/.bin/deno" run --no-prompt --no-config --no-lock smoke.mjs 2>&1 | tee "$out/smoke.log" | grep -v -e '^$' -e 'Hi, looks like' -e '^=====' ; exit "${PIPESTATUS[0]}") \
    && grep -q '^bundle-smoke ' "$out/smoke.log"; then
    ok "the bundle runs without Node (Deno, no permissions, as a web worker)"
  else
    bad "the bundle did not run"
  fi
else
  bad "vite build of test-browser-bundle/"
fi
echo "browser: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
