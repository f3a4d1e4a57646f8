#!/usr/bin/env bash
# TypeScript over everything that is TypeScript: each package's and app's sources (the web app too, which
# vite only transpiles) and, in tsconfig.tests.json, every test and test-support/.
# Last line: typecheck: N passed, M failed
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0
failed=0
if npx turbo run typecheck --output-logs=errors-only; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
if npx tsc -p tsconfig.tests.json; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
echo "typecheck: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
