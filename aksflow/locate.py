"""Point a policy violation at the line the author wrote, in that file's own syntax.

The policy pack reports an ARM or Kubernetes field path (``agentPoolProfiles[0].vmSize``,
``spec.template.spec.containers[0].securityContext.privileged``) and the engine locates the
resource at the program line that declared it (or ``templates/x.yaml:1`` for a chart's object).
Where the value really comes from a stack file or an app's values file, this module finds that
file's line and says how to change the value there:

* Azure resources: a table maps the field to the stack config key that sets it
  (``aksflow:nodePools[<i>].vmSize``, ``aksflow:privateCluster``). The key is looked up in the
  layer that supplies it (``infra/config.py`` merges them): ``Pulumi.<stack>.yaml`` when the
  stack file sets it (a pool as an object or an old one-line string), else the profile of the
  stack's environment in ``environments.yaml`` (``environments[<i>].config``). A key neither
  sets comes from the base defaults in code: the hint says to set it in the stack file.
* Objects a Helm chart renders: the field path is matched, by its longest key suffix, against
  the keys of ``values-<env>.yaml`` and then the chart's ``values.yaml``.

Lines come from YAML node marks (``yaml.compose``: nodes only, no objects constructed, aliases
never expanded); files are only read here after the preview has read them with
:mod:`aksflow.yamlio`, so they are known to be well-formed and within limits.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from aksflow.environments import ENVIRONMENTS_FILE

if TYPE_CHECKING:
    from aksflow.policy.report import PolicyReport

Segment = str | int

# "<label>: <field path>: <problem> Fix: <fix>" (policies/aksflow_policies/model.py: message).
_MESSAGE = re.compile(r"^(?P<who>[^\n]*?): (?P<path>[A-Za-z_][\w.\[\]/*-]*): ", re.MULTILINE)
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
POOL = "azure-native:containerservice:AgentPool"
CLUSTER = "azure-native:containerservice:ManagedCluster"
WORKSPACE = "azure-native:operationalinsights:Workspace"
GENERIC_KEYS = frozenset({"name", "enabled", "type", "value", "key", "kind", "spec", "metadata"})

# AgentPool field -> field of an aksflow:nodePools entry (infra/config.py _POOL_FIELDS).
POOL_FIELDS: Mapping[str, str] = {
    "vmSize": "vmSize",
    "minCount": "minCount",
    "maxCount": "maxCount",
    "count": "minCount",
    "availabilityZones": "zones",
    "mode": "mode",
    "osDiskType": "osDiskType",
    "osSKU": "osSku",
    "maxPods": "maxPods",
    "nodeTaints": "taints",
    "nodeLabels": "labels",
}
# Pool fields set for every pool by one stack key (when the pool entry does not set them).
POOL_WIDE: Mapping[str, str] = {
    "availabilityZones": "availabilityZones",
    "enableEncryptionAtHost": "encryptionAtHost",
}
# The inline system pool (agentPoolProfiles[0]) -> its stack keys.
SYSTEM_POOL: Mapping[str, str] = {
    "vmSize": "systemPoolVmSize",
    "minCount": "systemPoolMinCount",
    "maxCount": "systemPoolMaxCount",
    "count": "systemPoolMinCount",
    "osDiskType": "systemPoolOsDiskType",
    "availabilityZones": "availabilityZones",
    "enableEncryptionAtHost": "encryptionAtHost",
}
# ManagedCluster / Workspace field path prefix -> stack key.
RESOURCE_KEYS: Mapping[str, Mapping[str, str]] = {
    CLUSTER: {
        "apiServerAccessProfile.enablePrivateCluster": "privateCluster",
        "apiServerAccessProfile.authorizedIPRanges": "authorizedIpRanges",
        "apiServerAccessProfile.disableRunCommand": "disableRunCommand",
        "sku.tier": "skuTier",
        "autoUpgradeProfile.upgradeChannel": "upgradeChannel",
        "autoUpgradeProfile.nodeOSUpgradeChannel": "nodeOsUpgradeChannel",
        "kubernetesVersion": "kubernetesVersion",
        "securityProfile.defender": "defender",
        "networkProfile.outboundType": "outboundType",
        "networkProfile.networkPolicy": "networkPolicy",
    },
    WORKSPACE: {"retentionInDays": "logRetentionDays"},
}


@dataclass(frozen=True)
class Source:
    """Where a violating value is set: file (project-relative), line, key and how to fix it."""

    file: str
    line: int
    key: str
    hint: str


def parse_path(text: str) -> list[Segment]:
    """``a.b[0].c`` -> ``["a", "b", 0, "c"]``."""
    return [int(m.group(2)) if m.group(2) else m.group(1) for m in _SEGMENT.finditer(text)]


def field_path(message: str) -> list[Segment] | None:
    """The field path a violation message names (``None`` when it names none)."""
    m = _MESSAGE.search(message)
    return parse_path(m.group("path")) if m else None


@lru_cache(maxsize=64)
def _compose(path: Path, mtime: float) -> yaml.Node | None:
    try:
        return yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _root(path: Path) -> yaml.Node | None:
    try:
        return _compose(path, path.stat().st_mtime)
    except OSError:
        return None


def _child(node: yaml.Node, segment: Segment) -> tuple[yaml.Node, int] | None:
    """The child node at ``segment`` and the line (1-based) that names it."""
    if isinstance(node, yaml.MappingNode) and isinstance(segment, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == segment:
                return value, key.start_mark.line + 1
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(segment, int)
        and 0 <= segment < len(node.value)
    ):
        item = node.value[segment]
        return item, item.start_mark.line + 1
    return None


def _walk(path: Path, keys: Sequence[Segment]) -> tuple[yaml.Node, int, int] | None:
    node = _root(path)
    if node is None:
        return None
    line, found = 0, 0
    for segment in keys:
        step = _child(node, segment)
        if step is None:
            break
        node, line = step
        found += 1
    return (node, line, found) if found else None


def find_line(path: Path, keys: Sequence[Segment]) -> tuple[int, int] | None:
    """(line, how many of ``keys`` were found) of the deepest key of ``keys`` in a YAML file.

    ``None`` when the file cannot be read or not even the first key is there.
    """
    walked = _walk(path, keys)
    return (walked[1], walked[2]) if walked else None


@dataclass(frozen=True)
class _ConfigFile:
    """A file holding stack config: its name, where ``config`` is in it, and how to call it."""

    path: Path
    prefix: tuple[Segment, ...]
    where: str
    """For a hint: ``Pulumi.prod.yaml`` or ``the prod profile in environments.yaml``."""

    def sets(self, key: Segment) -> bool:
        walked = _walk(self.path, [*self.prefix, key])
        return walked is not None and walked[2] == len(self.prefix) + 1


def _profile_prefix(root: Path, environment: str) -> tuple[Segment, ...] | None:
    """``("environments", i, "config")`` of ``environment`` in environments.yaml."""
    node = _root(root / ENVIRONMENTS_FILE)
    listed = _child(node, "environments") if node is not None else None
    if listed is None or not isinstance(listed[0], yaml.SequenceNode):
        return None
    for index, item in enumerate(listed[0].value):
        named = _child(item, "name")
        if named and isinstance(named[0], yaml.ScalarNode) and named[0].value == environment:
            return ("environments", index, "config")
    return None


def _layers(root: Path, stack: str, environment: str) -> list[_ConfigFile]:
    """The files that may set a stack's config, the one that wins first."""
    stack_file = root / f"Pulumi.{stack}.yaml"
    layers = [_ConfigFile(stack_file, ("config",), stack_file.name)]
    prefix = _profile_prefix(root, environment) if environment else None
    if prefix is not None:
        where = f"the {environment} profile in {ENVIRONMENTS_FILE}"
        layers.append(_ConfigFile(root / ENVIRONMENTS_FILE, prefix, where))
    return layers


