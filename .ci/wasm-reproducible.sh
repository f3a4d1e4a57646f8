#!/usr/bin/env bash
# The committed WebAssembly kernels (packages/train/src/optim/kernels/*-wasm-binary.ts) are what their
# AssemblyScript sources (packages/train/wasm/) build to: rebuild them and compare byte for byte.
# Last line: wasm-reproducible: N passed, M failed
set -uo pipefail
cd "$(dirname "$0")/.."
if npm run --silent -w @medxfer/train build:wasm && git diff --exit-code --stat -- packages/train/src/optim/kernels/; then
  echo "wasm-reproducible: 1 passed, 0 failed"
else
  echo "the committed kernel binaries differ from a rebuild of packages/train/wasm (run npm run -w @medxfer/train build:wasm and commit)"
  echo "wasm-reproducible: 0 passed, 1 failed"
  exit 1
fi
