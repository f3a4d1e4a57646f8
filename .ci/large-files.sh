#!/usr/bin/env bash
# MedMNIST+ files over 2 and 4 GiB through the CLI (datasets info, train, evaluate) with peak RSS under 1 GiB:
# apps/cli/test/large-files.mjs, which generates them and skips, saying why, when the disk lacks room.
# Ends "large-files: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
node apps/cli/test/large-files.mjs
