"""``aksflow charts vendor``: download pinned remote charts into the repository, record digests.

For each app whose ``app.yaml`` names a remote chart (``repository``, ``name``, exact
``version``), the archive is fetched once, checked, stored as ``apps/<app>/charts/<name>-<version>
.tgz`` and its sha256 recorded in ``apps/<app>/chart.lock.yaml``. Previews then never touch the
network: they read the archive and refuse it if its bytes no longer match the lock.

- Helm repositories (``http(s)://``): ``index.yaml`` is fetched, the entry for the exact version
  found, its first URL downloaded (relative URLs resolved against the repository) and the index's
  ``digest`` (sha256 hex), when present, must match the download.
- OCI registries (``oci://host/path``): the OCI distribution API is used directly: the manifest
  for tag ``<version>`` (``+`` becomes ``_``, as Helm does), then the blob of its Helm chart layer,
  whose sha256 must equal the layer digest. Anonymous bearer tokens are fetched when the registry
  asks for them (``WWW-Authenticate: Bearer``); credentials are not supported. ``localhost`` and
  ``127.0.0.1`` registries are reached over plain HTTP (like ``helm --plain-http``), others HTTPS.

Every archive must hold ``<name>/Chart.yaml`` with the pinned name and version.
"""

from __future__ import annotations

import io
import re
import tarfile
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from aksflow.errors import ConfigError, RenderError
from aksflow.helm.declarations import DECLARATION, AppDeclaration, load_declarations
from aksflow.helm.lock import VENDOR_DIR, ChartLock, read_lock, sha256_digest, write_lock
from aksflow.yamlio import yaml_error

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
_PLAIN_HTTP_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_BEARER_PARAM = re.compile(r'(\w+)="([^"]*)"')
TIMEOUT = httpx.Timeout(30.0)


@dataclass(frozen=True)
class VendorResult:
    """What happened to one app's chart."""

    app: str
    lock: ChartLock
    action: str  # "downloaded" or "up to date"


def vendor_charts(
    project_dir: Path,
    *,
    apps: Sequence[str] = (),
    force: bool = False,
    client: httpx.Client | None = None,
) -> list[VendorResult]:
    """Vendor every remote chart (or only ``apps``); already-vendored pins are left alone."""
    declarations = load_declarations(project_dir)
    known = {d.app for d in declarations}
    unknown = sorted(set(apps) - known)
    if unknown:
        raise ConfigError(
            f"--app: no app {unknown[0]!r} under apps/ (known: {', '.join(sorted(known))})"
        )
    selected = [d for d in declarations if d.chart.remote and (not apps or d.app in apps)]
    own_client = client is None
    http = client or httpx.Client(timeout=TIMEOUT, follow_redirects=True)
    try:
        return [_vendor_one(project_dir, d, http, force=force) for d in selected]
    finally:
        if own_client:
            http.close()


def _vendor_one(
    project_dir: Path, declaration: AppDeclaration, http: httpx.Client, *, force: bool
) -> VendorResult:
    source = declaration.chart
    assert source.repository and source.name and source.version
    app_dir = declaration.directory
    current = read_lock(app_dir)
    if not force and current is not None and _still_valid(app_dir, current, declaration):
        return VendorResult(declaration.app, current, "up to date")
    where = f"{_relative(project_dir, app_dir / DECLARATION)}: chart"
    if source.repository.startswith("oci://"):
        data = _fetch_oci(http, source.repository, source.name, source.version, where)
    else:
        data = _fetch_from_index(http, source.repository, source.name, source.version, where)
    _check_archive(data, source.name, source.version, where)
    archive = f"{VENDOR_DIR}/{source.name}-{source.version}.tgz"
    target = app_dir / archive
    target.parent.mkdir(parents=True, exist_ok=True)
    # The vendor directory holds exactly the pinned archive: stale versions go.
    for stale in target.parent.glob("*.tgz"):
        if stale.name != target.name:
            stale.unlink()
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    lock = ChartLock(
        repository=source.repository,
        name=source.name,
        version=source.version,
        archive=archive,
        digest=sha256_digest(data),
    )
    write_lock(app_dir, lock)
    return VendorResult(declaration.app, lock, "downloaded")


def _still_valid(app_dir: Path, lock: ChartLock, declaration: AppDeclaration) -> bool:
    source = declaration.chart
    if (lock.repository, lock.name, lock.version) != (
        source.repository,
        source.name,
        source.version,
    ):
        return False
    archive = app_dir / lock.archive
    return archive.is_file() and sha256_digest(archive.read_bytes()) == lock.digest


