#!/usr/bin/env bash
# affected-stacks.sh DIFF_JSON: print a JSON array of the stacks whose plan changed.
#
# DIFF_JSON is out/pr/diff.json from `aksflow diff`. Accepted shapes for its "stacks" field:
#   a list  [{"stack": "dev", "changed": true, ...}, ...]
#   a map   {"dev": {"changed": true, ...}, ...}
# A stack counts as changed when it says so ("changed" / "has_changes"), or when its
# "summary"/"counts" object has a non-zero count other than same/unchanged.
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
  def changed: (.changed // .has_changes // .hasChanges // (counted > 0)) == true;
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
