#!/usr/bin/env bash
# OpenBLAS for 'starling bench gemm' (Debian's libopenblas0 provides libblas.so.3 through
# alternatives; netlib-java loads it). Idempotent: does nothing when it is already installed.
# The build and the tests do not need it; without it the bench reports openblas_gflops: null.
set -euo pipefail
if dpkg-query -W -f='${Status}' libopenblas0 2>/dev/null | grep -q "install ok installed"; then
  echo "apt-openblas: libopenblas0 already installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-openblas: no apt-get here; skipping (bench gemm will report openblas_gflops: null)"
  exit 0
fi
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd="sudo"
fi
$sudo_cmd apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends libopenblas0