def _supplier(layers: Sequence[_ConfigFile], key: Segment) -> _ConfigFile | None:
    """The layer whose value of ``key`` the stack gets (keys merge whole, the first wins)."""
    return next((layer for layer in layers if layer.sets(key)), None)


def _pool_index(layers: Sequence[_ConfigFile], key: str, name: str) -> int | None:
    """The index of pool ``name`` in the ``aksflow:nodePools`` the stack gets (either form)."""
    layer = _supplier(layers, key)
    walked = _walk(layer.path, [*layer.prefix, key]) if layer else None
    if walked is None or not isinstance(walked[0], yaml.SequenceNode):
        return None
    for index, item in enumerate(walked[0].value):
        if isinstance(item, yaml.MappingNode):
            named = _child(item, "name")
            if named and isinstance(named[0], yaml.ScalarNode) and named[0].value == name:
                return index
        elif isinstance(item, yaml.ScalarNode) and item.value.split(" ", 1)[0] == name:
            return index
    return None


def _show(keys: Sequence[Segment]) -> str:
    out = ""
    for segment in keys:
        out += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if out else segment)
    return out


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name


def _in_config(
    root: Path, stack: str, environment: str, candidates: Sequence[Sequence[Segment]]
) -> Source | None:
    """Where the first candidate key the stack gets a value for is set, else a hint to set it.

    Each candidate is looked up in the layer that supplies its top-level key: the stack file
    when it sets the key, else the environment's profile.
    """
    layers = _layers(root, stack, environment)
    stack_layer = layers[0]
    for keys in candidates:
        layer = _supplier(layers, keys[0])
        if layer is None:
            continue
        walked = _walk(layer.path, [*layer.prefix, *keys])
        if walked is None:
            continue
        node, line, found = walked
        depth = found - len(layer.prefix)
        # A pool written as one "name field=value" string holds all its fields on its line.
        whole = depth == len(keys) - 1 and isinstance(node, yaml.ScalarNode) and depth > 1
        if depth == len(keys) or whole:
            shown = _show(keys)
            hint = f"change `{shown}` in {layer.where}"
            if layer is not stack_layer:
                hint += f" (every {environment} stack), or set it in {stack_layer.where}"
            return Source(_relative(root, layer.path), line, shown, hint)
    if not candidates:
        return None
    shown = _show(candidates[0])
    layer = _supplier(layers, candidates[0][0])
    if layer is not None:  # set in that layer, this field left to its default in code
        walked = _walk(layer.path, [*layer.prefix, *candidates[0]])
        line = walked[1] if walked else 1
        return Source(_relative(root, layer.path), line, shown, f"set `{shown}` in {layer.where}")
    config = find_line(stack_layer.path, ["config"])
    where = " or in ".join(layer.where for layer in layers)
    return Source(
        stack_layer.where,
        config[0] if config else 1,
        shown,
        f"set `{shown}` in {where} (it is the base default now)",
    )


