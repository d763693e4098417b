"""App declarations (``apps/<app>/app.yaml``): schema, validation, chart resolution, values.

Each app directory holds:

- ``app.yaml``: the chart (a local chart directory, or a remote chart pinned to an exact version
  and vendored as a ``.tgz`` whose sha256 is recorded in ``chart.lock.yaml``), the namespace,
  the release name and the environments the app is enabled in;
- ``values.yaml`` (optional): overrides of the chart's defaults shared by every environment;
- ``values-<env>.yaml`` (optional): only what differs in that environment.

Every declaration is validated with a JSON Schema (messages name the file and the key), values
are deep-merged and vendored archives verified against their lock. ``infra/apps.py`` (imported
by the Pulumi program) builds on this module, so it stays light: PyYAML, jsonschema, the stdlib,
:mod:`aksflow.errors` and :mod:`aksflow.helm.lock`.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from aksflow.environments import load_environments
from aksflow.errors import ConfigError, RenderError
from aksflow.helm.lock import read_lock, verify_archive
from aksflow.yamlio import read_yaml

APPS_DIR = "apps"
DECLARATION = "app.yaml"
_VALUES_FILE = re.compile(r"^values-(?P<env>[^.]+)\.ya?ml$")
# Namespaces an app may never claim: the default namespace and the system ones.
RESERVED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
# Exact versions only: a range would make the vendored archive ambiguous.
_EXACT_VERSION = r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"

# "x-hint" is ours: it turns a bare "does not match '^...'" into a sentence a person can act on.
APP_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["chart", "namespace", "environments"],
    "properties": {
        "description": {"type": "string"},
        "releaseName": {
            "type": "string",
            "maxLength": 53,
            "pattern": _DNS_LABEL,
            "x-hint": "a DNS label of at most 53 characters (Helm release name)",
        },
        "namespace": {
            "type": "string",
            "maxLength": 63,
            "pattern": _DNS_LABEL,
            "not": {"enum": list(RESERVED_NAMESPACES)},
            "x-hint": "a DNS label",
            "x-not-hint": "is reserved: apps run in their own namespace",
        },
        "environments": {
            "type": "array",
            "uniqueItems": True,
            # The enum is the project's environments.yaml, filled in by _app_schema.
            "items": {"type": "string"},
        },
        "appNamespacesValue": {
            "type": "string",
            "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$",
            "x-hint": "a top-level chart value name such as namespaces",
        },
        "chart": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "path": {"type": "string", "minLength": 1},
                "repository": {
                    "type": "string",
                    "pattern": r"^(https?|oci)://[^\s]+$",
                    "x-hint": "an http(s):// Helm repository URL or an oci:// reference",
                },
                "name": {
                    "type": "string",
                    "pattern": r"^[a-z0-9][-a-z0-9_.]*$",
                    "x-hint": "a chart name",
                },
                "version": {
                    "type": "string",
                    "pattern": _EXACT_VERSION,
                    "x-hint": "an exact chart version such as 1.2.3 (no ranges)",
                },
            },
        },
    },
}


@dataclass(frozen=True)
class ChartSource:
    """Where an app's chart comes from: a local directory, or a remote pinned version."""

    path: str | None = None
    repository: str | None = None
    name: str | None = None
    version: str | None = None

    @property
    def remote(self) -> bool:
        """True for charts fetched from a repository and vendored as an archive."""
        return self.repository is not None


@dataclass(frozen=True)
class AppDeclaration:
    """One validated ``app.yaml``."""

    app: str
    directory: Path
    namespace: str
    release_name: str
    environments: tuple[str, ...]
    chart: ChartSource
    # The chart value that receives the namespaces of the other apps enabled in the environment.
    app_namespaces_value: str | None = None


def load_declarations(project_dir: Path) -> list[AppDeclaration]:
    """Every ``apps/*/app.yaml``, validated, sorted by app name."""
    apps_dir = project_dir / APPS_DIR
    if not apps_dir.is_dir():
        return []
    declarations = [
        load_declaration(project_dir, path.parent)
        for path in sorted(apps_dir.glob(f"*/{DECLARATION}"))
    ]
    _check_unique_release_names(project_dir, declarations)
    return declarations


