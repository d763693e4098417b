#!/usr/bin/env bash
# Helpers shared by the workflow scripts. Sourced, never executed.
# Everything here treats its input as data: no eval, no word splitting of values.

# Characters GitHub accepts in an issue/comment body; stay well under 65,536.
# shellcheck disable=SC2034 # read by the scripts that source this file
readonly AKSFLOW_BODY_LIMIT=60000

log() { printf '%s\n' "$*" >&2; }

die() {
  printf '::error::%s\n' "$*" >&2
  exit 1
}

# require_stack NAME: exit unless NAME is a plain name with a Pulumi.NAME.yaml beside us.
# Stacks are data (any Pulumi.<stack>.yaml); no script keeps its own list of them.
require_stack() {
  local name="$1"
  [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$ ]] || die "invalid stack name '${name}'"
  [[ -f "Pulumi.${name}.yaml" ]] || die "unknown stack '${name}': Pulumi.${name}.yaml not found"
}

# stack_field STACK FIELD: FIELD of STACK's entry in `aksflow stacks --json` (environment,
# location, policyConfig, runnerVariable): the one place a stack's environment is resolved.
stack_field() {
  local stack="$1" field="$2" listing value
  listing="$(.venv/bin/aksflow stacks --json --only "$stack")" ||
    die "aksflow stacks could not list stack '${stack}'"
  value="$(jq -r --arg s "$stack" --arg f "$field" '.[] | select(.stack == $s) | .[$f] // empty' <<<"$listing")"
  [[ -n "$value" ]] || die "unknown stack '${stack}' (not listed by aksflow stacks)"
  printf '%s\n' "$value"
}

# policy_config STACK: the policy pack config of the stack's environment (environments.yaml).
policy_config() {
  local path
  path="$(stack_field "$1" policyConfig)" || exit 1
  [[ -f "$path" ]] || die "${path}: policy config for stack '$1' is missing"
  printf '%s\n' "$path"
}

# strip_ansi FILE: print FILE without terminal colour codes.
strip_ansi() {
  sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g' "$1"
}

# fence_for FILE: a backtick fence longer than any backtick run inside FILE,
# so command output can never close the code block early.
fence_for() {
  local longest
  longest="$( (grep -o '`\+' "$1" || true) | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')"
  if ((longest < 3)); then longest=2; fi
  printf '`%.0s' $(seq 1 $((longest + 1)))
  printf '\n'
}

# fenced_tail FILE LIMIT: FILE (ANSI stripped) in a code fence, keeping the last LIMIT
# characters when it is longer (the end of Pulumi's output carries the summary).
fenced_tail() {
  local file="$1" limit="$2" clean fence
  clean="$(mktemp)"
  strip_ansi "$file" >"$clean"
  if (($(wc -c <"$clean") > limit)); then
    printf '_Output truncated to its last %s characters; the full log is in the run._\n\n' "$limit"
    tail -c "$limit" "$clean" >"${clean}.tail"
    mv "${clean}.tail" "$clean"
  fi
  fence="$(fence_for "$clean")"
  printf '%s\n' "$fence"
  cat "$clean"
  printf '\n%s\n' "$fence"
  rm -f "$clean"
}

# summary LINE...: append markdown to the job summary (stdout outside Actions).
summary() {
  if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    printf '%s\n' "$@" >>"$GITHUB_STEP_SUMMARY"
  else
    printf '%s\n' "$@"
  fi
}

# set_output NAME VALUE: a step output (stdout outside Actions). VALUE must be one line.
set_output() {
  [[ "$2" != *$'\n'* ]] || die "output $1 must be a single line"
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  else
    printf '%s=%s\n' "$1" "$2"
  fi
}

# require_backend: refuse to run Pulumi against anything but the Azure Blob state backend
# configured in the environment (a missing variable would otherwise fall back to Pulumi Cloud).
require_backend() {
  [[ "${PULUMI_BACKEND_URL:-}" == azblob://* ]] ||
    die "PULUMI_BACKEND_URL must be an azblob:// URL (set the PULUMI_BACKEND_URL variable; see docs/pipeline.md)"
  command -v pulumi >/dev/null || die "pulumi CLI not found on PATH"
}
