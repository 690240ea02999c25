#!/usr/bin/env bash
# Ruminate's check on a real GPU, from the pack tools/gpu-pack.sh built (no network, no Node, no
# node_modules needed). Run from the repository root with the pack beside it (gpu-pack/):
#
#   bash tools/gpu-run.sh [--local] [--pack DIR] [OUT_DIR]      (OUT_DIR default gpu-results/)
#
# It unpacks Node, dawn.node and Debian's Vulkan loader into a temporary folder, prints the
# adapter Dawn finds and stops unless it is a GPU, then, within 8 minutes in all: the device
# profile, tuning on both models' shapes, the kernel suite, decode at 1 and 16 sequences against
# the bandwidth limit on the 31M model and on a 1.1B Q4_0 model written there, and every kernel
# candidate against the float64 references in the time left. Each step's JSON lands in OUT_DIR (ready for
# bench/results/gpu/), its log beside it, and summary.json says what ran, for how long, and how
# it ended. --local runs the same pack on a CPU adapter (SwiftShader) with smaller workloads:
# the proof, on a machine without a GPU, that the pack works.
set -uo pipefail

LOCAL=0
PACK=""
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --local) LOCAL=1 ;;
    --pack) PACK=$2; shift ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "gpu-run: unknown option $1" >&2; exit 2 ;;
    *) OUT=$1 ;;
  esac
  shift
done
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PACK=$(cd "${PACK:-$ROOT/gpu-pack}" 2>/dev/null && pwd) || { echo "gpu-run: no pack at ${PACK:-$ROOT/gpu-pack}: build it with tools/gpu-pack.sh" >&2; exit 2; }
OUT=${OUT:-gpu-results}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
BUDGET_S=480 # 8 minutes for everything after the adapter check
# --local runs on SwiftShader, on a CPU others may share: every limit is this many times longer.
SLOW=1
[ "$LOCAL" = 1 ] && SLOW=${RUMINATE_GPU_RUN_SLOW:-4} && BUDGET_S=$((BUDGET_S * SLOW))
START=$(date +%s)

