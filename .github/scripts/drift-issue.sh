#!/usr/bin/env bash
# drift-issue.sh STACK DRIFT REPORT: keep exactly one open issue per drifting stack.
#   DRIFT=true:  open "Drift detected: STACK" (label `drift`), or update its body if open.
#   DRIFT=false: close that issue, if open, with a comment pointing at the clean run.
# Needs GH_TOKEN (issues: write) and GITHUB_REPOSITORY; RUN_URL links the run.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stack="${1:?usage: drift-issue.sh STACK DRIFT REPORT}"
drift="${2:?usage: drift-issue.sh STACK DRIFT REPORT}"
report="${3:?usage: drift-issue.sh STACK DRIFT REPORT}"
require_stack "$stack"
[[ "$drift" == true || "$drift" == false ]] || die "DRIFT must be true or false, got '${drift}'"
: "${GITHUB_REPOSITORY:?}" "${GH_TOKEN:?GH_TOKEN is required}"
run_url="${RUN_URL:-}"

label=drift
title="Drift detected: ${stack}"
repo=(--repo "$GITHUB_REPOSITORY")

# Exact title match over all open drift issues (the search index lags; the list does not).
existing="$(gh issue list "${repo[@]}" --state open --label "$label" --limit 200 \
  --json number,title --jq ".[] | select(.title == \"${title}\") | .number" | head -n 1)"

if [[ "$drift" == false ]]; then
  if [[ -n "$existing" ]]; then
    gh issue close "$existing" "${repo[@]}" --reason completed \
      --comment "No drift on \`${stack}\` any more (${run_url:-scheduled check}). Closing."
    log "closed #${existing}"
  else
    log "no drift on ${stack} and no open issue"
  fi
  exit 0
fi

body="$(mktemp)"
trap 'rm -f "$body"' EXIT
{
  printf '<!-- aksflow:drift:%s -->\n' "$stack"
  # shellcheck disable=SC2016 # literal backticks: markdown code, not command substitution
  printf 'The scheduled `pulumi preview --refresh --expect-no-changes` of **%s** found changes\n' "$stack"
  printf 'between the Pulumi state and Azure (last seen: %s).\n\n' "${run_url:-this run}"
  printf 'Remediate with a reviewed change: adopt the change in code, or re-apply the code through\n'
  printf 'the deploy workflow. This issue is updated on every run and closed when the drift is gone.\n\n'
  printf '<details><summary>Preview output</summary>\n\n'
  fenced_tail "$report" "$((AKSFLOW_BODY_LIMIT - 2000))"
  printf '\n</details>\n'
} >"$body"

if [[ -n "$existing" ]]; then
  gh issue edit "$existing" "${repo[@]}" --body-file "$body"
  log "updated #${existing}"
else
  gh label create "$label" "${repo[@]}" --color B60205 \
    --description "Infrastructure drift found by the drift workflow" --force
  gh issue create "${repo[@]}" --title "$title" --label "$label" --body-file "$body"
fi
