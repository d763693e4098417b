"""The environments a project deploys to: ``environments.yaml``, the one place they are defined.

Promotion order is the file's order. Every module that depends on an environment (the program's
config, the Pod Security level, the policy config, app enablement, the stack listing the
workflows build their matrices from) asks this module, never a literal list of names.

Each environment may carry a profile, ``config:``: stack-config keys (``aksflow:skuTier``) with
the values every stack of that environment starts from, over the program's base defaults
(``infra/defaults.py``). Here only its shape is checked (a mapping of namespaced keys to plain
values); the program knows its settings and checks names and values (``infra/config.py``), so
an error there still names this file and the key path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from aksflow.errors import ConfigError, ProjectError
from aksflow.yamlio import read_yaml

ENVIRONMENTS_FILE = "environments.yaml"
# A GitHub environment name, a file-name part and a config value at once: keep it plain.
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")
_FIELDS = ("name", "policyConfig", "podSecurity", "spotPools", "config")
# A stack-config key as Pulumi writes it in a stack file: <namespace>:<name>.
_CONFIG_KEY = re.compile(r"^[A-Za-z][\w.-]*:[A-Za-z][\w.-]*$")


@dataclass(frozen=True)
class Environment:
    """One environment's profile."""

    name: str
    rank: int
    """Position in the promotion order (0 deploys first)."""
    policy_config: str
    """Project-relative path of the policy pack config evaluated for its stacks."""
    pod_security: str
    """Pod Security admission ``enforce`` level of the app namespaces."""
    spot_pools: bool
    """Whether User pools may run on spot VMs."""
    config: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    """The profile: stack-config keys and the values this environment's stacks start from."""

    @property
    def config_key_path(self) -> str:
        """The key path of the profile in ``environments.yaml`` (``environments[0].config``)."""
        return f"environments[{self.rank}].config"

    def policy_config_file(self, project_dir: Path) -> Path:
        """The policy config this environment's stacks are gated with; a ConfigError naming
        ``environments.yaml`` and the environment's ``policyConfig`` key when it is missing."""
        path = project_dir / self.policy_config
        if not path.is_file():
            raise ConfigError(
                f"{ENVIRONMENTS_FILE}: environments[{self.rank}].policyConfig: "
                f"{self.policy_config} not found (the policy config of environment {self.name}; "
                f"the default is policies/config/{self.name}.json)"
            )
        return path

    @property
    def runner_variable(self) -> str:
        """The repository variable that holds this environment's runner labels."""
        return "AKSFLOW_RUNS_ON_" + re.sub(r"[^A-Za-z0-9]", "_", self.name).upper()


@dataclass(frozen=True)
class Environments:
    """The environments in promotion order."""

    file: Path
    ordered: tuple[Environment, ...]

    def __iter__(self) -> Iterator[Environment]:
        return iter(self.ordered)

    def __len__(self) -> int:
        return len(self.ordered)

    @property
    def names(self) -> tuple[str, ...]:
        """Environment names in promotion order."""
        return tuple(env.name for env in self.ordered)

    def get(self, name: str) -> Environment | None:
        """The environment called ``name``, or None."""
        return next((env for env in self.ordered if env.name == name), None)

    def require(self, name: str, where: str) -> Environment:
        """The environment called ``name``; a :class:`ConfigError` headed by ``where`` if not."""
        env = self.get(name)
        if env is None:
            raise ConfigError(
                f"{where}: {name!r} is not an environment "
                f"(one of {', '.join(self.names)}; defined in {ENVIRONMENTS_FILE})"
            )
        return env


def _fail(key: str, message: str) -> ConfigError:
    return ConfigError(f"{ENVIRONMENTS_FILE}: {key}: {message}")


