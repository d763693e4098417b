"""Diff two stack exports of one stack, keyed by URN, the way ``pulumi preview`` plans it.

A URN only in the head is a create, only in the base a delete (a changed URN is therefore a
delete plus a create, never a replace). A URN in both is compared on its inputs: leaves that
differ (after the provider's normalisation) make an update, and a replace when the
replacement table says so. Replacements then cascade like Pulumi's: a kubernetes Provider whose
kubeconfig comes from a replaced cluster is replaced with everything it manages, and a resource
whose replace-on-change input depends on a replaced resource is unknown at preview, so replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace as dc_replace
from typing import Any

from aksflow.diff.keyprops import key_properties
from aksflow.diff.model import SECRET_TEXT, PropertyChange, ResourceChange, StackPlan
from aksflow.diff.paths import (
    MISSING,
    Path,
    format_path,
    get,
    is_secret,
    leaves,
    parse_path,
    under,
)
from aksflow.diff.replace import (
    ReplaceTable,
    TypeRules,
    apply_time_immutable,
    normalized,
    recreated_by_aks,
)
from aksflow.diff.replace import replacements as forced

# Last key segments whose string values are credentials, whatever the resource.
_SECRET_KEY = re.compile(
    r"(?i)(password|passwd|secret|token|apikey|api_key|privatekey|private_key|credential"
    r"|connectionstring|kubeconfig|sas|certificate|\bkey$)"
)
# Whole subtrees that are secret for a type, whether or not the state marks them.
SECRET_PATHS: Mapping[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Secret": ("data", "stringData"),
    "pulumi:providers:kubernetes": ("kubeconfig",),
    "azure-native:containerservice:ManagedCluster": (
        "windowsProfile.adminPassword",
        "servicePrincipalProfile.secret",
    ),
}


def resources_by_urn(state: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The resources of a stack export, keyed by URN (in state order)."""
    deployment = state.get("deployment") or {}
    return {r["urn"]: r for r in deployment.get("resources") or [] if "urn" in r}


def _secret_path(type_token: str, path: Path, value: Any) -> bool:
    if is_secret(value):
        return True
    if any(under(path, parse_path(p)) for p in SECRET_PATHS.get(type_token, ())):
        return True
    last = next((s for s in reversed(path) if isinstance(s, str)), "")
    return isinstance(value, str) and bool(_SECRET_KEY.search(last))


def _shown(type_token: str, path: Path, value: Any) -> Any:
    return SECRET_TEXT if _secret_path(type_token, path, value) else value


