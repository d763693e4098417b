"""Per-environment change-safety settings from the project's ``safety.yaml``.

```yaml
environments:
  prod:
    costIncreaseLimit: 1000      # a larger monthly increase (at max node count) is high risk
    logIngestionGbPerDay: 20     # prices Log Analytics retention beyond the free days
    vcpuQuota: {standardDDSv5Family: 200}   # regional vCPU quota per VM family
```

A missing file or environment means no limit, no retention estimate and no quota check; the
report says so rather than guessing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aksflow.environments import load_environments
from aksflow.errors import ConfigError, ProjectError
from aksflow.yamlio import read_yaml

FILE = "safety.yaml"
_KEYS = ("costIncreaseLimit", "logIngestionGbPerDay", "vcpuQuota")


@dataclass(frozen=True)
class EnvironmentSafety:
    """The settings of one environment."""

    cost_increase_limit: float | None = None
    log_ingestion_gb_per_day: float | None = None
    vcpu_quota: Mapping[str, int] = field(default_factory=dict)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{FILE}: {where}: must be a number >= 0 (got {value!r})")
    return float(value)


def parse(doc: Any) -> dict[str, EnvironmentSafety]:
    """Settings per environment from the parsed YAML document."""
    if doc is None:
        return {}
    if not isinstance(doc, Mapping) or not isinstance(doc.get("environments", {}), Mapping):
        raise ConfigError(f"{FILE}: environments: must be a mapping of environment to settings")
    out: dict[str, EnvironmentSafety] = {}
    for env, raw in (doc.get("environments") or {}).items():
        where = f"environments.{env}"
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{FILE}: {where}: must be a mapping")
        unknown = sorted(str(k) for k in raw if k not in _KEYS)
        if unknown:
            raise ConfigError(f"{FILE}: {where}.{unknown[0]}: unknown key (use {', '.join(_KEYS)})")
        quota = raw.get("vcpuQuota") or {}
        if not isinstance(quota, Mapping):
            raise ConfigError(f"{FILE}: {where}.vcpuQuota: must map VM family to vCPUs")
        limit = raw.get("costIncreaseLimit")
        ingestion = raw.get("logIngestionGbPerDay")
        out[str(env)] = EnvironmentSafety(
            cost_increase_limit=None
            if limit is None
            else _number(limit, f"{where}.costIncreaseLimit"),
            log_ingestion_gb_per_day=None
            if ingestion is None
            else _number(ingestion, f"{where}.logIngestionGbPerDay"),
            vcpu_quota={
                str(k): int(_number(v, f"{where}.vcpuQuota.{k}")) for k, v in quota.items()
            },
        )
    return out


def load(project_dir: Path) -> dict[str, EnvironmentSafety]:
    """``safety.yaml`` of a project (empty when it has none).

    Every environment it names must be one of ``environments.yaml`` (a typo would silently drop
    a limit); without an ``environments.yaml`` the names are not checked.
    """
    path = project_dir / FILE
    if not path.is_file():
        return {}
    # The one YAML reader: errors name the file, line and key (never a parser's preamble).
    doc = read_yaml(path, source=FILE)
    found = parse(doc)
    try:
        known = load_environments(project_dir).names
    except ProjectError:
        return found  # no environments.yaml: nothing to check the names against
    for name in found:
        if name not in known:
            raise ConfigError(
                f"{FILE}: environments.{name}: not an environment "
                f"(one of {', '.join(known)}; defined in environments.yaml)"
            )
    return found
