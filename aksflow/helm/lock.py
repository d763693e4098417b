"""Vendored chart lock files: which archive a remote chart was pinned to, and its sha256.

``aksflow charts vendor`` writes ``apps/<app>/chart.lock.yaml`` next to the archive it stores
under ``apps/<app>/charts/``; :func:`verify_archive` is what every reader (the app loader, the
renderer) calls before trusting the archive. Stdlib and PyYAML only: the Pulumi program imports it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from aksflow.errors import RenderError
from aksflow.yamlio import yaml_error

LOCK_FILE = "chart.lock.yaml"
VENDOR_DIR = "charts"
_LOCK_KEYS = ("repository", "name", "version", "archive", "digest")


@dataclass(frozen=True)
class ChartLock:
    """What ``chart.lock.yaml`` records for one app's remote chart."""

    repository: str
    name: str
    version: str
    archive: str  # relative to the app directory, e.g. "charts/nginx-1.2.3.tgz"
    digest: str  # "sha256:<hex>" of the archive bytes

    def to_yaml(self) -> str:
        """The lock file's text (keys in a fixed order, so re-vendoring is diff-free)."""
        body = {key: getattr(self, key) for key in _LOCK_KEYS}
        header = "# Written by `aksflow charts vendor`: do not edit by hand.\n"
        return header + yaml.safe_dump(body, sort_keys=False)


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``, the form lock files and OCI registries use."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def lock_path(app_dir: Path) -> Path:
    """Where an app's lock file lives."""
    return app_dir / LOCK_FILE


def read_lock(app_dir: Path) -> ChartLock | None:
    """The app's lock, or ``None`` when it has none; malformed locks raise :class:`RenderError`."""
    path = lock_path(app_dir)
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RenderError(f"{path}: unreadable lock file: {exc}") from exc
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RenderError(yaml_error(text, str(path), exc)) from None
    if not isinstance(data, dict):
        raise RenderError(f"{path}: expected a mapping with keys {', '.join(_LOCK_KEYS)}")
    for key in _LOCK_KEYS:
        if not isinstance(data.get(key), str) or not data[key]:
            raise RenderError(
                f"{path}: {key}: missing or not a string; re-run `aksflow charts vendor`"
            )
    if not str(data["digest"]).startswith("sha256:"):
        raise RenderError(f"{path}: digest: must be 'sha256:<hex>', got {data['digest']!r}")
    return ChartLock(**{key: str(data[key]) for key in _LOCK_KEYS})


def write_lock(app_dir: Path, lock: ChartLock) -> Path:
    """Write the lock file atomically (a crash never leaves half a lock)."""
    path = lock_path(app_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(lock.to_yaml(), encoding="utf-8")
    tmp.replace(path)
    return path


def verify_archive(app_dir: Path, lock: ChartLock, *, label: str) -> Path:
    """The locked archive's path once its bytes match the recorded digest.

    ``label`` prefixes messages (e.g. ``app web (prod)``). A missing archive or a digest
    mismatch raises :class:`RenderError`: a tampered or half-written chart never renders.
    """
    archive = app_dir / lock.archive
    where = lock_path(app_dir)
    if not archive.is_file():
        raise RenderError(
            f"{label}: missing chart {archive} (recorded in {where}: archive); "
            "run `aksflow charts vendor`"
        )
    actual = sha256_digest(archive.read_bytes())
    if actual != lock.digest:
        raise RenderError(
            f"{label}: digest mismatch for chart {archive}: {where} records {lock.digest}, "
            f"the file is {actual}; re-run `aksflow charts vendor` or restore the archive"
        )
    return archive


def lock_for_archive(archive: Path) -> tuple[Path, ChartLock] | None:
    """The (app directory, lock) that vendored ``archive``, or ``None`` if no lock names it.

    Archives live in ``<app>/charts/``, the lock in ``<app>/``.
    """
    app_dir = archive.parent.parent if archive.parent.name == VENDOR_DIR else archive.parent
    lock = read_lock(app_dir)
    if lock is None or (app_dir / lock.archive).resolve() != archive.resolve():
        return None
    return app_dir, lock
