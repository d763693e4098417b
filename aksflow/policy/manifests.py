"""Plain Kubernetes manifests as policy resources, each with its file and line.

Files are read with the one YAML reader (:mod:`aksflow.yamlio`): a multi-document stream in one
linear pass, every document with the line its content starts on; ``.json`` files as JSON.
Booleans are read as kubectl reads them (``privileged: on`` is true), so the gate sees what the
cluster would get.
A file that holds no Kubernetes object at all (``kustomization.yaml``, ``Chart.yaml``, a values
file) is skipped and reported through ``on_skip``; a file that mixes objects with other
documents, or is not valid YAML, is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from aksflow import wellformed, yamlio
from aksflow.errors import ConfigError

from .engine import Resource
from .gate import Location

SUFFIXES = (".yaml", ".yml", ".json")
"""What a directory scan reads, compared case-insensitively. Files named explicitly are read
whatever their suffix."""
# Kinds with an apiVersion and kind that are build inputs, never objects of a cluster.
_NOT_CLUSTER_GROUPS = ("kustomize.config.k8s.io/",)


def type_token(api_version: str, kind: str) -> str:
    """pulumi-kubernetes type token: ``v1`` Service -> ``kubernetes:core/v1:Service``."""
    gv = f"core/{api_version}" if "/" not in api_version else api_version
    return f"kubernetes:{gv}:{kind}"


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """YAML/JSON files under the given files and directories, sorted."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
            )
        elif path.is_file():
            yield path
        else:
            raise ConfigError(f"{path}: no such manifest file or directory")


def _is_object(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    api_version, kind = value.get("apiVersion"), value.get("kind")
    return (
        isinstance(api_version, str)
        and isinstance(kind, str)
        and bool(api_version and kind)
        and not api_version.startswith(_NOT_CLUSTER_GROUPS)
    )


def _documents(path: Path, source: str) -> list[yamlio.Document]:
    if path.suffix.lower() == ".json":
        value = yamlio.read_json(path, source=source, limits=yamlio.MANIFEST_LIMITS)
        return [yamlio.Document(value, 1)]
    documents = yamlio.read_documents(
        path, source=source, limits=yamlio.MANIFEST_LIMITS, kubernetes=True
    )
    return list(documents)


def load_objects(path: Path, source: str | None = None) -> list[tuple[dict[str, Any], int]]:
    """(object, line) for every Kubernetes object in a file, List kinds expanded.

    Empty when the file holds no Kubernetes object; an error when it mixes objects with
    documents that are not objects.
    """
    name = source or str(path)
    documents = [d for d in _documents(path, name) if d.value is not None]
    if not any(_is_object(d.value) for d in documents):
        return []
    objects: list[tuple[dict[str, Any], int]] = []
    for document in documents:
        obj = document.value
        if not _is_object(obj):
            raise ConfigError(
                f"{name}:{document.line}: not a Kubernetes object (apiVersion and kind "
                "missing), in a file that holds Kubernetes objects"
            )
        items = obj.get("items")
        if obj["kind"].endswith("List") and isinstance(items, list):
            objects.extend((item, document.line) for item in items if _is_object(item))
        else:
            objects.append((obj, document.line))
    return objects


def resources_from_manifests(
    paths: Iterable[Path],
    *,
    stack: str = "manifests",
    root: Path | None = None,
    on_skip: Callable[[str], None] | None = None,
) -> tuple[list[Resource], dict[str, Location]]:
    """Resources (inputs = the manifest) and their file/line locations.

    ``on_skip`` receives the name of every file skipped because it holds no Kubernetes object.
    """
    resources: list[Resource] = []
    locations: dict[str, Location] = {}
    seen: dict[str, int] = {}
    for file in iter_files(paths):
        rel = _relative(file, root)
        objects = load_objects(file, rel)
        if not objects and on_skip is not None:
            on_skip(rel)
        for position, (obj, line) in enumerate(objects, start=1):
            wellformed.check_object(obj, where=f"{rel}:{line}", position=f"#{position}")
            token = type_token(str(obj["apiVersion"]), str(obj["kind"]))
            raw_meta = obj.get("metadata")
            meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
            name = str(meta.get("name", "unnamed"))
            ns = meta.get("namespace")
            logical = f"{ns}/{name}" if ns else name
            urn = f"urn:pulumi:{stack}::aksflow::{token}::{logical}"
            if urn in seen:  # same object twice: keep both, distinguishably
                seen[urn] += 1
                urn = f"{urn}#{seen[urn]}"
            else:
                seen[urn] = 0
            resources.append(Resource(urn=urn, type=token, name=logical, inputs=obj, outputs=obj))
            locations[urn] = Location(rel, line)
    return resources, locations


def _relative(file: Path, root: Path | None) -> str:
    base = (root or Path.cwd()).resolve()
    resolved = file.resolve()
    try:
        return resolved.relative_to(base).as_posix()
    except ValueError:
        return resolved.as_posix()
