#!/usr/bin/env bash
# resolve-deploy.sh: what a deploy run deploys. A push deploys the pushed commit (GITHUB_SHA);
# a manual run (rollback or redeploy) deploys REF, which must be a full commit SHA already on
# main, limited to TARGET (an environment or a stack; empty = all).
#
# Inputs (env): GITHUB_SHA, REF (optional, 40 hex), TARGET (optional). Needs the full history
# (refs/remotes/origin/main) and .venv with aksflow.
# Outputs: `sha` (the commit) and `stacks`: `aksflow stacks --json --group` of that commit, a map
# environment -> matrix entries with every environment present, in promotion order.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ref="${REF:-}"
target="${TARGET:-}"
if [[ -n "$ref" ]]; then
  [[ "$ref" =~ ^[0-9a-f]{40}$ ]] || die "ref must be a full 40-character commit SHA, got '${ref}'"
  sha="$ref"
else
  sha="${GITHUB_SHA:?GITHUB_SHA is not set}"
fi
[[ -z "$target" || "$target" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$ ]] ||
  die "target must be an environment or stack name, got '${target}'"

git cat-file -e "${sha}^{commit}" 2>/dev/null || die "commit ${sha} does not exist in this repository"
git merge-base --is-ancestor "$sha" refs/remotes/origin/main ||
  die "commit ${sha} is not on main: only commits already merged to main are deployed"

# List the stacks of the commit being deployed, with the tool of this run.
tree="$(mktemp -d)/src"
git worktree add --quiet --detach "$tree" "$sha"
trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
[[ -f "$tree/environments.yaml" ]] ||
  die "commit ${sha} predates environments.yaml; deploy it from a workflow of its own time"
args=(--json --group --project-dir "$tree")
if [[ -n "$target" ]]; then
  args+=(--only "$target")
fi
stacks="$(.venv/bin/aksflow stacks "${args[@]}")" || die "aksflow stacks failed at ${sha}"

set_output sha "$sha"
set_output stacks "$stacks"
summary "## Deploy plan" "" "Commit \`${sha}\`${target:+, target \`${target}\`}." "" \
  "$(jq -r 'to_entries[] | "- \(.key): \(if (.value | length) == 0 then "nothing" else ([.value[].stack] | join(", ")) end)"' <<<"$stacks")"
