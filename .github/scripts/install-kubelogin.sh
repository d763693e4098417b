#!/usr/bin/env bash
# install-kubelogin.sh DIR: install the pinned kubelogin release into DIR, verified by SHA-256,
# and put DIR on the job's PATH. The clusters are Entra-only (local accounts disabled): the
# kubeconfig the program gives its Kubernetes provider runs `kubelogin get-token`, so every job
# that previews or applies a stack's Helm releases needs it.
# The pin below is the one place kubelogin's version lives; bump both lines together, from the
# release's kubelogin-linux-amd64.zip.sha256. KUBELOGIN_VERSION and KUBELOGIN_SHA256 override it,
# both or neither (the tests install a stand-in release that way).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly PINNED_VERSION="v0.2.19"
readonly PINNED_SHA256="ebaeff02aa899c5cae6a2b954b64fc02738185319df2570f7dc053451efa4b2f"

if [[ -n "${KUBELOGIN_VERSION:-}${KUBELOGIN_SHA256:-}" ]] &&
  [[ -z "${KUBELOGIN_VERSION:-}" || -z "${KUBELOGIN_SHA256:-}" ]]; then
  die "set KUBELOGIN_VERSION and KUBELOGIN_SHA256 together, or neither"
fi
version="${KUBELOGIN_VERSION:-$PINNED_VERSION}"
sha256="${KUBELOGIN_SHA256:-$PINNED_SHA256}"
dest="${1:?usage: install-kubelogin.sh DIR}"
[[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "KUBELOGIN_VERSION must look like v0.2.19"
[[ "$sha256" =~ ^[0-9a-f]{64}$ ]] || die "KUBELOGIN_SHA256 must be 64 hex digits"

archive="kubelogin-linux-amd64.zip"
url="https://github.com/Azure/kubelogin/releases/download/${version}/${archive}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

curl --fail --silent --show-error --location --proto '=https' --tlsv1.2 \
  --retry 3 --output "${work}/${archive}" "$url"
printf '%s  %s\n' "$sha256" "${work}/${archive}" | sha256sum --check --strict - ||
  die "${archive}: checksum mismatch"
python3 -m zipfile -e "${work}/${archive}" "${work}/unpacked"
mkdir -p "$dest"
install -m 0755 "${work}/unpacked/bin/linux_amd64/kubelogin" "${dest}/kubelogin"
log "kubelogin ${version} installed in ${dest}"
if [[ -n "${GITHUB_PATH:-}" ]]; then
  printf '%s\n' "$dest" >>"$GITHUB_PATH"
fi
