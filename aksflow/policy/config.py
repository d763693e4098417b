"""Reconcile a ``--policy-pack-config`` file the way the Pulumi CLI does, and validate it.

The SDK's ``Configure`` only receives the reconciled map, and a policy without an
``enforcementLevel`` there silently becomes ADVISORY, so every policy gets an explicit level.
Order (``pkg/resource/analyzer/config.go``): schema defaults and the policy's own level, then the
pack's ``initial_config``, then the file (``all`` first, then per-policy entries), then JSON-Schema
validation of each policy's properties. aksflow is stricter than the CLI in two fail-closed ways:
an unknown policy name and an unknown property are errors naming the file and key.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aksflow.errors import ConfigError

from .loader import LoadedPack

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
_RESERVED = {"all", "environments"}


@dataclass(frozen=True)
class PolicySettings:
    """Reconciled level and properties of one policy."""

    level: str
    properties: dict[str, Any]


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """Read a JSON object (``what`` names it in errors); ConfigError naming the file otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except json.JSONDecodeError as exc:  # file and line first, as every input error
        raise ConfigError(
            f"{path}:{exc.lineno}: {what} is not valid JSON: {exc.msg} (column {exc.colno})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: {what} must be a JSON object")
    return data


def read_config_file(path: Path) -> dict[str, Any]:
    """Read a policy config: a JSON object keyed by policy name."""
    return read_json_object(path, "policy config (keyed by policy name)")


def _level(value: Any, where: str) -> str:
    text = getattr(value, "value", value)  # EnforcementLevel enum or string
    if text not in LEVELS:
        raise ConfigError(f"{where}: enforcement level must be one of {list(LEVELS)}, got {text!r}")
    return str(text)


def _apply(settings: PolicySettings, value: Any, where: str) -> PolicySettings:
    if isinstance(value, str) or hasattr(value, "value"):
        return PolicySettings(_level(value, where), settings.properties)
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: must be an enforcement level string or an object")
    level = settings.level
    props = dict(settings.properties)
    for k, v in value.items():
        if k == "enforcementLevel":
            level = _level(v, f"{where}.enforcementLevel")
        else:
            props[k] = v
    return PolicySettings(level, props)


def _schema(policy: Any) -> dict[str, Any]:
    cs = policy.config_schema
    properties = dict(cs.properties) if cs is not None else {}
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if cs is not None and cs.required:
        schema["required"] = list(cs.required)
    return schema


def reconcile(
    pack: LoadedPack,
    raw: Mapping[str, Any],
    *,
    source: str,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, PolicySettings]:
    """Reconciled settings for every policy of the pack (ConfigError on any problem)."""
    by_name = {p.name: p for p in pack.policies}
    unknown = sorted(k for k in raw if k not in by_name and k not in _RESERVED)
    if unknown:
        raise ConfigError(f"{source}: unknown policy id(s) {unknown} (pack {pack.name})")
    import jsonschema  # deferred: ~70 ms of start-up the manifest benchmark counts

    result: dict[str, PolicySettings] = {}
    initial = pack.initial_config or {}
    for name, policy in by_name.items():
        schema = _schema(policy)
        defaults = {
            k: v["default"]
            for k, v in schema["properties"].items()
            if isinstance(v, Mapping) and "default" in v
        }
        own = policy.enforcement_level or pack.enforcement_level
        settings = PolicySettings(_level(own, f"{pack.directory}: policy {name}"), defaults)
        if name in initial:
            settings = _apply(settings, initial[name], f"{pack.directory}: initial_config.{name}")
        if "all" in raw:
            settings = _apply(settings, raw["all"], f"{source}: all")
            settings = PolicySettings(settings.level, settings.properties)
        if name in raw and raw[name] not in (None, "", {}):
            settings = _apply(settings, raw[name], f"{source}: {name}")
        if overrides and name in overrides:
            settings = PolicySettings(settings.level, {**settings.properties, **overrides[name]})
        error = jsonschema.exceptions.best_match(
            _validator(json.dumps(schema, sort_keys=True)).iter_errors(settings.properties)
        )
        if error is not None:
            # The key path first, as every config error names it: `<file>: <policy>.<key>: ...`.
            where = "".join(
                f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
            )
            raise ConfigError(f"{source}: {name}{where}: {error.message}")
        result[name] = settings
    return result


@functools.lru_cache(maxsize=512)
def _validator(schema_json: str) -> Any:
    """A checked validator per distinct schema: what ``jsonschema.validate`` does per call.

    ``jsonschema.validate`` re-checks the schema against its metaschema every time; with some
    50 policies per stack that was most of the policy evaluation's cost. The schemas are the
    pack's own and never change within a process, so each is checked once.
    """
    import jsonschema

    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def pss_overrides(pack: LoadedPack, level: str | None) -> dict[str, dict[str, Any]]:
    """``--pss-level``: set ``level`` on every policy whose schema has one (the pss-* controls)."""
    if level is None:
        return {}
    if level not in ("baseline", "restricted"):
        raise ConfigError(f"--pss-level must be baseline or restricted, got {level!r}")
    out: dict[str, dict[str, Any]] = {}
    for p in pack.policies:
        cs = p.config_schema
        if p.name.startswith("pss-") and cs is not None and "level" in cs.properties:
            out[p.name] = {"level": level}
    if not out:
        raise ConfigError(f"--pss-level: pack {pack.name} has no pss-* policy with a level setting")
    return out