def property_changes(
    type_token: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> list[tuple[Path, str]]:
    """Leaf paths that differ between normalized ``old`` and ``new`` and how (add/delete/update)."""
    before, after = dict(leaves(old)), dict(leaves(new))
    changed: list[tuple[Path, str]] = []
    for path in sorted(before.keys() | after.keys(), key=format_path):
        a, b = before.get(path, MISSING), after.get(path, MISSING)
        if a is MISSING:
            changed.append((path, "add"))
        elif b is MISSING:
            changed.append((path, "delete"))
        elif a != b or type(a) is not type(b):
            if is_secret(a) and is_secret(b):
                continue  # offline both sides are the same marker: a change is unknowable
            changed.append((path, "update"))
    return changed


def _ignored(resource: Mapping[str, Any]) -> list[Path]:
    out: list[Path] = []
    for text in resource.get("ignoreChanges") or ():
        try:
            out.append(parse_path(str(text)))
        except ValueError:
            continue
    return out


def _provider_urn(resource: Mapping[str, Any]) -> str | None:
    ref = resource.get("provider")
    return ref.rsplit("::", 1)[0] if isinstance(ref, str) and "::" in ref else None


def _compare(
    table: ReplaceTable,
    base: Mapping[str, Any],
    head: Mapping[str, Any],
    providers: Mapping[str, Mapping[str, Any]],
) -> ResourceChange | None:
    type_token = str(head.get("type", ""))
    rules: TypeRules = table.rules(type_token)
    old_raw, new_raw = base.get("inputs") or {}, head.get("inputs") or {}
    old, new = normalized(rules, old_raw), normalized(rules, new_raw)
    ignore = _ignored(head)
    entries: list[tuple[Path, str]] = []
    ignored: list[str] = []
    for path, kind in property_changes(type_token, old, new):
        if any(under(path, pattern) for pattern in ignore):
            ignored.append(format_path(path))
        else:
            entries.append((path, kind))
    if not entries:
        return None
    paths = [p for p, _ in entries]
    provider_inputs = providers.get(_provider_urn(head) or "", {})
    reasons = forced(
        rules,
        old,
        new,
        paths,
        old_outputs=base.get("outputs") or {},
        provider_inputs=provider_inputs,
    )
    recreated = recreated_by_aks(rules, paths)
    forced_paths = [parse_path(r.path) for r in reasons] + [parse_path(p) for p in recreated]
    props = tuple(
        PropertyChange(
            path=format_path(path),
            kind=kind,  # type: ignore[arg-type]
            old=_shown(type_token, path, get(old_raw, path)) if kind != "add" else None,
            new=_shown(type_token, path, get(new_raw, path)) if kind != "delete" else None,
            replaces=any(under(path, f) or under(f, path) for f in forced_paths),
        )
        for path, kind in entries
    )
    warnings = tuple(
        f"{path}: the provider updates it in place, but AKS does not change it on an existing "
        "pool (recreate the pool under a new name)"
        for path in apply_time_immutable(rules, paths)
    )
    return ResourceChange(
        urn=str(head["urn"]),
        type=type_token,
        op="replace" if reasons or recreated else "update",
        properties=props,
        replace_reasons=tuple(
            f"{r.path} {r.why}" + (f" (rule {r.pattern})" if r.pattern != r.path else "")
            for r in reasons
        )
        + tuple(f"{path} changed: AKS cannot change it on an existing pool" for path in recreated),
        warnings=warnings,
        ignored=tuple(ignored),
        source=head.get("sourcePosition"),
        parent=head.get("parent"),
        dependencies=tuple(head.get("dependencies") or ()),
        custom=head.get("custom") is not False,
    )


def _whole(resource: Mapping[str, Any], op: str) -> ResourceChange:
    return ResourceChange(
        urn=str(resource["urn"]),
        type=str(resource.get("type", "")),
        op=op,  # type: ignore[arg-type]
        source=resource.get("sourcePosition"),
        parent=resource.get("parent"),
        dependencies=tuple(resource.get("dependencies") or ()),
        custom=resource.get("custom") is not False,
    )


def _cascade(
    table: ReplaceTable,
    head: Mapping[str, Mapping[str, Any]],
    both: Sequence[str],
    changes: dict[str, ResourceChange],
) -> None:
    """Mark resources replaced because what they depend on is replaced (to a fixpoint)."""

    def name(urn: str) -> str:
        return urn.rsplit("::", 1)[-1]

    replaced = {urn for urn, c in changes.items() if c.op == "replace"}
    progress = True
    while progress:
        progress = False
        for urn in both:
            if urn in replaced:
                continue
            resource = head[urn]
            deps: Mapping[str, Sequence[str]] = resource.get("propertyDependencies") or {}
            inputs = resource.get("inputs") or {}
            reason = None
            provider = _provider_urn(resource)
            if provider in replaced:
                reason = f"its provider {name(provider)} is replaced"
            elif resource.get("type") == "pulumi:providers:kubernetes":
                for key in table.kubernetes_provider_keys:
                    hit = [d for d in deps.get(key, ()) if d in replaced]
                    if key in inputs and hit:
                        reason = f"{key} is unknown at preview ({name(hit[0])} is replaced)"
                        break
            else:
                keys = {p[0] for p in table.rules(str(resource.get("type"))).replace_on}
                for key in sorted(k for k in keys if isinstance(k, str)):
                    hit = [d for d in deps.get(key, ()) if d in replaced]
                    if key in inputs and hit:
                        reason = f"{key} is unknown at preview ({name(hit[0])} is replaced)"
                        break
            if reason is None:
                continue
            previous = changes.get(urn) or _whole(resource, "replace")
            changes[urn] = dc_replace(
                previous, op="replace", replace_reasons=(*previous.replace_reasons, reason)
            )
            replaced.add(urn)
            progress = True


def _rename_hints(
    base: Mapping[str, Mapping[str, Any]],
    head: Mapping[str, Mapping[str, Any]],
    changes: dict[str, ResourceChange],
) -> None:
    """A delete and a create with the same type and inputs is most likely a moved URN."""
    created = [u for u, c in changes.items() if c.op == "create"]
    for urn, change in list(changes.items()):
        if change.op != "delete":
            continue
        old = base[urn]
        for candidate in created:
            new = head[candidate]
            same_name = candidate.rsplit("::", 1)[-1] == urn.rsplit("::", 1)[-1]
            if new.get("type") == old.get("type") and (
                (old.get("inputs") and new.get("inputs") == old.get("inputs")) or same_name
            ):
                hint = (
                    f"URN changed ({urn.rsplit('::', 1)[-1]} → {candidate.rsplit('::', 1)[-1]}):"
                    " Pulumi deletes and re-creates it; add an alias to keep the resource"
                )
                changes[urn] = dc_replace(change, hint=hint)
                changes[candidate] = dc_replace(changes[candidate], hint=hint)
                created.remove(candidate)
                break


def diff_states(
    stack: str,
    base_state: Mapping[str, Any] | None,
    head_state: Mapping[str, Any],
    table: ReplaceTable | None = None,
) -> StackPlan:
    """The plan that takes ``base_state`` (None: a new stack) to ``head_state``."""
    table = table or ReplaceTable.load()
    base = resources_by_urn(base_state or {})
    head = resources_by_urn(head_state)
    providers = {
        urn: r.get("inputs") or {}
        for urn, r in head.items()
        if str(r.get("type", "")).startswith("pulumi:providers:")
    }
    changes: dict[str, ResourceChange] = {}
    both = [urn for urn in head if urn in base]
    for urn, resource in head.items():
        if urn not in base:
            changes[urn] = dc_replace(
                _whole(resource, "create"),
                key_properties=key_properties(
                    str(resource.get("type", "")), resource.get("inputs") or {}
                ),
            )
        else:
            change = _compare(table, base[urn], resource, providers)
            if change is not None:
                changes[urn] = change
    for urn, resource in base.items():
        if urn not in head:
            changes[urn] = _whole(resource, "delete")
    _cascade(table, head, both, changes)
    _rename_hints(base, head, changes)
    ordered = [changes[u] for u in _order(head, base) if u in changes]
    unchanged = len(both) - _count(both, changes)
    return StackPlan(stack=stack, changes=tuple(ordered), unchanged=unchanged)


def _order(head: Iterable[str], base: Iterable[str]) -> list[str]:
    seen = dict.fromkeys(head)
    return [*seen, *(u for u in base if u not in seen)]


def _count(both: Sequence[str], changes: Mapping[str, ResourceChange]) -> int:
    return sum(1 for urn in both if urn in changes)
