"""Find the chart a ``helm.v4.Chart`` names, the way the kubernetes provider finds it.

The provider's ``Construct`` (pulumi-kubernetes ``provider/pkg/provider/helm/v4/chart.go``) hands
``chart``, ``version`` and ``repositoryOpts`` to Helm's ``action.Install.LocateChart``
(helm v3 ``pkg/action/install.go``, via ``provider/pkg/helm/tool.go``), in the provider's working
directory, which is the program's ``main`` folder (pulumi ``pkg/engine/project.go`` getPwdMain,
``pkg/resource/plugin/provider_plugin.go`` ``newPlugin(ctx, ctx.Pwd)``, ``plugin.go``
``cmd.Dir = pwd``). Helm's order:

1. ``strings.TrimSpace(name)``;
2. a path that exists (relative to the working directory, or absolute) is a local chart;
3. otherwise an absolute path, or one starting with ``.``, fails: ``path "<name>" not found``;
4. otherwise it is a remote chart: ``oci://...``, a chart in ``repositoryOpts.repo``, or
   ``<repo>/<chart>`` from the local repository config (``repo <repo> not found`` when absent).

Offline there is no network: remote charts are recognised exactly as Helm recognises them, and
refused with an error that says what the provider would fetch.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aksflow.errors import RenderError


def locate_chart(inputs: Mapping[str, Any], working_dir: Path, *, label: str) -> Path:
    """The local chart (directory or archive) a Chart's inputs name, resolved from ``working_dir``.

    ``label`` names the Chart in messages. Raises :class:`RenderError` for a missing path and
    for a remote chart.
    """
    name = str(inputs.get("chart") or "").strip()
    if not name:
        raise RenderError(f"{label}: chart: no chart given")
    repository = (inputs.get("repositoryOpts") or {}).get("repo")
    local = Path(name) if Path(name).is_absolute() else working_dir / name
    if local.exists():
        return local.resolve()
    if Path(name).is_absolute() or name.startswith("."):
        raise RenderError(
            f"{label}: chart: path {name!r} not found (relative paths resolve from "
            f"{working_dir}, the provider's working directory)"
        )
    if name.startswith("oci://"):
        where = f"OCI registry chart {name}"
    elif repository:
        where = f"chart {name!r} from repository {repository}"
    else:
        repo = name.split("/", 1)[0]
        where = f"chart {name!r} from the Helm repository named {repo!r}"
    raise RenderError(
        f"{label}: chart: {name!r} is not a path under {working_dir} (the provider's working "
        f"directory), so the provider would fetch {where}; the offline preview renders local "
        "charts only (vendor it with `aksflow charts vendor`)"
    )
