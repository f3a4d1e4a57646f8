#!/usr/bin/env bash
# ResNet18 on the browser backends (wasm; WebGL 2 and WebGPU on SwiftShader) in Debian's Chromium: forward against
# PyTorch's logits; gradients, an Adam step and Grad-CAM against the cpu backend. Ends "backends: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
npm run --silent -w @medxfer/web e2e:backends
