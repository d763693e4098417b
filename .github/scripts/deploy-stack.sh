#!/usr/bin/env bash
# deploy-stack.sh STACK: re-preview STACK against Azure with the policy pack (the approver sees
# this preview in the job summary), then `pulumi up` with the same pack and config.
# Runs after policy-gate.sh, with the environment's deploy identity.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stack="${1:?usage: deploy-stack.sh STACK}"
require_stack "$stack"
require_backend
config="$(policy_config "$stack")"
policy_args=(--policy-pack policies --policy-pack-config "$config")

preview_log="$(mktemp)"
up_log="$(mktemp)"
trap 'rm -f "$preview_log" "$up_log"' EXIT

summary "## Deploy ${stack}" "" "Commit \`${GITHUB_SHA:-unknown}\`, policy config \`${config}\`." ""

rc=0
pulumi preview --stack "$stack" --diff --refresh --non-interactive "${policy_args[@]}" 2>&1 |
  tee "$preview_log" || rc=$?
summary "<details><summary>pulumi preview (exit ${rc})</summary>" "" \
  "$(fenced_tail "$preview_log" 30000)" "" "</details>" ""
if ((rc != 0)); then
  summary "**Preview failed; \`pulumi up\` was not run.**"
  exit "$rc"
fi

rc=0
pulumi up --stack "$stack" --yes --skip-preview --non-interactive "${policy_args[@]}" 2>&1 |
  tee "$up_log" || rc=$?
summary "<details><summary>pulumi up (exit ${rc})</summary>" "" \
  "$(fenced_tail "$up_log" 30000)" "" "</details>" ""
if ((rc == 0)); then
  summary "**${stack} deployed.**"
else
  summary "**\`pulumi up\` failed (exit ${rc}).** The stack may be partially updated; see the log."
fi
exit "$rc"
