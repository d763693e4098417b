#!/usr/bin/env bash
# apply-stack.sh STACK APPROVED_PLAN: apply STACK only if it still plans what was approved.
# Runs behind the environment's required reviewers with the deploy identity: previews again
# (`pulumi preview --refresh --json`, same policy pack and config as the plan job), compares the
# resource operations with APPROVED_PLAN (`aksflow plan check`) and REFUSES to apply when they
# differ (another deploy, drift or a state change since the approval). Then
# `pulumi up --refresh --skip-preview` with the same pack and config.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stack="${1:?usage: apply-stack.sh STACK APPROVED_PLAN}"
approved="${2:?usage: apply-stack.sh STACK APPROVED_PLAN}"
require_stack "$stack"
require_backend
[[ -f "$approved" && ! -L "$approved" ]] || die "${approved}: the approved plan is missing"
config="$(policy_config "$stack")"
policy_args=(--policy-pack policies --policy-pack-config "$config")

current="$(mktemp)"
errors="$(mktemp)"
check="$(mktemp)"
up_log="$(mktemp)"
trap 'rm -f "$current" "$errors" "$check" "$up_log"' EXIT

summary "## Apply ${stack}" "" "Policy config \`${config}\`." ""

rc=0
pulumi preview --stack "$stack" --refresh --json --non-interactive "${policy_args[@]}" \
  >"$current" 2>"$errors" || rc=$?
if ((rc != 0)); then
  summary "**The preview before apply failed (exit ${rc}); \`pulumi up\` was not run.**" "" \
    "$(fenced_tail "$errors" 30000)"
  exit "$rc"
fi

rc=0
.venv/bin/aksflow plan check "$approved" "$current" >"$check" 2>&1 || rc=$?
if ((rc != 0)); then
  summary "**Refused: the plan changed since it was approved; \`pulumi up\` was not run.**" "" \
    "$(fenced_tail "$check" 30000)" "" "Re-run the deploy to plan and approve again."
  exit 1
fi
summary "The preview matches the approved plan." ""

rc=0
pulumi up --stack "$stack" --refresh --yes --skip-preview --non-interactive "${policy_args[@]}" 2>&1 |
  tee "$up_log" || rc=$?
summary "<details><summary>pulumi up (exit ${rc})</summary>" "" \
  "$(fenced_tail "$up_log" 30000)" "" "</details>" ""
if ((rc == 0)); then
  summary "**${stack} deployed.**"
else
  summary "**\`pulumi up\` failed (exit ${rc}).** The stack may be partially updated: see docs/runbook.md."
fi
exit "$rc"
