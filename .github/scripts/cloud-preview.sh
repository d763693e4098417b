#!/usr/bin/env bash
# cloud-preview.sh STACK: the real `pulumi preview` of one stack with the policy pack, run
# with the read-only preview identity for pull requests from this repository.
# The output goes to the job summary only: a real preview can show property values that have
# no place in a PR comment.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stack="${1:?usage: cloud-preview.sh STACK}"
require_stack "$stack"
require_backend
config="$(policy_config "$stack")"

log_file="$(mktemp)"
rc=0
pulumi preview --stack "$stack" --diff --refresh --non-interactive \
  --policy-pack policies --policy-pack-config "$config" 2>&1 | tee "$log_file" || rc=$?

summary "## \`pulumi preview\` of ${stack} (read-only identity)" ""
if ((rc == 0)); then
  summary "Preview succeeded; policy pack run with \`${config}\`." ""
else
  summary "**Preview failed (exit ${rc})**: a policy violation or an error, see below." ""
fi
summary "<details><summary>Preview output</summary>" "" "$(fenced_tail "$log_file" "$AKSFLOW_BODY_LIMIT")" "" "</details>"
rm -f "$log_file"
exit "$rc"