def _profile(key: str, value: Any) -> Mapping[str, Any]:
    """The ``config:`` of one environment: its shape only (the program checks the values)."""
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, dict):
        raise _fail(key, "must be a mapping of stack-config keys, e.g. aksflow:skuTier: Free")
    for name, item in value.items():
        if not isinstance(name, str) or not _CONFIG_KEY.match(name):
            raise _fail(
                f"{key}.{name}",
                "must be a namespaced stack-config key as in a stack file, e.g. aksflow:skuTier",
            )
        if name.endswith(":environment"):
            raise _fail(
                f"{key}.{name}", "a profile cannot set the environment; each stack file names it"
            )
        if item is None:
            raise _fail(f"{key}.{name}", "has no value (remove the key to use the base default)")
        if isinstance(item, dict) and set(item) == {"secure"}:
            raise _fail(
                f"{key}.{name}",
                "a secret belongs in a stack file (pulumi config set --secret), where the "
                "stack's secrets provider can decrypt it",
            )
    return MappingProxyType(dict(value))


def _environment(index: int, entry: Any) -> Environment:
    key = f"environments[{index}]"
    if not isinstance(entry, dict):
        raise _fail(key, "must be a mapping with a name")
    unknown = sorted(str(k) for k in entry if k not in _FIELDS)
    if unknown:
        raise _fail(f"{key}.{unknown[0]}", f"unknown field (fields: {', '.join(_FIELDS)})")
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(
            f"{key}.name",
            "must be 1-31 lowercase letters, digits or dashes, starting with a letter",
        )
    policy_config = entry.get("policyConfig", f"policies/config/{name}.json")
    if not isinstance(policy_config, str) or not policy_config.endswith(".json"):
        raise _fail(f"{key}.policyConfig", "must be a project-relative path to a .json file")
    if Path(policy_config).is_absolute() or ".." in Path(policy_config).parts:
        raise _fail(f"{key}.policyConfig", "must stay inside the project")
    pod_security = entry.get("podSecurity", "restricted")
    if pod_security not in POD_SECURITY_LEVELS:
        raise _fail(f"{key}.podSecurity", f"must be one of {', '.join(POD_SECURITY_LEVELS)}")
    spot_pools = entry.get("spotPools", False)
    if not isinstance(spot_pools, bool):
        raise _fail(f"{key}.spotPools", "must be true or false")
    return Environment(
        name=name,
        rank=index,
        policy_config=policy_config,
        pod_security=pod_security,
        spot_pools=spot_pools,
        config=_profile(f"{key}.config", entry.get("config")),
    )


def parse(file: Path, doc: Any) -> Environments:
    """Check a parsed ``environments.yaml``."""
    if not isinstance(doc, dict) or not isinstance(doc.get("environments"), list):
        raise _fail("environments", "must be a list of environments in promotion order")
    ordered = tuple(_environment(i, entry) for i, entry in enumerate(doc["environments"]))
    if not ordered:
        raise _fail("environments", "must name at least one environment")
    seen: set[str] = set()
    for index, env in enumerate(ordered):
        if env.name in seen:
            raise _fail(f"environments[{index}].name", f"{env.name!r} is defined twice")
        seen.add(env.name)
    return Environments(file=file, ordered=ordered)


@lru_cache(maxsize=16)
def _load(path: Path, _mtime_ns: int, _size: int) -> Environments:
    # The one YAML reader: go-yaml v3 semantics, limits, errors naming file, line and key.
    return parse(path, read_yaml(path, source=ENVIRONMENTS_FILE))


def load_environments(project_dir: Path) -> Environments:
    """The environments of the project in ``project_dir`` (cached while the file is unchanged)."""
    path = (project_dir / ENVIRONMENTS_FILE).resolve()
    try:
        stat = path.stat()
    except OSError:
        raise ProjectError(
            f"{ENVIRONMENTS_FILE}: not found in {project_dir} "
            "(it defines the environments stacks deploy to, in promotion order)"
        ) from None
    return _load(path, stat.st_mtime_ns, stat.st_size)


__all__ = ["ENVIRONMENTS_FILE", "Environment", "Environments", "load_environments"]
