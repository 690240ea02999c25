#!/usr/bin/env bash
# Every test Ruminate has: typecheck, lint, unit, GPU (Dawn for Node on SwiftShader),
# llama.cpp parity, and end-to-end in headless Chromium. Installs what is missing first.
# This is the README's second Quick start command, and what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh

step() { echo; echo "=== $* ===" >&2; }
mkdir -p .cache/test
step typecheck; pnpm run --reporter=silent typecheck
step lint;      pnpm run --reporter=silent lint
step unit;      pnpm exec vitest run --project unit --reporter=default --reporter=json --outputFile.json=.cache/test/unit.json
step gpu;       pnpm exec vitest run --project gpu --reporter=default --reporter=json --outputFile.json=.cache/test/gpu.json
step e2e;       pnpm run --reporter=silent test:e2e

# One closing line over every runner: "N passed, N failed".
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const f of [".cache/test/unit.json", ".cache/test/gpu.json", ".cache/test/e2e.json"]) {
    if (!fs.existsSync(f)) continue;
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests ?? 0; failed += r.numFailedTests ?? 0;
  }
  console.log(`${passed} passed, ${failed} failed`);
  if (failed > 0 || passed === 0) process.exit(1);
'