def _azure_source(
    root: Path,
    stack: str,
    environment: str,
    project: str,
    type_token: str,
    name: str,
    fields: Sequence[Segment],
) -> Source | None:
    def key(suffix: str) -> str:
        return f"{project}:{suffix}"

    def located(candidates: Sequence[Sequence[Segment]]) -> Source | None:
        return _in_config(root, stack, environment, candidates)

    text = _show(fields)
    if type_token == POOL and fields and isinstance(fields[0], str):
        candidates: list[list[Segment]] = []
        index = _pool_index(_layers(root, stack, environment), key("nodePools"), name)
        pool_field = POOL_FIELDS.get(fields[0])
        if index is not None and pool_field:
            candidates.append([key("nodePools"), index, pool_field])
        if fields[0] in POOL_WIDE:
            candidates.append([key(POOL_WIDE[fields[0]])])
        if not candidates and index is not None:
            return located([[key("nodePools"), index]])
        return located(candidates)
    if type_token == CLUSTER and fields[:2] == ["agentPoolProfiles", 0] and len(fields) > 2:
        system = SYSTEM_POOL.get(str(fields[2]))
        return located([[key(system)]]) if system else None
    for prefix, stack_key in RESOURCE_KEYS.get(type_token, {}).items():
        if text == prefix or text.startswith(prefix + ".") or text.startswith(prefix + "["):
            rest = fields[len(parse_path(prefix)) :]
            item: list[Segment] = [rest[0]] if rest and isinstance(rest[0], int) else []
            return located([[key(stack_key), *item]])
    return None


def _leaf_keys(root: yaml.Node) -> list[tuple[tuple[str, ...], int]]:
    """Every mapping key path of a values document (lists are not descended) and its line.

    Iterative, and an aliased node is walked once: an alias names its anchor's lines anyway.
    """
    out: list[tuple[tuple[str, ...], int]] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, prefix = stack.pop()
        if not isinstance(node, yaml.MappingNode) or id(node) in seen:
            continue
        seen.add(id(node))
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                path = (*prefix, key.value)
                out.append((path, key.start_mark.line + 1))
                stack.append((value, path))
    return out


