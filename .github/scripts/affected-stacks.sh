#!/usr/bin/env bash
# affected-stacks.sh DIFF_JSON: print a JSON array of the stacks whose plan changed.
#
# DIFF_JSON is out/pr/diff.json from `aksflow diff` (aksflow/diff/model.py): "stacks" is a list
#   [{"stack": "dev", "status": "changed" | "no changes" | "new stack",
#     "counts": {"create": n, "update": n, "replace": n, "delete": n},
#     "enforcementChanges": [...], ...}, ...]
# (a map keyed by stack name is accepted too). A stack is affected when its status is not
# "no changes", any count is non-zero, or a policy's enforcement level changed for it (the real
# preview then evaluates the new level).
# Fails closed: a missing or unreadable file, or an unknown shape, selects every stack,
# so a format change never silently skips the credentialed preview.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

all_stacks() { printf '%s\n' "${AKSFLOW_STACKS[@]}" | jq -R . | jq -cs .; }

file="${1:?usage: affected-stacks.sh DIFF_JSON}"
if [[ ! -f "$file" ]]; then
  log "affected-stacks: ${file} not found; selecting every stack"
  all_stacks
  exit 0
fi

# shellcheck disable=SC2016 # a jq program, not a shell expression
filter='
  def counted: [ (.summary // .counts // {}) | to_entries[]
                 | select(.key != "same" and .key != "unchanged") | .value | numbers ]
               | add // 0;
  def changed: (.status != null and .status != "no changes")
               or counted > 0
               or ((.enforcementChanges // []) | length > 0)
               or .changed == true or .hasChanges == true;
  .stacks
  | if type == "object" then [to_entries[] | .value + {stack: (.value.stack // .key)}]
    elif type == "array" then .
    else error("stacks is neither a list nor a map") end
  | [ .[] | select(changed) | (.stack // .name) ]
  | unique'

if ! selected="$(jq -c "$filter" "$file" 2>/dev/null)"; then
  log "affected-stacks: ${file} has no readable \"stacks\" field; selecting every stack"
  all_stacks
  exit 0
fi

# Names come from a file: keep only known stacks, in deployment order.
jq -c --argjson known "$(all_stacks)" '[ $known[] as $s | select(index($s)) | $s ]' <<<"$selected"
