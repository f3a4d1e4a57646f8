#!/usr/bin/env bash
# The Deno suite (test-deno/*.test.ts): the public APIs of @medxfer/data, models, train and metrics,
# imported as the BUILT packages (dist/, through the workspace's node_modules with bare specifiers),
# under Deno from npm's `deno` package (a root devDependency; no download at run time).
#
#   --node-modules-dir=manual  resolve bare specifiers in the existing node_modules (npm installed them)
#   --cached-only              never fetch anything
#   --no-lock                  write no deno.lock
#   --no-check                 the runtime suite; the .d.ts files are type-checked by .ci/consumer-test.sh
#   --allow-read=<repo>,<shared fixtures>   the only permission: fixtures, dist/, and the wasm binaries
#
# Fixtures: $MEDXFER_SHARED, default the repository's copy in test-support/shared/. Last line: deno: N passed, M failed
set -uo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
shared="$(cd "${MEDXFER_SHARED:-test-support/shared}" 2>/dev/null && pwd)" || { echo "deno: shared fixtures not found (${MEDXFER_SHARED:-test-support/shared}); set MEDXFER_SHARED"; echo "deno: 0 passed, 1 failed"; exit 1; }
deno="$repo/node_modules/.bin/deno"
[ -x "$deno" ] || { echo "deno is not installed (npm ci installs it from the root devDependencies)"; echo "deno: 0 passed, 1 failed"; exit 1; }
"$deno" --version | head -n 1

npx turbo run build --filter=@medxfer/train... --output-logs=errors-only || { echo "deno: 0 passed, 1 failed"; exit 1; }

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
NO_COLOR=1 "$deno" test --no-check --node-modules-dir=manual --cached-only --no-lock --no-prompt \
  --allow-read="$repo,$shared" test-deno/ -- --shared="$shared" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# deno's summary: "ok | 25 passed | 0 failed (15s)" or "FAILED | 23 passed | 2 failed (15s)"
summary="$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -n 1)"
if [ -n "$summary" ]; then
  passed="$(sed -E 's/.*\| ([0-9]+) passed.*/\1/' <<<"$summary")"
  failed="$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$summary")"
else
  passed=0
  failed=1
fi
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "deno: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
