"""Which changes replace a resource: the provider rules, driven by ``replace_on_change.json``.

The table lists per type the property paths whose change forces a replacement, and how the
provider compares values (``location`` ignoring case and spaces, ...). The semantics differ by
provider and follow ``offline-engine.md`` ("Replace or update"):

* azure-native: a listed scalar replaces when added, removed or changed; a listed object when
  added or removed, or when a scalar leaf beneath it changes value (added/removed keys do not);
  a listed array only when it appears or disappears as a whole. Only paths at most one level
  below the top are consulted by the provider's Diff.
* kubernetes: a listed path replaces when any added, updated or deleted leaf lies at or under it.
  ConfigMap/Secret data replaces unless the provider enables mutability and the object is not
  ``immutable: true``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from aksflow.diff.paths import (
    MISSING,
    Path,
    depth,
    expand,
    format_path,
    get,
    is_secret,
    leaves,
    matches,
    parse_path,
    under,
)

Normalizer = Callable[[Any], Any]


def _ignore_case(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _ignore_case_and_spaces(value: Any) -> Any:
    return value.lower().replace(" ", "") if isinstance(value, str) else value


def _aliases(table: Mapping[str, str]) -> Normalizer:
    def normalize(value: Any) -> Any:
        return table.get(value, value) if isinstance(value, str) else value

    return normalize


_NAMED: dict[str, Normalizer] = {
    "ignoreCase": _ignore_case,
    "ignoreCaseAndSpaces": _ignore_case_and_spaces,
}


@dataclass(frozen=True)
class MutableRule:
    """ConfigMap/Secret data: force-new unless the provider flag is on and not immutable."""

    paths: tuple[Path, ...]
    provider_flag: str
    unless_immutable: bool


@dataclass(frozen=True)
class TypeRules:
    """Everything the diff needs to know about one resource type."""

    type: str
    provider: str  # "azure-native", "kubernetes" or "" (components, providers, others)
    replace_on: tuple[Path, ...] = ()
    compare: Mapping[Path, Normalizer] = field(default_factory=dict)
    mutable_with: MutableRule | None = None
    apply_time_immutable: tuple[Path, ...] = ()
    recreated_by_aks: tuple[Path, ...] = ()
    cluster_scoped: bool = False


@dataclass(frozen=True)
class Replacement:
    """One reason a resource is replaced: the table's pattern and the concrete path."""

    pattern: str
    path: str
    why: str


def provider_of(type_token: str) -> str:
    """``azure-native``, ``kubernetes`` or ``""`` for a type token."""
    package = type_token.split(":", 1)[0]
    return package if package in ("azure-native", "kubernetes") else ""


