#!/usr/bin/env bash
# Installs what Ruminate needs on a fresh Debian 12 machine with Node 20 (as root):
# Debian's chromium (headless WebGPU on SwiftShader, and SwiftShader's Vulkan ICD for
# Dawn in Node), the Vulkan loader, pnpm at the pinned version, and the Node
# dependencies from the lockfile. Idempotent: skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION="$(node -p "require('./package.json').packageManager.split('@')[1]")"

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -e /usr/lib/chromium/vk_swiftshader_icd.json ] || missing+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || missing+=(libvulkan1)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm@$PNPM_VERSION" >&2
  npm install -g "pnpm@$PNPM_VERSION" >&2
fi

pnpm install --frozen-lockfile >&2
pnpm run --reporter=silent check:wgsl
