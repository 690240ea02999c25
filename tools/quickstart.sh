#!/usr/bin/env bash
# The README's first Quick start command: installs everything, then runs Ruminate's
# main job on the embedded default and exits.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
pnpm run --reporter=silent ruminate demo
