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
from aksflow.helm.declarations import (
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
    getPwdMain, ``provider_plugin.go`` ``cmd.Dir``); a project-relative ``apps/web/chart`` would
    be read by Helm as chart ``chart`` of a repository named ``apps``.
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
                chart_ref=Path(os.path.relpath(project_dir / chart, working_dir)).as_posix(),
            )
        )
    return releases
