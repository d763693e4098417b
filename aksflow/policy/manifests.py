"""Plain Kubernetes manifests as policy resources, each with its file and line.

Multi-document YAML is split with Helm's separator rule (a line starting with ``---``) so each
object's first line is known without composing node trees; each document then goes through
PyYAML's C loader when available.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from aksflow.errors import ConfigError

from .engine import Resource
from .gate import Location

try:  # the C loader is ~10x faster on large corpora
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the libyaml build
    _Loader = yaml.SafeLoader

_SEPARATOR = re.compile(r"^---(?:\s.*)?$")
_SUFFIXES = (".yaml", ".yml", ".json")


def _plain_json(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain_json(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def type_token(api_version: str, kind: str) -> str:
    """pulumi-kubernetes type token: ``v1`` Service -> ``kubernetes:core/v1:Service``."""
    gv = f"core/{api_version}" if "/" not in api_version else api_version
    return f"kubernetes:{gv}:{kind}"


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """YAML/JSON files under the given files and directories, sorted."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
        elif path.is_file():
            yield path
        else:
            raise ConfigError(f"{path}: no such manifest file or directory")


def split_documents(text: str) -> Iterator[tuple[int, str]]:
    """(1-based first line, text) of each YAML document."""
    start = 1
    buf: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if _SEPARATOR.match(line):
            if buf:
                yield start, "\n".join(buf)
            buf, start = [], number + 1
        else:
            buf.append(line)
    if buf:
        yield start, "\n".join(buf)


def _first_content_line(start: int, doc: str) -> int:
    for offset, line in enumerate(doc.splitlines()):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return start + offset
    return start


def load_objects(path: Path) -> Iterator[tuple[dict[str, Any], int]]:
    """(object, line) for every Kubernetes object in a file; List kinds expanded."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: unreadable: {exc}") from exc
    for start, doc in split_documents(text):
        try:
            obj = yaml.load(doc, Loader=_Loader)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}:{start}: invalid YAML: {exc}") from exc
        if obj is None:
            continue
        if not _plain_json(obj):  # e.g. unquoted dates: Kubernetes would see strings
            obj = json.loads(json.dumps(obj, default=str))
        if not isinstance(obj, dict) or "kind" not in obj or "apiVersion" not in obj:
            raise ConfigError(f"{path}:{start}: not a Kubernetes object (apiVersion/kind missing)")
        line = _first_content_line(start, doc)
        if str(obj["kind"]).endswith("List") and isinstance(obj.get("items"), list):
            for item in obj["items"]:
                if isinstance(item, dict):
                    yield item, line
        else:
            yield obj, line


def resources_from_manifests(
    paths: Iterable[Path], *, stack: str = "manifests", root: Path | None = None
) -> tuple[list[Resource], dict[str, Location]]:
    """Resources (inputs = the manifest) and their file/line locations."""
    resources: list[Resource] = []
    locations: dict[str, Location] = {}
    seen: dict[str, int] = {}
    for file in iter_files(paths):
        rel = _relative(file, root)
        for obj, line in load_objects(file):
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
