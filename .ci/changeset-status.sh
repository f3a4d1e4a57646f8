#!/usr/bin/env bash
# `npx changeset status`: the changesets config loads, every pending changeset parses and names
# known packages, and no package changed since the base branch (main) without a changeset.
# Last line: changesets: N passed, M failed
set -uo pipefail
cd "$(dirname "$0")/.."
since=()
if ! git rev-parse --verify --quiet main >/dev/null; then
  # A clone without a local main branch (e.g. a detached checkout): compare with origin/main.
  git rev-parse --verify --quiet origin/main >/dev/null && since=(--since=origin/main)
fi
if npx changeset status "${since[@]}"; then
  echo "changesets: 1 passed, 0 failed"
else
  echo "changesets: 0 passed, 1 failed"
  exit 1
fi
