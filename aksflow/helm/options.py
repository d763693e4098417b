"""A ``helm.v4.Chart``'s inputs, read as the provider reads them, or refused.

pulumi-kubernetes ``provider/pkg/provider/helm/v4/chart.go:48-133`` (``ChartArgs``) lists every
input; ``Construct`` (``chart.go:151-319``) says what each does. Offline, aksflow models:

- ``chart``, ``version`` (Helm ignores it for a local chart), ``name`` (release name, default the
  Chart's resource name, ``chart.go:180-182``), ``namespace`` (default the provider's, ``default``),
  ``resourcePrefix`` (default the Chart's resource name, ``chart.go:183-187``);
- ``values`` over ``valueYamlFiles``, merged as ``ValueOpts.MergeValues`` does
  (``provider/pkg/helm/values.go:37-65``, ``upstream.go:21-38`` ``MergeMaps``); assets inside
  ``values`` become their text (``values.go:97-133``);
- ``skipCrds`` (``cmd.IncludeCRDs = !skipCrds``, ``chart.go:229``), ``skipAwait``
  (``yaml.go:354-381``);
- ``includeHooks``: outside ``renderYamlToDirectory`` mode the provider ignores it with a warning
  (``chart.go:270-277``), and so does aksflow.

Every other input changes what the provider renders in a way that cannot be reproduced offline
(``postRenderer`` runs a program, ``repositoryOpts``/``dependencyUpdate``/``verify``/``keyring``/
``devel``/``plainHttp`` fetch or check remote charts). Set, they fail the preview with an input
error instead of being ignored.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from aksflow.errors import RenderError
from aksflow.yamlio import yaml_error

MODELLED = frozenset(
    {
        "chart", "version", "name", "namespace", "resourcePrefix", "values", "valueYamlFiles",
        "skipCrds", "skipAwait", "includeHooks",
    }
)  # fmt: skip
NOT_MODELLED = {
    "postRenderer": "runs a program over the rendered manifests",
    "repositoryOpts": "fetches the chart from a repository",
    "dependencyUpdate": "downloads chart dependencies",
    "verify": "verifies a chart's provenance file",
    "keyring": "verifies a chart's provenance file",
    "devel": "resolves development versions of a remote chart",
    "plainHttp": "fetches the chart over plain HTTP",
}
INCLUDE_HOOKS_WARNING = (
    "includeHooks is only supported when the provider is configured with "
    "renderYamlToDirectory; Helm hooks will be ignored."
)


@dataclass(frozen=True)
class ChartOptions:
    """What the offline render of one Chart takes from its inputs."""

    release_name: str
    namespace: str
    resource_prefix: str
    values: dict[str, Any]
    include_crds: bool
    skip_await: bool
    warnings: tuple[str, ...]


def chart_options(
    chart_name: str, inputs: Mapping[str, Any], working_dir: Path, *, label: str
) -> ChartOptions:
    """Read ``inputs`` of the Chart resource ``chart_name``; RenderError for what is not modelled.

    ``working_dir`` is the provider's working directory, against which relative asset paths
    resolve; ``label`` prefixes messages (``app web (prod)``).
    """
    for key, value in inputs.items():
        if key in MODELLED or _unset(value):
            continue
        why = NOT_MODELLED.get(key, "is not a helm.v4.Chart input aksflow knows")
        raise RenderError(
            f"{label}: helm.v4.Chart input {key!r} is set, but the offline preview does not "
            f"model it (it {why}); remove it, or make its change in the chart or its values"
        )
    warnings = []
    if inputs.get("includeHooks") is True:
        warnings.append(INCLUDE_HOOKS_WARNING)
    prefix = inputs.get("resourcePrefix")
    values: dict[str, Any] = {}
    files = inputs.get("valueYamlFiles") or []
    if not isinstance(files, list):
        raise RenderError(f"{label}: valueYamlFiles must be a list of assets")
    for index, asset in enumerate(files):
        where = f"{label}: valueYamlFiles[{index}]"
        text = _asset_text(asset, working_dir, where)
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            # The file the asset names, so the headline reads `...[0]: extra.yaml:3: key: ...`.
            path = getattr(asset, "path", None) or getattr(asset, "uri", None)
            raise RenderError(
                yaml_error(text, f"{where}: {path}" if path else where, exc)
            ) from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise RenderError(f"{where}: a values file must hold a mapping")
        values = merge_maps(values, loaded)
    literal = _expand_assets(inputs.get("values") or {}, working_dir, f"{label}: values")
    values = merge_maps(values, literal)
    return ChartOptions(
        release_name=str(inputs.get("name") or chart_name),
        namespace=str(inputs.get("namespace") or "default"),
        resource_prefix=chart_name if prefix is None else str(prefix),
        values=values,
        include_crds=inputs.get("skipCrds") is not True,
        skip_await=inputs.get("skipAwait") is True,
        warnings=tuple(warnings),
    )


UNKNOWN_INPUTS_WARNING = "Input properties have unknown values. Preview is incomplete."


def has_unknowns(value: Any) -> bool:
    """Whether any input is unknown at preview (an output of a resource not yet created).

    The provider then registers no children and warns (chart.go:169-179).
    """
    from pulumi.output import Unknown

    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(has_unknowns(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknowns(v) for v in value)
    return False


def merge_maps(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's ``MergeMaps`` (pulumi-kubernetes ``provider/pkg/helm/upstream.go:21-38``)."""
    out = dict(base)
    for key, value in override.items():
        current = out.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            out[key] = merge_maps(current, value)
        else:
            out[key] = value
    return out


def _unset(value: Any) -> bool:
    """An input left at its zero value changes nothing in ``unwrapChartArgs`` (chart.go:92-133)."""
    return value is None or value is False or value == "" or value == {} or value == []


def _asset_text(asset: Any, working_dir: Path, where: str) -> str:
    """``readAsset`` (values.go:67-95): text, a file relative to the working dir, or a file URI."""
    import pulumi

    if isinstance(asset, pulumi.StringAsset):
        return str(asset.text)
    if isinstance(asset, pulumi.FileAsset):
        path = Path(str(asset.path))
        return _read(path if path.is_absolute() else working_dir / path, where)
    if isinstance(asset, pulumi.RemoteAsset):
        uri = urllib.parse.urlparse(str(asset.uri))
        if uri.scheme == "file":
            return _read(Path(urllib.parse.unquote(uri.path)), where)
        raise RenderError(
            f"{where}: the remote asset {asset.uri} would be fetched over the network; "
            "the offline preview reads local files only"
        )
    raise RenderError(f"{where}: expected an asset (FileAsset, StringAsset), got {asset!r}")


def _read(path: Path, where: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"{where}: failed to read file {path}: {exc.strerror}") from None


def _expand_assets(value: Any, working_dir: Path, where: str) -> Any:
    """``marshalValue`` (values.go:97-133): assets become their text; archives are refused."""
    import pulumi

    if isinstance(value, dict):
        return {k: _expand_assets(v, working_dir, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_assets(v, working_dir, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, pulumi.Asset):
        return _asset_text(value, working_dir, where)
    if isinstance(value, pulumi.Archive):
        raise RenderError(f"{where}: Archive values are not supported as a Helm value")
    return value
