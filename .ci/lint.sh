#!/usr/bin/env bash
# Biome's linter over the sources, tests and bench (biome.json: no import cycles, no floating promises,
# functions of at most 80 lines outside tests).
# Last line: lint: N passed, M failed
set -uo pipefail
cd "$(dirname "$0")/.."
if npx biome lint; then echo "lint: 1 passed, 0 failed"; else echo "lint: 0 passed, 1 failed"; exit 1; fi
