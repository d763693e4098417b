#!/usr/bin/env bash
# Create or reuse .venv from requirements.lock (the Makefile's install recipe).
# With CACHE_HIT=true the restored .venv was built from the same lock file and Python
# patch version (both are in the cache key), so only the Makefile stamp needs refreshing:
# checkout gives every file a new mtime and make would otherwise reinstall.
set -euo pipefail

if [[ "${CACHE_HIT:-false}" == "true" && -x .venv/bin/python && -f .venv/.installed ]] &&
  .venv/bin/python -c 'import aksflow' 2>/dev/null; then
  touch .venv/.installed
  echo "Reusing cached .venv"
else
  rm -rf .venv
  make .venv/.installed
fi
.venv/bin/python --version
