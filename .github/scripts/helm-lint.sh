#!/usr/bin/env bash
# helm-lint.sh: `helm lint` every chart under apps/: local charts (apps/<app>/chart) with their
# default values and once per environment with apps/<app>/values-<env>.yaml on top (that is how
# the program layers them, so the values schema is checked per environment), and vendored .tgz
# charts as they are. No charts is not an error.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shopt -s nullglob
failed=0
linted=0
lint() {
  linted=$((linted + 1))
  log "helm lint $*"
  helm lint "$@" || failed=1
}

for chart_yaml in apps/*/chart/Chart.yaml; do
  chart="$(dirname "$chart_yaml")"
  app_dir="$(dirname "$chart")"
  lint "$chart"
  # Every environment's values file (aksflow checks their names against environments.yaml).
  for values in "${app_dir}"/values-*.yaml "${app_dir}"/values-*.yml; do
    lint "$chart" --values "$values"
  done
done
for tgz in apps/*/*.tgz apps/*/charts/*.tgz; do
  lint "$tgz"
done

((linted > 0)) || log "helm-lint: no charts under apps/"
exit "$failed"
