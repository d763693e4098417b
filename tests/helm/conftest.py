"""Helpers for the Helm tests: throwaway projects, charts built on the fly, chart archives."""

from __future__ import annotations

import io
import shutil
import tarfile
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    """Write dedented ``text`` to ``path``, creating parents."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def write_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def make_chart(directory: Path, name: str = "demo", version: str = "0.1.0", **files: str) -> Path:
    """A chart directory with Chart.yaml and ``files`` (relative path -> content)."""
    write(directory / "Chart.yaml", f"apiVersion: v2\nname: {name}\nversion: {version}\n")
    for relative, content in files.items():
        write(directory / relative, content)
    return directory


def package_chart(chart_dir: Path, name: str, version: str) -> bytes:
    """A ``helm package``-shaped archive: every file under ``<name>/`` in a gzipped tar."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(chart_dir.rglob("*")):
            if path.is_file():
                archive.add(path, arcname=f"{name}/{path.relative_to(chart_dir).as_posix()}")
    return buffer.getvalue()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty Pulumi project directory (Pulumi.yaml marks the root for template paths)."""
    root = tmp_path / "proj"
    write(root / "Pulumi.yaml", "name: aksflow\nruntime: python\n")
    shutil.copy(ROOT / "environments.yaml", root / "environments.yaml")
    (root / "apps").mkdir()
    return root


@pytest.fixture
def shipped_project(tmp_path: Path) -> Path:
    """A copy of the repository's apps/ in a throwaway project, safe to break."""
    root = tmp_path / "shipped"
    write(root / "Pulumi.yaml", "name: aksflow\nruntime: python\n")
    shutil.copy(ROOT / "environments.yaml", root / "environments.yaml")
    shutil.copytree(ROOT / "apps", root / "apps")
    return root
