"""The Helm releases of one environment, from the app declarations under ``apps/``.

The Pulumi program imports this module, so it stays light: the declarations are parsed by
:mod:`aksflow.helm.declarations` (PyYAML, jsonschema, the stdlib, :mod:`aksflow.errors` and the
lock-file reader; never Helm itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aksflow.errors import ConfigError
from aksflow.helm.declarations import (
    ENVIRONMENTS,
    load_declarations,
    load_values,
    resolve_chart,
)


@dataclass(frozen=True)
class AppRelease:
    """One enabled app in one environment, ready for ``kubernetes.helm.v4.Chart``."""

    app: str
    release_name: str
    namespace: str
    chart: str  # project-relative path to a local chart dir or vendored .tgz
    chart_version: str | None
    values: Mapping[str, Any]  # app values.yaml deep-merged with values-<env>.yaml


def load_releases(project_dir: Path, environment: str) -> list[AppRelease]:
    """The releases enabled in ``environment``, sorted by app name.

    Every declaration is validated, enabled or not, so a typo in a prod-only app fails the
    dev preview too. Raises :class:`ConfigError` for a bad declaration or values file, and
    :class:`~aksflow.errors.RenderError` for a missing chart or a vendored archive whose digest
    does not match its lock.
    """
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"environment {environment!r} is not one of {', '.join(ENVIRONMENTS)}")
    releases = []
    for declaration in load_declarations(project_dir):
        if environment not in declaration.environments:
            continue
        chart, version = resolve_chart(project_dir, declaration, environment)
        releases.append(
            AppRelease(
                app=declaration.app,
                release_name=declaration.release_name,
                namespace=declaration.namespace,
                chart=chart,
                chart_version=version,
                values=load_values(project_dir, declaration, environment),
            )
        )
    return releases
