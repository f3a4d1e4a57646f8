#!/usr/bin/env bash
# Packed-tarball consumer test: builds the four libraries, `npm pack`s them, installs the tarballs
# into scratch projects in a temporary folder outside the workspace (tfjs pinned, from the
# registry), and runs small programs that mix them with plain `node` (and `tsc` for the types).
# Nothing resolves through the workspace's node_modules.
#
#   light/ : @medxfer/data + @medxfer/metrics only (no models, no tfjs)  -> data-metrics.mjs
#   full/  : all four + tfjs-core, -backend-cpu, -backend-wasm 4.22.0    -> models-predict.mjs
#            (imports only @medxfer/models), train-wasm.mjs, types-check.ts
#
# Fixtures: $MEDXFER_SHARED, default the repository's copy in test-support/shared/. Last line:
#   consumer: N passed, M failed
# (each check of each program counts; a step that fails before its checks run counts as one failure).
# Keeps the scratch folder when MEDXFER_KEEP_SCRATCH=1.
set -uo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

TFJS_VERSION=4.22.0
TS_VERSION="$(node -p 'require("./package.json").devDependencies.typescript')"
shared="$(cd "${MEDXFER_SHARED:-test-support/shared}" 2>/dev/null && pwd)" || { echo "consumer: shared fixtures not found (${MEDXFER_SHARED:-test-support/shared}); set MEDXFER_SHARED"; echo "consumer: 0 passed, 1 failed"; exit 1; }
export MEDXFER_SHARED="$shared"

passed=0
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
finish() {
  echo "consumer: $passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
  exit $?
}

