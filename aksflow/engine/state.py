"""Serialise a recorded resource graph as a ``pulumi stack export`` (deployment v3) document."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from aksflow.engine.monitor import SECRET_SIG, SIG_KEY, Recorded

PULUMI_VERSION = "3.272.0"
# What `pulumi stack export` shows for a secret: the signature and ciphertext only. Offline
# there is no secrets provider, so the ciphertext is a fixed marker, never the value.
SECRET_MARKER = {SIG_KEY: SECRET_SIG, "ciphertext": "[secret]"}


def redact(value: Any) -> Any:
    """Replace every secret (wrapped by the SDK) with the stack-export secret marker."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return dict(SECRET_MARKER)
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        # The protobuf round trip turns ints into floats; state files keep Pulumi's ints.
        return int(value)
    return value


def ordered(records: Mapping[str, Recorded]) -> list[Recorded]:
    """Dependencies before dependents (as Pulumi's snapshot requires), ties broken by URN.

    Registration order depends on thread scheduling; this order does not, so two previews of
    the same program list resources in the same order.
    """
    edges: dict[str, set[str]] = {}
    for urn, record in records.items():
        needs = set(record.dependencies)
        if record.parent:
            needs.add(record.parent)
        if record.provider:
            needs.add(record.provider.rsplit("::", 1)[0])
        edges[urn] = {n for n in needs if n in records and n != urn}
    dependents: dict[str, list[str]] = {urn: [] for urn in records}
    for urn, needs in edges.items():
        for need in needs:
            dependents[need].append(urn)
    remaining = {urn: len(needs) for urn, needs in edges.items()}
    ready = [urn for urn, count in remaining.items() if count == 0]
    heapq.heapify(ready)
    result: list[Recorded] = []
    while ready:
        urn = heapq.heappop(ready)
        result.append(records[urn])
        for dependent in dependents[urn]:
            remaining[dependent] -= 1
            if remaining[dependent] == 0:
                heapq.heappush(ready, dependent)
    if len(result) != len(records):  # a cycle cannot come from the SDK; keep everything anyway
        seen = {r.urn for r in result}
        result += [records[u] for u in sorted(records) if u not in seen]
    # The stack resource comes first, as in every real export.
    result.sort(key=lambda r: r.type != "pulumi:pulumi:Stack")
    return result


def resource_v3(record: Recorded) -> dict[str, Any]:
    doc: dict[str, Any] = {"urn": record.urn, "custom": record.custom}
    if record.custom and record.id is not None:
        doc["id"] = record.id
    doc["type"] = record.type
    doc["inputs"] = redact(record.inputs)
    doc["outputs"] = redact(record.outputs)
    if record.parent:
        doc["parent"] = record.parent
    doc["dependencies"] = list(record.dependencies)
    if record.property_dependencies:
        doc["propertyDependencies"] = record.property_dependencies
    if record.provider:
        doc["provider"] = record.provider
    if record.ignore_changes:
        doc["ignoreChanges"] = list(record.ignore_changes)
    if record.retain_on_delete:
        doc["retainOnDelete"] = True
    if record.source:
        doc["sourcePosition"] = record.source
    return doc


def export(records: Iterable[Recorded] | Mapping[str, Recorded]) -> dict[str, Any]:
    """The stack-export document for ``records``."""
    by_urn = records if isinstance(records, Mapping) else {r.urn: r for r in records}
    return {
        "version": 3,
        "deployment": {
            "manifest": {
                "time": datetime.now(UTC).isoformat(timespec="seconds"),
                "magic": "",
                "version": PULUMI_VERSION,
            },
            "resources": [resource_v3(r) for r in ordered(by_urn)],
        },
    }
