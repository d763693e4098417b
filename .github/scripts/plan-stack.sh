#!/usr/bin/env bash
# plan-stack.sh STACK PLAN: the plan an approver approves. Runs the real
# `pulumi preview --refresh --json` of STACK with the policy pack and the stack's environment
# config, using the read-only identity, writes it to PLAN (uploaded as an artifact by the
# workflow) and puts its summary (operations per resource, no property values) in the job
# summary. Exit non-zero when the preview fails: there is then nothing to approve.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stack="${1:?usage: plan-stack.sh STACK PLAN}"
plan="${2:?usage: plan-stack.sh STACK PLAN}"
require_stack "$stack"
require_backend
config="$(policy_config "$stack")"
commit="$(git rev-parse HEAD 2>/dev/null || printf '%s' "${GITHUB_SHA:-unknown}")"

errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
rc=0
pulumi preview --stack "$stack" --refresh --json --non-interactive \
  --policy-pack policies --policy-pack-config "$config" >"$plan" 2>"$errors" || rc=$?
if ((rc != 0)); then
  summary "## Plan for ${stack}" "" "**\`pulumi preview\` failed (exit ${rc}); nothing to approve.**" "" \
    "<details><summary>Errors</summary>" "" "$(fenced_tail "$errors" 30000)" "" "</details>"
  exit "$rc"
fi
.venv/bin/aksflow plan summary "$plan" --title "Plan for ${stack} (commit ${commit})" >>"${GITHUB_STEP_SUMMARY:-/dev/stdout}"
summary "" "Policy config \`${config}\`. Approving the deploy approves exactly these operations:" \
  "the apply job refuses to run if its own preview differs."