fail() {
  echo "gpu-run: FAILED: $*" >&2
  exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ruminate-gpu-run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# --- Unpack: Node, the bundles, dawn.node, the Vulkan loader --------------------------------
unxz_to() { # unxz_to FILE.xz DEST: xz where installed, else Python's lzma
  if command -v xz >/dev/null; then xz -dc "$1" >"$2"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  fi
}
mkdir -p "$WORK/node_modules/webgpu/dist/linux-x64" "$WORK/vulkan" "$WORK/cache" "$WORK/fixtures"
unxz_to "$PACK/node.xz" "$WORK/node" && chmod +x "$WORK/node" || fail "could not unpack Node"
cp "$PACK"/*.mjs "$WORK/"
cp "$PACK/node_modules/webgpu/index.js" "$PACK/node_modules/webgpu/package.json" "$WORK/node_modules/webgpu/"
unxz_to "$PACK/node_modules/webgpu/dist/linux-x64/dawn.node.xz" "$WORK/node_modules/webgpu/dist/linux-x64/dawn.node" ||
  fail "could not unpack dawn.node"
for deb in "$PACK"/debs/*.deb; do dpkg-deb -x "$deb" "$WORK/vulkan" || fail "could not unpack $deb"; done
export LD_LIBRARY_PATH="$WORK/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ "$LOCAL" = 0 ] && [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  # NVIDIA's Vulkan driver manifest: where the GPU machines mount the driver, then the usual places.
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
    /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd; break; fi
  done
  for lib in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    [ -d "$lib" ] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$lib"
  done
fi
# Nothing from a Node installation or the repository: the pack's node, the pack's modules.
unset NODE_PATH NODE_OPTIONS
export RUMINATE_CACHE_DIR="$WORK/cache"
NODE="$WORK/node"
echo "gpu-run: Node $("$NODE" --version) from the pack; Vulkan loader $(ls "$PACK"/debs); ICD ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-(none set: the loader searches)}}" >&2

# --- The adapter: a GPU, or stop ------------------------------------------------------------
"$NODE" "$WORK/ruminate.mjs" device --adapter --json >"$OUT/adapter.json" 2>"$OUT/adapter.log"
cat "$OUT/adapter.json" >&2
# `"cpu":true|false` is in the report only when an adapter was found.
adapter_cpu=$(grep -o '"cpu":[a-z]*' "$OUT/adapter.json" | cut -d: -f2)
case "${adapter_cpu:-none}" in
  false) echo "gpu-run: a GPU adapter; running the checks (budget ${BUDGET_S} s)" >&2 ;;
  true) [ "$LOCAL" = 1 ] || fail "Dawn found only a CPU adapter (above), not a real GPU: is the NVIDIA Vulkan ICD visible (VK_DRIVER_FILES)? (--local runs on it anyway)" ;;
  *) fail "Dawn found no adapter: $(cat "$OUT/adapter.log" "$OUT/adapter.json" | tail -3)" ;;
esac

# --- The steps --------------------------------------------------------------------------------
STEPS_JSON=""
FAILED=0
# step NAME CAP_S STDOUT_FILE CMD…: runs CMD under the smaller of CAP_S and what is left of the
# budget; stdout to STDOUT_FILE, stderr to OUT/NAME.log; records rc and seconds.
step() {
  local name=$1 cap=$(($2 * SLOW)) stdout=$3
  shift 3
  local left=$((BUDGET_S - ($(date +%s) - START)))
  local limit=$((cap < left ? cap : left))
  local t0 rc
  t0=$(date +%s)
  if [ "$limit" -lt 5 ]; then
    echo "gpu-run: $name: not run (the ${BUDGET_S} s budget is spent)" >&2
    rc=-1
  else
    echo "gpu-run: $name (at most ${limit} s)…" >&2
    timeout --kill-after=10 "$limit" "$@" >"$stdout" 2>"$OUT/$name.log"
    rc=$?
  fi
  local secs=$(($(date +%s) - t0))
  [ "$rc" = 0 ] || FAILED=1
  local note=""
  [ "$rc" = 124 ] && note=" (stopped at its time limit)"
  echo "gpu-run: $name: exit $rc in ${secs} s$note" >&2
  STEPS_JSON="$STEPS_JSON${STEPS_JSON:+,}{\"name\":\"$name\",\"exitCode\":$rc,\"seconds\":$secs,\"limitSeconds\":$limit}"
}
CLI=("$NODE" "$WORK/ruminate.mjs") # timeout runs programs, not shell functions

if [ "$LOCAL" = 1 ]; then
  # SwiftShader needs ~15 minutes for every kernel test file (matmul alone ~10): a few files here.
  SET=local LARGE=small KERNELS=(elementwise norm rope kv-write embedding) TUNE=(--budget-ms 15000 --rows 1,16)
  BENCH_K=(--quick --budget-ms 20000 --reps 1) DECODE=(--prompt-tokens 8 --decode-tokens 4 --kernels tuned --budget-ms 5000)
else
  SET=gpu LARGE=1b KERNELS=(--all) TUNE=(--budget-ms 30000)
  BENCH_K=(--budget-ms 30000) DECODE=(--prompt-tokens 64 --decode-tokens 32)
fi
step device 60 "$OUT/device.json" "${CLI[@]}" device --json
step fixtures 90 "$OUT/fixtures.json" "$NODE" "$WORK/gpu-fixtures.mjs" "$WORK/fixtures" --set "$SET"
M31="$WORK/fixtures/peers-llama-q4_0-31m.gguf"
MBIG="$WORK/fixtures/random-llama-q4_0-$LARGE.gguf"
step tune-31m 60 "$OUT/tune-31m.json" "${CLI[@]}" tune --model "$M31" "${TUNE[@]}" --json
step "tune-$LARGE" 60 "$OUT/tune-$LARGE.json" "${CLI[@]}" tune --model "$MBIG" "${TUNE[@]}" --json
step bench-kernels 120 "$OUT/bench-kernels.txt" "${CLI[@]}" bench kernels --no-browser "${BENCH_K[@]}" --out "$OUT/bench-kernels.json"
step bench-decode-31m 90 "$OUT/bench-decode-31m.txt" "${CLI[@]}" bench decode --model "$M31" --sequences 1,16 "${DECODE[@]}" --out "$OUT/bench-decode-31m.json"
step "bench-decode-$LARGE" 150 "$OUT/bench-decode-$LARGE.txt" "${CLI[@]}" bench decode --model "$MBIG" --sequences 1,16 "${DECODE[@]}" --out "$OUT/bench-decode-$LARGE.json"
# Every candidate against the float64 references, last: it takes what is left of the budget, and
# the runner's own limit (15 s sooner) reports the files it did not reach instead of being killed.
left=$((BUDGET_S - ($(date +%s) - START)))
step test-kernels "$left" "$OUT/test-kernels.json" "${CLI[@]}" test-kernels "${KERNELS[@]}" \
  --time-limit-s $((left > 30 ? left - 15 : 15)) --json
cp "$WORK/cache/tuning.json" "$OUT/tuning.json" 2>/dev/null
cp "$PACK/manifest.json" "$OUT/pack-manifest.json"

TOTAL=$(($(date +%s) - START))
printf '{"date":"%s","mode":"%s","host":"%s","seconds":%d,"budgetSeconds":%d,"passed":%s,"steps":[%s]}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$([ "$LOCAL" = 1 ] && echo local || echo gpu)" "$(uname -n)" "$TOTAL" "$BUDGET_S" \
  "$([ "$FAILED" = 0 ] && echo true || echo false)" "$STEPS_JSON" >"$OUT/summary.json"
"$NODE" "$WORK/gpu-report.mjs" "$OUT" >"$OUT/report.md" && cat "$OUT/report.md" >&2
echo "gpu-run: $([ "$FAILED" = 0 ] && echo passed || echo FAILED) in ${TOTAL} s; results in $OUT" >&2
[ "$FAILED" = 0 ]
