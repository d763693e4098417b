#!/usr/bin/env bash
# pulumi-version.sh: print `version=X.Y.Z` (for $GITHUB_OUTPUT), the Pulumi CLI version every job
# installs. It is the `pulumi` SDK's version from requirements.lock: one pin for both, the CLI
# and the SDK move together (the state manifest records it), and no workflow repeats it.
# Fails, rather than letting the action fall back to the latest CLI, when the lock has no pin.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lock="${1:-requirements.lock}"
[[ -f "$lock" ]] || die "${lock}: not found"
version="$(sed -n 's/^pulumi==\([^[:space:];]*\).*$/\1/p' "$lock")"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
  die "${lock}: pulumi: no exact X.Y.Z pin (found '${version}')"
printf 'version=%s\n' "$version"
