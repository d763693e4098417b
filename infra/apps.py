"""The Helm releases of one environment, from the app declarations under ``apps/``.

The Pulumi program imports this module, so it stays light: the declarations are parsed by
:mod:`aksflow.helm.declarations` (PyYAML, jsonschema, the stdlib, :mod:`aksflow.errors` and the
lock-file reader; never Helm itself).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aksflow.environments import load_environments
from aksflow.errors import ConfigError
from aksflow.helm.declarations import (
    APPS_DIR,
    DECLARATION,
    AppDeclaration,
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
    chart_ref: str = ""
    """``chart`` as the ``Chart`` resource gets it: relative to the program's ``main`` folder.

    The language host runs the program, and the kubernetes provider renders the chart, with
    ``main`` (this directory) as the working directory (pulumi ``pkg/engine/project.go``
    getPwdMain, ``pkg/resource/plugin/plugin.go`` ``cmd.Dir = pwd``); a project-relative
    ``apps/web/chart`` would be read by Helm as chart ``chart`` of a repository named ``apps``.
    """


PROGRAM_DIR = Path(__file__).resolve().parent
"""The program's working directory under ``pulumi preview``/``up``: ``main`` in Pulumi.yaml."""


def load_releases(
    project_dir: Path, environment: str, *, working_dir: Path = PROGRAM_DIR
) -> list[AppRelease]:
    """The releases enabled in ``environment``, sorted by app name.

    Every declaration is validated, enabled or not, so a typo in a prod-only app fails the
    dev preview too. Raises :class:`ConfigError` for a bad declaration or values file, and
    :class:`~aksflow.errors.RenderError` for a missing chart or a vendored archive whose digest
    does not match its lock. ``chart_ref`` is relative to ``working_dir`` (the program's).
    """
    load_environments(project_dir).require(environment, "aksflow:environment")
    releases = []
    enabled = [d for d in load_declarations(project_dir) if environment in d.environments]
    for declaration in enabled:
        chart, version = resolve_chart(project_dir, declaration, environment)
        values = load_values(project_dir, declaration, environment)
        if declaration.app_namespaces_value:
            values = _with_app_namespaces(declaration, enabled, values)
        releases.append(
            AppRelease(
                app=declaration.app,
                release_name=declaration.release_name,
                namespace=declaration.namespace,
                chart=chart,
                chart_version=version,
                values=values,
                chart_ref=Path(os.path.relpath(project_dir / chart, working_dir)).as_posix(),
            )
        )
    return releases


def _with_app_namespaces(
    declaration: AppDeclaration,
    enabled: list[AppDeclaration],
    values: dict[str, Any],
) -> dict[str, Any]:
    """Hand the chart the namespaces of every other enabled app (``appNamespacesValue``), so a
    new app is guarded (e.g. by platform-baseline) without a second edit."""
    key = declaration.app_namespaces_value
    assert key is not None
    if key in values:
        raise ConfigError(
            f"{APPS_DIR}/{declaration.app}/{DECLARATION}: "
            f"appNamespacesValue: the values files also set {key!r}; it is derived from the "
            "app declarations, remove it from the values files"
        )
    others = {d.namespace for d in enabled if d is not declaration}
    return {**values, key: sorted(others)}