def load_declaration(project_dir: Path, app_dir: Path) -> AppDeclaration:
    """Validate one ``app.yaml`` and its values file names."""
    path = app_dir / DECLARATION
    label = _relative(project_dir, path)
    data = _read_yaml(path, label)
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: expected a mapping with keys chart, namespace, environments")
    environments = load_environments(project_dir).names
    errors = sorted(
        jsonschema.Draft202012Validator(_app_schema(environments)).iter_errors(data),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    if errors:
        raise ConfigError("\n".join(f"{label}: {_describe(error)}" for error in errors))
    chart = _chart_source(label, data["chart"])
    _check_values_files(project_dir, app_dir, environments)
    app = app_dir.name
    if not re.match(_DNS_LABEL, app):
        raise ConfigError(f"{label}: the app directory name {app!r} must be a DNS label")
    return AppDeclaration(
        app=app,
        directory=app_dir,
        namespace=data["namespace"],
        release_name=data.get("releaseName", app),
        environments=tuple(data["environments"]),
        chart=chart,
        app_namespaces_value=data.get("appNamespacesValue"),
    )


def resolve_chart(
    project_dir: Path, declaration: AppDeclaration, environment: str
) -> tuple[str, str | None]:
    """The project-relative chart path (directory or verified archive) and its pinned version."""
    label = f"app {declaration.app} ({environment})"
    source = declaration.chart
    app_dir = declaration.directory
    if not source.remote:
        assert source.path is not None
        chart_dir = (app_dir / source.path).resolve()
        if not chart_dir.is_relative_to(project_dir.resolve()):
            # The Chart input is project-relative; a chart outside the repository is unreviewed.
            raise ConfigError(
                f"{_relative(project_dir, app_dir / DECLARATION)}: chart.path: "
                f"{source.path!r} points outside the project"
            )
        if not (chart_dir / "Chart.yaml").is_file():
            raise RenderError(
                f"{label}: missing chart: {_relative(project_dir, app_dir / DECLARATION)}: "
                f"chart.path: {_relative(project_dir, chart_dir)} has no Chart.yaml"
            )
        return _relative(project_dir, chart_dir), None
    lock = read_lock(app_dir)
    where = _relative(project_dir, app_dir / DECLARATION)
    if lock is None:
        raise RenderError(
            f"{label}: missing chart: {where}: chart: {source.name} {source.version} is not "
            "vendored; run `aksflow charts vendor`"
        )
    pinned = (source.repository, source.name, source.version)
    if (lock.repository, lock.name, lock.version) != pinned:
        raise RenderError(
            f"{label}: {where}: chart: pins {source.name} {source.version} from "
            f"{source.repository} but the lock has {lock.name} {lock.version} from "
            f"{lock.repository}; run `aksflow charts vendor`"
        )
    archive = verify_archive(app_dir, lock, label=label)
    return _relative(project_dir, archive), lock.version


def load_values(project_dir: Path, declaration: AppDeclaration, environment: str) -> dict[str, Any]:
    """The app's shared ``values.yaml`` deep-merged with ``values-<environment>.yaml``."""
    merged: dict[str, Any] = {}
    for name in ("values.yaml", f"values-{environment}.yaml"):
        path = declaration.directory / name
        if path.is_file():
            label = _relative(project_dir, path)
            data = _read_yaml(path, label)
            if data is None:
                continue
            if not isinstance(data, dict):
                raise ConfigError(f"{label}: expected a mapping of chart values")
            merged = deep_merge(merged, data)
    return merged


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's coalescing for user values: maps merge key by key, anything else is replaced.

    A ``null`` override is kept, so Helm removes the chart default as ``--set key=null`` does.
    """
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def _chart_source(label: str, chart: Mapping[str, Any]) -> ChartSource:
    remote_keys = ("repository", "name", "version")
    if "path" in chart:
        extra = [key for key in remote_keys if key in chart]
        if extra:
            raise ConfigError(
                f"{label}: chart.{extra[0]}: a local chart (chart.path) takes no {extra[0]}"
            )
        return ChartSource(path=chart["path"])
    missing = [key for key in remote_keys if key not in chart]
    if len(missing) == len(remote_keys):
        raise ConfigError(
            f"{label}: chart: give either path (a local chart directory) or repository, "
            "name and version (a remote chart)"
        )
    if missing:
        raise ConfigError(f"{label}: chart.{missing[0]}: required for a remote chart")
    return ChartSource(
        repository=chart["repository"].rstrip("/"), name=chart["name"], version=chart["version"]
    )


def _check_values_files(project_dir: Path, app_dir: Path, environments: tuple[str, ...]) -> None:
    """A values file for an unknown environment is a typo that would silently do nothing."""
    for path in sorted(app_dir.glob("values-*.y*ml")):
        match = _VALUES_FILE.match(path.name)
        if match and match["env"] not in environments:
            raise ConfigError(
                f"{_relative(project_dir, path)}: {match['env']!r} is not an environment "
                f"(one of {', '.join(environments)}; see environments.yaml)"
            )


@functools.cache
def _app_schema(environments: tuple[str, ...]) -> dict[str, Any]:
    """APP_SCHEMA with ``environments`` limited to the project's environments."""
    schema = copy.deepcopy(APP_SCHEMA)
    schema["properties"]["environments"]["items"] = {"enum": list(environments)}
    return schema


def _check_unique_release_names(project_dir: Path, declarations: list[AppDeclaration]) -> None:
    seen: dict[tuple[str, str], AppDeclaration] = {}
    for declaration in declarations:
        key = (declaration.namespace, declaration.release_name)
        other = seen.get(key)
        if other is not None:
            raise ConfigError(
                f"{_relative(project_dir, declaration.directory / DECLARATION)}: releaseName: "
                f"{declaration.release_name!r} in namespace {declaration.namespace!r} is "
                f"already used by app {other.app}"
            )
        seen[key] = declaration


def _describe(error: jsonschema.ValidationError) -> str:
    """``key.path[2]: message`` with enum choices and pattern hints spelled out."""
    where = _key_path(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance: Any = error.instance
    if error.validator == "enum":
        choices = ", ".join(str(choice) for choice in schema.get("enum", ()))
        message = f"{error.instance!r} is not one of {choices}"
    elif error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        where = _key_path([*error.absolute_path, missing])
        message = "required key is missing"
    elif error.validator == "additionalProperties":
        allowed = ", ".join(sorted(schema.get("properties", {})))
        extras = sorted(set(instance) - set(schema.get("properties", {})))
        where = _key_path([*error.absolute_path, extras[0]]) if extras else where
        message = f"unknown key (allowed: {allowed})"
    elif error.validator in ("pattern", "maxLength") and "x-hint" in schema:
        message = f"{error.instance!r} is not {schema['x-hint']}"
    elif error.validator == "not" and "x-not-hint" in schema:
        message = f"{error.instance!r} {schema['x-not-hint']}"
    else:
        message = error.message
    return f"{where}: {message}" if where else message


def _key_path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _read_yaml(path: Path, label: str) -> Any:
    return read_yaml(path, source=label)


def _relative(project_dir: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
