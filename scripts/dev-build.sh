#!/usr/bin/env bash
# Rebuild pyalign._core in place (development). Serialised with a lock so that
# several shells can call it at once; uses ccache when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v ccache >/dev/null 2>&1; then
  export CC="ccache gcc" CXX="ccache g++"
fi
exec flock /tmp/pyalign-dev-build.lock python setup.py -q build_ext --inplace "$@"