def _fetch_from_index(
    http: httpx.Client, repository: str, name: str, version: str, where: str
) -> bytes:
    index_url = f"{repository}/index.yaml"
    content = _get(http, index_url, where).content
    try:
        index = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        raise RenderError(f"{where}: {yaml_error(content, index_url, exc)}") from None
    entries = (index or {}).get("entries") if isinstance(index, dict) else None
    if not isinstance(entries, dict) or name not in entries:
        raise RenderError(f"{where}.name: no chart {name!r} in {index_url}")
    versions = [e for e in entries[name] or [] if isinstance(e, dict)]
    entry = next(
        (e for e in versions if str(e.get("version", "")).lstrip("v") == version.lstrip("v")),
        None,
    )
    if entry is None:
        available = ", ".join(str(e.get("version")) for e in versions[:10]) or "none"
        raise RenderError(
            f"{where}.version: {name} {version} is not in {index_url} (available: {available})"
        )
    urls = entry.get("urls") or []
    if not urls:
        raise RenderError(f"{where}: {index_url} lists no download URL for {name} {version}")
    url = urllib.parse.urljoin(f"{repository}/", str(urls[0]))
    data = _get(http, url, where).content
    expected = entry.get("digest")
    if expected:
        actual = sha256_digest(data)
        if actual.removeprefix("sha256:") != str(expected).removeprefix("sha256:"):
            raise RenderError(
                f"{where}: digest mismatch for {url}: {index_url} says sha256:{expected}, "
                f"the download is {actual}"
            )
    return data


def _fetch_oci(http: httpx.Client, repository: str, name: str, version: str, where: str) -> bytes:
    reference = repository.removeprefix("oci://").rstrip("/")
    host, _, path = reference.partition("/")
    scheme = (
        "http" if host.split(":")[0] in _PLAIN_HTTP_HOSTS or host.startswith("[::1]") else "https"
    )
    base = f"{scheme}://{host}/v2/{path + '/' if path else ''}{name}"
    tag = version.replace("+", "_")
    response = _get(http, f"{base}/manifests/{tag}", where, accept=OCI_MANIFEST)
    try:
        manifest: Any = response.json()
    except ValueError:
        raise RenderError(f"{where}: {base}/manifests/{tag} is not JSON") from None
    layers = [
        layer
        for layer in (manifest.get("layers") or [] if isinstance(manifest, dict) else [])
        if isinstance(layer, dict) and layer.get("mediaType") == HELM_CHART_LAYER
    ]
    if len(layers) != 1:
        raise RenderError(
            f"{where}: {repository}/{name}:{tag} is not a Helm chart "
            f"(expected one {HELM_CHART_LAYER} layer, found {len(layers)})"
        )
    digest = str(layers[0].get("digest", ""))
    data = _get(http, f"{base}/blobs/{digest}", where).content
    if sha256_digest(data) != digest:
        raise RenderError(
            f"{where}: digest mismatch for {repository}/{name}:{tag}: the manifest says "
            f"{digest}, the blob is {sha256_digest(data)}"
        )
    return data


def _get(http: httpx.Client, url: str, where: str, accept: str | None = None) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    try:
        response = http.get(url, headers=headers)
        if (
            response.status_code == 401
            and "bearer" in response.headers.get("www-authenticate", "").lower()
        ):
            token = _anonymous_token(http, response.headers["www-authenticate"], where)
            response = http.get(url, headers={**headers, "Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        raise RenderError(f"{where}: cannot fetch {url}: {exc}") from None
    if response.status_code != 200:
        raise RenderError(f"{where}: GET {url} returned HTTP {response.status_code}")
    return response


def _anonymous_token(http: httpx.Client, challenge: str, where: str) -> str:
    params = dict(_BEARER_PARAM.findall(challenge))
    realm = params.pop("realm", "")
    if not realm:
        raise RenderError(f"{where}: the registry's bearer challenge names no realm")
    response = http.get(realm, params=params)
    if response.status_code != 200:
        raise RenderError(
            f"{where}: anonymous token request to {realm} returned HTTP {response.status_code} "
            "(registries that need credentials are not supported)"
        )
    body = response.json()
    token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
    if not token:
        raise RenderError(f"{where}: the token endpoint {realm} returned no token")
    return str(token)


def _check_archive(data: bytes, name: str, version: str, where: str) -> None:
    """The download must be a chart archive of exactly the pinned name and version."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            member = archive.extractfile(f"{name}/Chart.yaml")
            text = member.read() if member else b""
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise RenderError(
            f"{where}: the download is not a chart archive holding {name}/Chart.yaml: {exc}"
        ) from None
    try:
        metadata = yaml.safe_load(text) if text else None
    except yaml.YAMLError as exc:
        located = yaml_error(text, f"{name}/Chart.yaml in the download", exc)
        raise RenderError(f"{where}: {located}") from None
    if not isinstance(metadata, dict):
        raise RenderError(f"{where}: {name}/Chart.yaml in the download is not a mapping")
    found = (str(metadata.get("name")), str(metadata.get("version")))
    if found != (name, version):
        raise RenderError(
            f"{where}: the download holds {found[0]} {found[1]}, not the pinned {name} {version}"
        )


def _relative(project_dir: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
