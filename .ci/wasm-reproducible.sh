#!/usr/bin/env bash
# The committed WebAssembly kernels (*-wasm-binary.ts) are what their AssemblyScript sources (wasm/ of each
# package) build to: rebuild them and compare byte for byte.
# Last line: wasm-reproducible: N passed, M failed
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0
failed=0
for pkg in models:packages/models/src/wasm train:packages/train/src/optim/kernels; do
  name="${pkg%%:*}"
  dir="${pkg#*:}"
  if npm run --silent -w "@medxfer/$name" build:wasm && git diff --exit-code --stat -- "$dir"/*-wasm-binary.ts; then
    passed=$((passed + 1))
  else
    echo "the committed kernel binaries in $dir differ from a rebuild of packages/$name/wasm (run npm run -w @medxfer/$name build:wasm and commit)"
    failed=$((failed + 1))
  fi
done
echo "wasm-reproducible: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
