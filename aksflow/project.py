"""The Pulumi project on disk: ``Pulumi.yaml``, its declared config and the stack files.

This does what the Pulumi CLI does before it starts a program: find the stack file, check
every value against the type declared in ``Pulumi.yaml``, apply the declared defaults and
turn ``secure:`` values into secrets. Offline there is no secrets provider, so a secure value
becomes a placeholder that is marked secret and never decrypted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aksflow.errors import ConfigError, ProjectError

PROJECT_FILE = "Pulumi.yaml"
SECRET_PLACEHOLDER = "offline-placeholder-for-a-secure-value"


@dataclass(frozen=True)
class ConfigKey:
    """One key declared in the ``config:`` block of ``Pulumi.yaml``."""

    name: str
    type: str
    default: Any
    item_type: str | None = None
    secret: bool = False


@dataclass(frozen=True)
class Project:
    """A Pulumi project directory."""

    root: Path
    name: str
    main: Path
    config: Mapping[str, ConfigKey]

    def stack_file(self, stack: str) -> Path:
        return self.root / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        """Every stack with a ``Pulumi.<stack>.yaml`` beside the project file."""
        found = (p.name[len("Pulumi.") : -len(".yaml")] for p in self.root.glob("Pulumi.*.yaml"))
        return sorted(found)


@dataclass(frozen=True)
class StackConfig:
    """The config a program sees: every key as Pulumi's string encoding, plus secret keys."""

    stack: str
    file: Path
    values: Mapping[str, str]
    secret_keys: frozenset[str] = field(default_factory=frozenset)
    environment: str = ""
    """The stack's environment profile: ``<project>:environment``, else the stack name."""


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ProjectError(f"{path.name}: cannot read: {exc.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path.name}: malformed YAML{where}: {problem}") from None


def find_project_dir(start: Path) -> Path:
    """The nearest directory at or above ``start`` that holds ``Pulumi.yaml``."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / PROJECT_FILE).is_file():
            return directory
    raise ProjectError(f"no {PROJECT_FILE} found in {start} or any parent directory")


_TYPES = ("string", "integer", "boolean", "array")


def load_project(root: Path) -> Project:
    """Read and check ``Pulumi.yaml``."""
    path = root / PROJECT_FILE
    if not path.is_file():
        raise ProjectError(f"{path}: not found")
    doc = _read_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
        raise ConfigError(f"{PROJECT_FILE}: name: a project name is required")
    name: str = doc["name"]
    keys: dict[str, ConfigKey] = {}
    for key, decl in (doc.get("config") or {}).items():
        full = key if ":" in key else f"{name}:{key}"
        if not isinstance(decl, dict) or decl.get("type") not in _TYPES:
            raise ConfigError(
                f"{PROJECT_FILE}: config.{key}.type: must be one of {', '.join(_TYPES)}"
            )
        if "default" not in decl:
            raise ConfigError(f"{PROJECT_FILE}: config.{key}.default: every key needs a default")
        items = decl.get("items") or {}
        keys[full] = ConfigKey(
            name=full,
            type=decl["type"],
            default=decl["default"],
            item_type=items.get("type") if isinstance(items, dict) else None,
            secret=bool(decl.get("secret", False)),
        )
        _check_type(PROJECT_FILE, f"config.{key}.default", keys[full], decl["default"])
    main = root / str(doc.get("main") or ".")
    return Project(root=root, name=name, main=main, config=keys)


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _check_type(file: str, key: str, decl: ConfigKey, value: Any) -> None:
    actual = _type_name(value)
    if actual != decl.type:
        raise ConfigError(f"{file}: {key}: must be of type {decl.type} (got {actual})")
    if decl.type == "array" and decl.item_type:
        for index, item in enumerate(value):
            item_actual = _type_name(item)
            if item_actual != decl.item_type:
                raise ConfigError(
                    f"{file}: {key}[{index}]: must be of type {decl.item_type} (got {item_actual})"
                )


def _encode(value: Any) -> str:
    """Pulumi's wire encoding of a config value: strings as-is, the rest as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def load_stack_config(project: Project, stack: str) -> StackConfig:
    """Merge ``Pulumi.<stack>.yaml`` over the project defaults, checking every value."""
    path = project.stack_file(stack)
    if not path.is_file():
        known = ", ".join(project.stacks()) or "none"
        raise ProjectError(
            f"unknown stack {stack!r}: {path.name} not found (known stacks: {known})"
        )
    doc = _read_yaml(path)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError(f"{path.name}: must be a mapping with a config: key")
    raw = doc.get("config") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.name}: config: must be a mapping of key: value")

    values: dict[str, str] = {k: _encode(d.default) for k, d in project.config.items()}
    secret_keys: set[str] = set()
    for key, value in raw.items():
        full = key if ":" in key else f"{project.name}:{key}"
        namespace = full.split(":", 1)[0]
        decl = project.config.get(full)
        if namespace == project.name and decl is None:
            raise ConfigError(
                f"{path.name}: {full}: not declared in {PROJECT_FILE} (check the spelling)"
            )
        if isinstance(value, dict) and set(value) == {"secure"}:
            # Only the stack's secrets provider can decrypt this; offline it stays a secret.
            values[full] = SECRET_PLACEHOLDER
            secret_keys.add(full)
            continue
        if decl is not None:
            _check_type(path.name, full, decl, value)
            if decl.secret:
                raise ConfigError(
                    f"{path.name}: {full}: must be encrypted (pulumi config set --secret)"
                )
        values[full] = _encode(value)
    environment = (
        ""
        if f"{project.name}:environment" in secret_keys
        else values.get(f"{project.name}:environment", "")
    )
    return StackConfig(
        stack=stack,
        file=path,
        values=values,
        secret_keys=frozenset(secret_keys),
        environment=environment or stack,
    )
