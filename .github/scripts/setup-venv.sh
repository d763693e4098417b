#!/usr/bin/env bash
# Create or reuse .venv from the lock files (the Makefile's install recipes).
# VENV_SET=runtime (default) installs requirements.lock, what previews and deploys need;
# VENV_SET=dev adds requirements-dev.lock, the linters and the test runner.
# With CACHE_HIT=true the restored .venv was built from the same lock files and Python
# patch version (all are in the cache key), so only the Makefile stamps need refreshing:
# checkout gives every file a new mtime and make would otherwise reinstall.
set -euo pipefail

case "${VENV_SET:-runtime}" in
  runtime) stamps=(.venv/.installed) ;;
  dev) stamps=(.venv/.installed .venv/.dev-installed) ;;
  *)
    printf '::error::VENV_SET must be runtime or dev, not %s\n' "${VENV_SET}" >&2
    exit 1
    ;;
esac
target="${stamps[-1]}"

if [[ "${CACHE_HIT:-false}" == "true" && -x .venv/bin/python && -f "$target" ]] &&
  .venv/bin/python -c 'import aksflow' 2>/dev/null; then
  # In dependency order, so make sees the dev stamp newer than the runtime one.
  for stamp in "${stamps[@]}"; do touch "$stamp"; done
  echo "Reusing cached .venv"
else
  rm -rf .venv
  make "$target"
fi
.venv/bin/python --version
