#!/usr/bin/env bash
# run-diff.sh: the credential-free PR preview. Runs `aksflow diff` between the PR's base and
# the merge commit, stores the PR number beside the outputs for the comment workflow, adds the
# verdict to the job summary (aksflow diff writes the comment there) and publishes the affected
# stacks (`aksflow stacks --affected`) as the cloud-preview matrix.
#
# Inputs (env): BASE_SHA, HEAD_SHA (40-hex commits), PR_NUMBER (integer); the PR's checkout
# in pr/ (PR_CHECKOUT overrides; the working directory when it holds no project).
# Outputs: out/pr/{comment.md,diff.json,pr-number,exit-code}; step outputs `stacks`, `exit-code`.
# Always exits 0 so the artifact is uploaded; the workflow fails on `exit-code` afterwards.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "${BASE_SHA:-}" =~ ^[0-9a-f]{40}$ ]] || die "BASE_SHA is not a commit SHA"
[[ "${HEAD_SHA:-}" =~ ^[0-9a-f]{40}$ ]] || die "HEAD_SHA is not a commit SHA"
[[ "${PR_NUMBER:-}" =~ ^[1-9][0-9]{0,9}$ ]] || die "PR_NUMBER is not a positive integer"

out=out/pr
mkdir -p "$out"

rc=0
# .venv and this script come from the base's checkout (the working directory); the PR is in
# pr/, a clone holding both commits. aksflow diff previews each revision in its own process and
# lets the base revision's aksflow and pack decide the verdict.
project="${PR_CHECKOUT:-pr}"
[[ -f "$project/Pulumi.yaml" ]] || project=.
.venv/bin/aksflow diff --base "$BASE_SHA" --head "$HEAD_SHA" --project-dir "$project" || rc=$?

# Data for pr-comment.yml, which runs with a write token and must not trust anything else.
printf '%s\n' "$PR_NUMBER" >"$out/pr-number"
printf '%s\n' "$rc" >"$out/exit-code"

# A failed diff still gets a comment, so the PR never keeps showing an outdated preview.
if [[ ! -f "$out/comment.md" ]]; then
  {
    printf '<!-- aksflow:preview -->\n'
    printf '### aksflow preview failed\n\n'
    # shellcheck disable=SC2016 # literal backticks: markdown code, not command substitution
    printf '`aksflow diff` exited %s before writing its report; the job log has the error.\n' "$rc"
  } >"$out/comment.md"
fi

case "$rc" in
  0) verdict="no mandatory policy violation" ;;
  1) verdict="**mandatory policy violation**" ;;
  *) verdict="**aksflow diff failed (exit ${rc})**; see the log" ;;
esac
# aksflow diff itself appends the comment to $GITHUB_STEP_SUMMARY; add only the verdict.
summary "## Offline preview (no credentials)" "" "Result: ${verdict}." ""

set_output exit-code "$rc"
# The cloud-preview matrix: the stacks whose plan changed, as `aksflow stacks` lists them (every
# stack when diff.json is missing or unreadable: fail closed). If even the listing fails, the
# head's stack files are broken and the diff already failed; no cloud preview then.
if ! stacks="$(.venv/bin/aksflow stacks --json --affected "$out/diff.json")"; then
  log "aksflow stacks failed; no cloud preview"
  stacks='[]'
fi
set_output stacks "$stacks"
