#!/usr/bin/env bash
# drift-check.sh STACK REPORT: `pulumi preview --refresh --expect-no-changes` for STACK with the
# read-only identity. Writes the (ANSI-free) preview output to REPORT and the step output
# `drift` = true | false. State is never written: preview --refresh refreshes in memory only.
# Exit 0 for "clean" and "drift"; non-zero only when the preview itself failed, so a broken
# run is never mistaken for drift (or for its absence).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stack="${1:?usage: drift-check.sh STACK REPORT}"
report="${2:?usage: drift-check.sh STACK REPORT}"
require_stack "$stack"
require_backend

raw="$(mktemp)"
rc=0
pulumi preview --stack "$stack" --refresh --expect-no-changes --diff --non-interactive 2>&1 |
  tee "$raw" || rc=$?
strip_ansi "$raw" >"$report"
rm -f "$raw"

# Pulumi's message when --expect-no-changes finds changes ("... expected but ..." in older CLIs,
# "... expected for <operation> but ..." in newer ones); any other failure is an error.
if ((rc == 0)); then
  drift=false
elif grep -Eq 'no changes were expected( for [[:alnum:] _-]+)? but changes were proposed' "$report"; then
  drift=true
else
  summary "## Drift check: ${stack}" "" "**The preview failed (exit ${rc}); drift unknown.**"
  exit "$rc"
fi

set_output drift "$drift"
if [[ "$drift" == true ]]; then
  summary "## Drift check: ${stack}" "" "**Drift detected.** Tracked in the \`drift\` issue for ${stack}."
else
  summary "## Drift check: ${stack}" "" "No drift."
fi
