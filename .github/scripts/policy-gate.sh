#!/usr/bin/env bash
# policy-gate.sh STACK: the offline policy gate before a deploy. Previews STACK with the mock
# engine (no credentials), then runs the policy pack over the resulting state with the stack's
# environment config. Writes out/STACK/policy.sarif and a markdown report to the job summary.
# Exit 1 on a mandatory violation (aksflow's own exit codes pass through).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stack="${1:?usage: policy-gate.sh STACK}"
require_stack "$stack"
config="$(policy_config "$stack")"

rc=0
.venv/bin/aksflow preview --stack "$stack" --quiet || rc=$?
state="out/${stack}/state.json"
if [[ ! -f "$state" ]]; then
  summary "## Policy gate: ${stack}" "" "**Offline preview failed (exit ${rc}); nothing to analyze.**"
  exit "$((rc == 0 ? 2 : rc))"
fi

gate=0
.venv/bin/aksflow policy analyze --state "$state" --stack "$stack" --format sarif \
  >"out/${stack}/policy.sarif" || gate=$?
report="$(mktemp)"
.venv/bin/aksflow policy analyze --state "$state" --stack "$stack" --format markdown \
  >"$report" || true

summary "## Policy gate: ${stack}" "" "Config: \`${config}\`." ""
if ((gate == 0)); then
  summary "No mandatory violation." ""
else
  summary "**Gate failed (exit ${gate}).** The deploy stops here." ""
fi
summary "$(cat "$report")"
rm -f "$report"
exit "$gate"
