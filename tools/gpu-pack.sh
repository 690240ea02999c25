#!/usr/bin/env bash
# Builds the GPU pack: one folder (default gpu-pack/, git-ignored, at most 64 MiB) that runs
# Ruminate's GPU check (tools/gpu-run.sh) on a Linux x86-64 machine with no network and no Node:
#   node.xz                           this machine's Node binary, xz-compressed
#   node_modules/webgpu/              the `webgpu` package's index.js + package.json, and its
#     dist/linux-x64/dawn.node.xz     Linux dawn.node, xz-compressed
#   ruminate.mjs                      the CLI bundled into one file
#   kernel-tests.mjs                  the WebGPU kernel tests with their runner (no vitest)
#   gpu-fixtures.mjs                  the fixture writer (models are written on the machine)
#   gpu-report.mjs                    the Markdown report of the results (targets, decode rows)
#   debs/libvulkan1_*.deb             Debian's Vulkan loader (apt-get download), unpacked there
#   manifest.json                     commit, versions, sizes and SHA-256 of every file
#
#   bash tools/gpu-pack.sh [OUT_DIR]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$ROOT/gpu-pack}
LIMIT_BYTES=$((64 * 1024 * 1024))

fail() {
  echo "gpu-pack: $*" >&2
  exit 1
}

[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || fail "builds on Linux x86-64 only (the pack's Node and dawn.node run where they were built)"
for tool in node xz apt-get dpkg-deb sha256sum; do
  command -v "$tool" >/dev/null || fail "needs $tool on the PATH"
done
NODE_BIN=$(node -p process.execPath)
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
[ "$NODE_MAJOR" -ge 20 ] || fail "needs Node ≥ 20 to pack (found $(node --version))"
WEBGPU=$(cd "$ROOT" && node -p "require('node:path').dirname(require.resolve('webgpu/package.json'))") ||
  fail "the webgpu package is not installed: run pnpm install"
[ -f "$WEBGPU/dist/linux-x64/dawn.node" ] || fail "no dist/linux-x64/dawn.node in $WEBGPU"

started=$(date +%s)
rm -rf "$OUT"
mkdir -p "$OUT/node_modules/webgpu/dist/linux-x64" "$OUT/debs"

echo "gpu-pack: bundling the CLI, the kernel tests and the fixture writer…" >&2
(cd "$ROOT" && pnpm exec tsx tools/gpu-pack/bundle.ts "$OUT" >/dev/null)

echo "gpu-pack: compressing Node $(node --version) ($NODE_BIN) and dawn.node…" >&2
xz -9 -T0 -c "$NODE_BIN" >"$OUT/node.xz"
cp "$WEBGPU/index.js" "$WEBGPU/package.json" "$OUT/node_modules/webgpu/"
xz -9 -T0 -c "$WEBGPU/dist/linux-x64/dawn.node" >"$OUT/node_modules/webgpu/dist/linux-x64/dawn.node.xz"

echo "gpu-pack: fetching Debian's Vulkan loader (libvulkan1)…" >&2
if ! (cd "$OUT/debs" && apt-get download libvulkan1:amd64 >/dev/null 2>&1); then
  apt-get update >/dev/null 2>&1 || true
  (cd "$OUT/debs" && apt-get download libvulkan1:amd64 >/dev/null) || fail "apt-get download libvulkan1 failed"
fi

(
  cd "$OUT"
  files=$(find . -type f ! -name manifest.json | sort)
  node - "$ROOT" "$NODE_BIN" $files <<'JS' >manifest.json
const { execSync } = require('node:child_process');
const { readFileSync, statSync } = require('node:fs');
const { createHash } = require('node:crypto');
const [root, nodeBin, ...files] = process.argv.slice(2);
const git = (cmd) => { try { return execSync(`git -C ${root} ${cmd}`, { encoding: 'utf8' }).trim(); } catch { return null; } };
const manifest = {
  builtAt: new Date().toISOString(),
  commit: git('rev-parse HEAD'),
  dirty: git('status --porcelain') !== '',
  node: { version: process.version, from: nodeBin, bytes: statSync(nodeBin).size },
  webgpu: JSON.parse(readFileSync('node_modules/webgpu/package.json', 'utf8')).version,
  files: Object.fromEntries(files.map((f) => [f.slice(2), {
    bytes: statSync(f).size,
    sha256: createHash('sha256').update(readFileSync(f)).digest('hex'),
  }])),
};
process.stdout.write(`${JSON.stringify(manifest, null, 1)}\n`);
JS
)

total=$(du -sb "$OUT" | cut -f1)
awk -v b="$total" -v o="$OUT" -v s=$(($(date +%s) - started)) 'BEGIN { printf "gpu-pack: %s, %.1f MiB in %d s\n", o, b / 1048576, s }' >&2
(cd "$OUT" && find . -type f -printf '  %-48p %10s bytes\n' | sort) >&2
[ "$total" -le "$LIMIT_BYTES" ] || fail "the pack is $total bytes, over the 64 MiB ($LIMIT_BYTES bytes) a device run carries"
# A device run carries the repository's files with the pack, 64 MiB in all.
tracked=$(cd "$ROOT" && git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
[ $((total + tracked)) -le "$LIMIT_BYTES" ] ||
  fail "the pack ($total bytes) and the repository's tracked files ($tracked bytes) exceed the 64 MiB a device run carries"
echo "gpu-pack: with the repository's tracked files: $(((total + tracked) / 1048576)) MiB of the 64 MiB a device run carries" >&2
