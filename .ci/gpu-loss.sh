#!/usr/bin/env bash
# GPU loss in the web app (Debian's Chromium, SwiftShader): a WebGL context lost mid-run and a WebGPU device
# destroyed under a model; the worker must move to wasm, say so, and lose nothing. Ends "gpu-loss: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
npm run --silent -w @medxfer/web e2e:gpu-loss