scratch="$(mktemp -d "${TMPDIR:-/tmp}/medxfer-consumer.XXXXXX")"
case "$scratch" in "$repo"/*) echo "scratch folder is inside the repository"; exit 1 ;; esac
[ "${MEDXFER_KEEP_SCRATCH:-0}" = 1 ] || trap 'rm -rf "$scratch"' EXIT
echo "consumer test in $scratch (fixtures: $shared)"

# 1. Build (turbo: cached when up to date) and pack.
echo "--- build"
npx turbo run build --filter=@medxfer/train... --output-logs=errors-only || { fail "build"; finish; }
echo "--- npm pack"
mkdir -p "$scratch/packs"
npm pack --ignore-scripts --silent --json --pack-destination "$scratch/packs" \
  -w packages/data -w packages/models -w packages/train -w packages/metrics > "$scratch/packs/pack.json" \
  || { fail "npm pack"; finish; }
node - "$scratch/packs/pack.json" <<'EOF' && passed=$((passed + 1)) || fail "tarball contents"
// Each tarball holds dist with .d.ts for every .js, both entries, README and CHANGELOG; models holds its vendored gradients.
const packs = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
const problems = [];
for (const p of packs) {
  const files = new Set(p.files.map((f) => f.path));
  const need = ['package.json', 'README.md', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts'];
  if (p.name === '@medxfer/models') {
    need.push('dist/vendor/tfjs-gradients.js');
    // The self-contained bundle of tfjs-core's gradients (~430 KB), not tsc's one-line stub.
    const bundle = p.files.find((f) => f.path === 'dist/vendor/tfjs-gradients.js');
    if (bundle && bundle.size < 100000) problems.push(`@medxfer/models: dist/vendor/tfjs-gradients.js is ${bundle.size} bytes, not the bundle`);
  }
  for (const f of need) if (!files.has(f)) problems.push(`${p.name}: missing ${f}`);
  for (const f of files) if (/^dist\/.*\.js$/.test(f) && !files.has(f.replace(/\.js$/, '.d.ts'))) problems.push(`${p.name}: ${f} has no .d.ts`);
  for (const f of files) if (/(^|\/)(test|node_modules)\//.test(f) || f.endsWith('.tsbuildinfo')) problems.push(`${p.name}: should not ship ${f}`);
  console.log(`  ${p.filename}: ${p.entryCount} files, ${(p.size / 1024).toFixed(0)} KiB packed`);
}
if (packs.length !== 4) problems.push(`expected 4 tarballs, got ${packs.length}`);
if (problems.length) { console.log(problems.join('\n')); process.exit(1); }
console.log('  ok     tarball contents');
EOF
tgz() { echo "$scratch/packs/medxfer-$1-$(node -p "require('$repo/packages/$1/package.json').version").tgz"; }

# 2. Scratch projects, outside the workspace, installed from the tarballs and the registry only.
install() { # dir, packages...
  local dir="$1"; shift
  mkdir -p "$dir"
  printf '{ "name": "medxfer-consumer-%s", "private": true, "type": "module" }\n' "$(basename "$dir")" > "$dir/package.json"
  cp "$repo"/.ci/consumer/* "$dir/"
  (cd "$dir" && env -u NODE_PATH npm install --no-audit --no-fund --prefer-offline --loglevel=error "$@")
}
echo "--- install light/ (data + metrics)"
install "$scratch/light" "$(tgz data)" "$(tgz metrics)" || { fail "install light"; finish; }
echo "--- install full/ (all four + tfjs $TFJS_VERSION)"
install "$scratch/full" "$(tgz data)" "$(tgz models)" "$(tgz train)" "$(tgz metrics)" \
  "@tensorflow/tfjs-core@$TFJS_VERSION" "@tensorflow/tfjs-backend-cpu@$TFJS_VERSION" "@tensorflow/tfjs-backend-wasm@$TFJS_VERSION" \
  "typescript@$TS_VERSION" || { fail "install full"; finish; }

# 3. The programs, with plain node from the scratch folder (no workspace on the resolution path).
run() { # dir, program
  echo "--- $2"
  local log="$scratch/$(basename "$2").log"
  (cd "$1" && env -u NODE_PATH -u NODE_OPTIONS node "$2") 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local counts
  counts="$(sed -n 's/^RESULT \([0-9]*\) \([0-9]*\)$/\1 \2/p' "$log" | tail -n 1)"
  if [ -z "$counts" ]; then fail "$2 exited $rc before reporting"; return; fi
  passed=$((passed + ${counts% *}))
  failed=$((failed + ${counts#* }))
  if [ "$rc" -ne 0 ] && [ "${counts#* }" -eq 0 ]; then fail "$2 exited $rc"; fi
}
run "$scratch/light" data-metrics.mjs
run "$scratch/full" models-predict.mjs
run "$scratch/full" train-wasm.mjs

# 4. The README examples as published, with the substitutions that make them run offline on the
#    shared (non-official) copy of PneumoniaMNIST: no download, no md5 check, fewer images.
mkdir -p "$scratch/medmnist" && ln -s "$shared/data/pneumoniamnist.npz" "$scratch/medmnist/pneumoniamnist.npz"
readme_run() { # package, program, replacements...
  local package="$1" program="$2"; shift 2
  echo "--- $program (the example in packages/$package/README.md)"
  if node .ci/consumer/readme-example.mjs "packages/$package/README.md" "$scratch/full/$program" "$@" \
    && (cd "$scratch/full" && env -u NODE_PATH -u NODE_OPTIONS MEDMNIST_ROOT="$scratch/medmnist" node "$program" 2>&1 | tail -n 12; exit "${PIPESTATUS[0]}"); then
    echo "  ok     $program ran"; passed=$((passed + 1))
  else
    fail "$program"
  fi
}
offline=('store: nodeStore(),' 'store: nodeStore(), download: false, verify: false,')
readme_run data readme-data.mjs "${offline[@]}"
readme_run train readme-train.mjs "${offline[@]}" 'const limit = 512;' 'const limit = 64;'

echo "--- types-check.ts (tsc, NodeNext, strict, lib check on)"
if (cd "$scratch/full" && ./node_modules/.bin/tsc -p tsconfig.json); then
  echo "  ok     the .d.ts files resolve through exports and type the example"
  passed=$((passed + 1))
else
  fail "types-check.ts"
fi

echo "--- types-check.ts under deno check (the tarballs as npm packages in node_modules)"
deno="$repo/node_modules/.bin/deno"
if [ ! -x "$deno" ]; then
  fail "deno is not installed in the workspace"
elif (cd "$scratch/full" && NO_COLOR=1 "$deno" check --node-modules-dir=manual --cached-only --no-lock --no-config types-check.ts); then
  echo "  ok     Deno type-checks the example against the published .d.ts files"
  passed=$((passed + 1))
else
  fail "deno check types-check.ts"
fi

finish
