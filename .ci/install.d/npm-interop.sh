#!/usr/bin/env bash
# Installs the js-libp2p 2.x peer that p2p's interop tests drive (p2p/interop), from its committed lockfile.
# Idempotent: skips npm when node_modules already matches package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../../p2p/interop"
if ! command -v npm >/dev/null 2>&1; then
  echo "npm-interop: npm not found; install Node.js 20 (js-libp2p 2.x runs on it)" >&2
  exit 1
fi
stamp=node_modules/.starling-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d node_modules/libp2p ]; then
  echo "npm-interop: node_modules up to date"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "npm-interop: installed js-libp2p interop peer in p2p/interop"