class ReplaceTable:
    """The loaded ``replace_on_change.json``."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.providers: Mapping[str, Any] = data["providers"]
        self._types: Mapping[str, Any] = data["types"]
        self._cluster_scoped = frozenset(data.get("clusterScopedKinds", ()))
        self.kubernetes_provider_keys = tuple(data.get("kubernetesProviderReplaceOn", ()))
        self._apply_time: Mapping[str, Any] = data.get("applyTimeImmutable", {})
        self._recreated: Mapping[str, Any] = data.get("recreatedByAks", {})
        self._cache: dict[str, TypeRules] = {}
        for type_token, entry in self._types.items():  # the provider never looks deeper
            for text in entry["replaceOnChanges"]:
                if provider_of(type_token) == "azure-native" and depth(parse_path(text)) > 2:
                    raise ValueError(f"{type_token}: {text} is deeper than the provider's Diff")

    @classmethod
    def load(cls) -> ReplaceTable:
        """The table shipped with aksflow."""
        return _default_table()

    def provenance(self) -> str:
        """``pulumi-azure-native 3.29.0 / API 2025-09-01, pulumi-kubernetes 4.34.2``."""
        azure, kube = self.providers["azure-native"], self.providers["kubernetes"]
        return (
            f"{azure['package']} {azure['version']} / API {azure['apiVersion'].split()[0]}, "
            f"{kube['package']} {kube['version']}"
        )

    def rules(self, type_token: str) -> TypeRules:
        """The rules for ``type_token`` (kubernetes kinds not listed get ``kubernetes:*``)."""
        if type_token not in self._cache:
            self._cache[type_token] = self._build(type_token)
        return self._cache[type_token]

    def _build(self, type_token: str) -> TypeRules:
        provider = provider_of(type_token)
        entry = self._types.get(type_token)
        kind = type_token.rsplit(":", 1)[-1]
        component = type_token == "kubernetes:helm.sh/v4:Chart"
        if entry is None and provider == "kubernetes" and not component:
            entry = self._types.get("kubernetes:*")
        compare: dict[Path, Normalizer] = {}
        for key in (f"{provider}:*", type_token):
            for text, how in self.data.get("compare", {}).get(key, {}).items():
                compare[parse_path(text)] = _NAMED[how] if isinstance(how, str) else _aliases(how)
        mutable = None
        if entry and "mutableWith" in entry:
            raw = entry["mutableWith"]
            mutable = MutableRule(
                tuple(parse_path(p) for p in raw["paths"]),
                raw["providerFlag"],
                bool(raw.get("unlessImmutable", True)),
            )
        return TypeRules(
            type=type_token,
            provider=provider,
            replace_on=tuple(parse_path(p) for p in (entry or {}).get("replaceOnChanges", ())),
            compare=compare,
            mutable_with=mutable,
            apply_time_immutable=tuple(parse_path(p) for p in self._apply_time.get(type_token, ())),
            recreated_by_aks=tuple(parse_path(p) for p in self._recreated.get(type_token, ())),
            cluster_scoped=provider == "kubernetes" and kind in self._cluster_scoped,
        )


@cache
def _default_table() -> ReplaceTable:
    text = resources.files("aksflow.diff").joinpath("replace_on_change.json").read_text()
    return ReplaceTable(json.loads(text))


def normalized(rules: TypeRules, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """``inputs`` as the provider compares them (same paths, comparable values)."""
    doc: dict[str, Any] = copy.deepcopy(dict(inputs))
    for path, normalize in rules.compare.items():
        for concrete in expand(path, doc):
            parent = get(doc, concrete[:-1]) if len(concrete) > 1 else doc
            if isinstance(parent, dict | list):
                parent[concrete[-1]] = normalize(get(doc, concrete))  # type: ignore[index]
    if rules.provider == "kubernetes" and isinstance(doc.get("metadata"), dict):
        metadata = doc["metadata"]
        if rules.cluster_scoped:
            metadata.pop("namespace", None)  # cleared before diffing
        elif not metadata.get("namespace"):
            metadata["namespace"] = "default"  # unset equals "default"
    return doc


def _scalar_changed(old: Any, new: Any) -> bool:
    return old is not MISSING and new is not MISSING and old != new


def _azure_forced(
    pattern: Path, old: Mapping[str, Any], new: Mapping[str, Any], old_outputs: Mapping[str, Any]
) -> list[Replacement]:
    found: list[Replacement] = []
    for path in expand(pattern, old, new):
        before, after = get(old, path), get(new, path)
        text = format_path(path)
        if before is MISSING or after is MISSING:
            if (
                before is MISSING
                and len(path) == 1
                and old_outputs.get(str(path[0]), MISSING) == after
            ):
                continue  # the old state's output already has exactly this value
            why = "added" if before is MISSING else "removed"
            found.append(Replacement(format_path(pattern), text, why))
        elif isinstance(before, list) or isinstance(after, list):
            continue  # a forced array replaces only when it appears or disappears
        elif isinstance(before, Mapping) and not is_secret(before):
            old_leaves = dict(leaves(before))
            changed = [
                sub
                for sub, value in leaves(after)
                if sub in old_leaves and _scalar_changed(old_leaves[sub], value)
            ]
            if changed:
                found.append(Replacement(format_path(pattern), text, "changed beneath"))
        elif before != after:
            found.append(Replacement(format_path(pattern), text, "changed"))
    return found


def _kubernetes_forced(
    pattern: Path,
    changed: Sequence[Path],
    old: Mapping[str, Any],
    new: Mapping[str, Any],
) -> list[Replacement]:
    for path in changed:
        if under(path, pattern):
            return [Replacement(format_path(pattern), format_path(path), "changed")]
        # A whole ancestor appeared or vanished (e.g. metadata deleted) and held the path.
        ancestor = len(path) < len(pattern) and matches(pattern[: len(path)], path)
        if ancestor and expand(pattern, old, new):
            return [Replacement(format_path(pattern), format_path(path), "changed")]
    return []


def _is_mutable(
    rule: MutableRule, new: Mapping[str, Any], provider_inputs: Mapping[str, Any]
) -> bool:
    flag = provider_inputs.get(rule.provider_flag)
    enabled = flag is True or (isinstance(flag, str) and flag.lower() == "true")
    return enabled and not (rule.unless_immutable and new.get("immutable") is True)


def replacements(
    rules: TypeRules,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    changed: Sequence[Path],
    *,
    old_outputs: Mapping[str, Any] | None = None,
    provider_inputs: Mapping[str, Any] | None = None,
) -> list[Replacement]:
    """Why the provider would replace a resource whose (normalized) inputs go ``old`` -> ``new``.

    ``changed`` are the leaf paths that differ; an empty result means an in-place update.
    """
    found: list[Replacement] = []
    for pattern in rules.replace_on:
        if rules.provider == "azure-native":
            found += _azure_forced(pattern, old, new, old_outputs or {})
        elif rules.provider == "kubernetes":
            mutable = rules.mutable_with
            exempt = mutable is not None and pattern in mutable.paths
            if exempt and _is_mutable(mutable, new, provider_inputs or {}):  # type: ignore[arg-type]
                continue
            found += _kubernetes_forced(pattern, changed, old, new)
    return found


def _hits(patterns: Sequence[Path], changed: Sequence[Path]) -> list[str]:
    return sorted({format_path(p) for p in patterns for path in changed if under(path, p)})


def apply_time_immutable(rules: TypeRules, changed: Sequence[Path]) -> list[str]:
    """Changed paths the provider updates in place but AKS refuses on an existing pool."""
    return _hits(rules.apply_time_immutable, changed)


def recreated_by_aks(rules: TypeRules, changed: Sequence[Path]) -> list[str]:
    """Changed paths that only land by recreating the pool (planned as a replacement)."""
    return _hits(rules.recreated_by_aks, changed)