def _suffix(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _values_source(
    root: Path, app_dir: Path, environment: str, fields: Sequence[Segment]
) -> Source | None:
    wanted = [s for s in fields if isinstance(s, str)]
    # Longest matching key suffix; then the environment's file; then the shortest, first key.
    best: tuple[tuple[int, int, int, int], Path, tuple[str, ...], int] | None = None
    files = [app_dir / f"values-{environment}.yaml", app_dir / "chart" / "values.yaml"]
    for rank, path in enumerate(files):
        node = _root(path)
        if node is None:
            continue
        for keys, line in _leaf_keys(node):
            n = _suffix(keys, wanted)
            if n == 0 or (n == 1 and keys[-1] in GENERIC_KEYS):
                continue
            score = (n, -rank, -len(keys), -line)
            if best is None or score > best[0]:
                best = (score, path, keys, line)
    if best is None:
        return None
    _, path, keys, line = best
    rel = path.relative_to(root).as_posix()
    shown = ".".join(keys)
    verb = "change" if path.name.startswith("values-") else "override"
    where = rel if verb == "change" else f"apps/{app_dir.name}/values-{environment}.yaml"
    return Source(rel, line, shown, f"{verb} `{shown}` in {where}")


def _chart_dir(root: Path, main: Path, chart: Mapping[str, Any]) -> Path | None:
    text = chart.get("chart")
    if not isinstance(text, str) or not text or "://" in text:
        return None
    for base in (main, root):
        path = Path(os.path.normpath(base / text))
        if path.is_dir() and path.is_relative_to(root):
            return path
    return None


@dataclass(frozen=True)
class Locator:
    """Locates violations of one stack's export in its stack and values files."""

    root: Path
    main: Path
    stack: str
    environment: str
    project: str
    resources: Mapping[str, Mapping[str, Any]]

    @classmethod
    def for_state(
        cls,
        state: Mapping[str, Any],
        *,
        root: Path,
        main: Path,
        stack: str,
        environment: str,
        project: str = "aksflow",
    ) -> Locator:
        deployment = state.get("deployment") or {}
        resources = {r["urn"]: r for r in deployment.get("resources") or () if "urn" in r}
        return cls(root, main, stack, environment, project, resources)

    def _chart_of(self, urn: str) -> Mapping[str, Any] | None:
        seen: set[str] = set()
        current = self.resources.get(urn, {}).get("parent")
        while isinstance(current, str) and current not in seen:
            seen.add(current)
            resource = self.resources.get(current)
            if resource is None:
                return None
            if str(resource.get("type", "")).startswith("kubernetes:helm.sh/"):
                return resource
            current = resource.get("parent")
        return None

    def source(self, urn: str, message: str) -> Source | None:
        """Where the value a violation on ``urn`` complains about is set, if in a file."""
        fields = field_path(message)
        resource = self.resources.get(urn)
        if not fields or resource is None:
            return None
        type_token = str(resource.get("type", ""))
        if type_token.startswith("azure-native:"):
            name = str((resource.get("inputs") or {}).get("agentPoolName") or "")
            name = name or urn.rsplit("::", 1)[-1]
            return _azure_source(
                self.root, self.stack, self.environment, self.project, type_token, name, fields
            )
        chart = self._chart_of(urn)
        if chart is None:
            return None
        app_dir = self._app_dir(chart)
        if app_dir is None:
            return None
        return _values_source(self.root, app_dir, self.environment, fields)

    def _app_dir(self, chart: Mapping[str, Any]) -> Path | None:
        """``apps/<app>``: the Chart is named after its app (infra/components/workloads.py).

        A v4 Chart is a component, so a stack export records no inputs for it; a state that
        does carry the chart path (older exports) is read first.
        """
        chart_dir = _chart_dir(self.root, self.main, chart.get("inputs") or {})
        if chart_dir is not None:
            return chart_dir.parent
        app = Path(self.root / "apps" / str(chart.get("urn", "")).rsplit("::", 1)[-1])
        return app if app.is_dir() and app.parent == self.root / "apps" else None


def refine_report(report: PolicyReport, locator: Locator) -> PolicyReport:
    """``report`` with each violation moved to the stack/values file line that sets its value."""
    refined = []
    for violation in report.violations:
        found = locator.source(violation.urn, violation.message) if violation.urn else None
        if found is None:
            refined.append(violation)
            continue
        refined.append(replace(violation, file=found.file, line=found.line, hint=found.hint))
    return replace(report, violations=tuple(refined))


def with_hint(detail: str, hint: str) -> str:
    """A violation's text with its ``Fix:`` in the syntax of the file that sets the value.

    The pack's own fix names the ARM or Kubernetes field; it is kept after the hint, in
    parentheses, for the value it suggests.
    """
    if not hint:
        return detail
    head, sep, fix = detail.partition(" Fix: ")
    pack_fix = f" (the policy: {fix.strip().rstrip('.')})" if sep and fix.strip() else ""
    return f"{head.rstrip()} Fix: {hint}{pack_fix}."
