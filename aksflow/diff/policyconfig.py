"""Enforcement levels in ``policies/config/<environment>.json``, compared between revisions.

The file is a Pulumi policy-pack config: ``{"all": "advisory", "<policy>": "mandatory"}`` or
``{"<policy>": {"enforcementLevel": "mandatory", ...}}``. Only levels are compared here; the
pack's defaults for unlisted policies are the same on both sides unless the pack changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aksflow.diff.model import EnforcementChange
from aksflow.errors import ConfigError, YamlError
from aksflow.yamlio import read_yaml


def stack_environment(project_dir: Path, stack: str) -> str:
    """``<project>:environment`` from ``Pulumi.<stack>.yaml``, else the stack name."""
    try:
        project = read_yaml(project_dir / "Pulumi.yaml") or {}
        doc = read_yaml(project_dir / f"Pulumi.{stack}.yaml") or {}
    except YamlError:
        return stack  # the preview reports a broken stack file with file and key
    name = project.get("name", "") if isinstance(project, Mapping) else ""
    config = doc.get("config") if isinstance(doc, Mapping) else None
    value = config.get(f"{name}:environment") if isinstance(config, Mapping) else None
    return str(value) if value else stack


def enforcement_levels(document: Any) -> dict[str, str]:
    """``{policy or "all": level}`` for every key that sets a level."""
    levels: dict[str, str] = {}
    if not isinstance(document, Mapping):
        return levels
    for key, value in document.items():
        if isinstance(value, str):
            levels[str(key)] = value
        elif isinstance(value, Mapping) and isinstance(value.get("enforcementLevel"), str):
            levels[str(key)] = value["enforcementLevel"]
    return levels


def read_levels(path: Path, *, strict: bool) -> dict[str, str]:
    """The levels in ``path`` ({} when absent). ``strict`` raises on malformed JSON."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    try:
        return enforcement_levels(json.loads(text))
    except json.JSONDecodeError as exc:
        if strict:
            raise ConfigError(f"{path}: malformed JSON (line {exc.lineno}): {exc.msg}") from None
        return {}


def compare_enforcement(
    environment: str, base: Mapping[str, str], head: Mapping[str, str]
) -> tuple[EnforcementChange, ...]:
    """Every policy whose configured level differs, ``all`` first, then by name."""
    keys = sorted(base.keys() | head.keys(), key=lambda k: (k != "all", k))
    return tuple(
        EnforcementChange(environment, key, base.get(key), head.get(key))
        for key in keys
        if base.get(key) != head.get(key)
    )
