#!/usr/bin/env bash
# The core entries stay portable (Node, Deno, browsers):
#   1. no core source file (packages/*/src except node.ts and node/) imports a `node:` module or a
#      Node builtin or uses Node globals, and no built core file (dist/ except node.js, node/)
#      imports a Node module (.ci/check-portable.mjs, TypeScript's parser);
#   2. each package's tsconfig.core.json (types: [], node entries excluded) type-checks.
# Last line: portable: N passed, M failed (one check per package and step).
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0
failed=0
npx turbo run build --filter=@medxfer/train... --output-logs=errors-only || { echo "portable: 0 passed, 1 failed"; exit 1; }
for pkg in data models train metrics; do
  if node .ci/check-portable.mjs "$pkg"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  if npx tsc -p "packages/$pkg/tsconfig.core.json"; then
    echo "portable: tsc -p packages/$pkg/tsconfig.core.json ok"
    passed=$((passed + 1))
  else
    echo "portable: tsc -p packages/$pkg/tsconfig.core.json FAILED"
    failed=$((failed + 1))
  fi
done
echo "portable: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
