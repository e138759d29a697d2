#!/usr/bin/env bash
# Installs what the test suite needs and is missing: node modules, Debian's Chromium. Idempotent and quiet when done.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing node modules" >&2
  npm install --no-audit --no-fund >&2
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Debian chromium (apt-get)" >&2
  as_root apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >&2
fi
