#!/usr/bin/env bash
# The programs the integration tests run, installed from Debian's packages when missing (as root),
# so `npm test` works on a fresh machine: docker-registry (a real OCI registry on loopback), htpasswd
# (its Basic-auth variant), buildah (the build stage, run for real), kmod's modinfo and openssl (which
# check module signatures). kubectl ships with the machine image; it renders manifests/.
set -euo pipefail

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v buildah >/dev/null || need+=(buildah)
# modinfo lives in /usr/sbin, which a non-root PATH may lack.
command -v modinfo >/dev/null || [[ -x /usr/sbin/modinfo || -x /sbin/modinfo ]] || need+=(kmod)
command -v openssl >/dev/null || need+=(openssl)
if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "the tests need: ${need[*]} (Debian packages); install them, e.g. sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "installing ${need[*]} for the integration tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v kubectl >/dev/null || { echo "the tests need kubectl (with kustomize) to render manifests/" >&2; exit 1; }
