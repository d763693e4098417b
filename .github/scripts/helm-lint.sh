#!/usr/bin/env bash
# helm-lint.sh: `helm lint` every local chart under apps/ (apps/<app>/chart/Chart.yaml).
# Vendored .tgz charts are linted too. No charts is not an error.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shopt -s nullglob
charts=(apps/*/chart/Chart.yaml apps/*/charts/*.tgz apps/*/*.tgz)
if ((${#charts[@]} == 0)); then
  log "helm-lint: no charts under apps/"
  exit 0
fi
failed=0
for chart in "${charts[@]}"; do
  target="$chart"
  [[ "$chart" == */Chart.yaml ]] && target="$(dirname "$chart")"
  log "helm lint ${target}"
  helm lint "$target" || failed=1
done
exit "$failed"
