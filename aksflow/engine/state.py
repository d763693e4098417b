"""Serialise a recorded resource graph as a ``pulumi stack export`` (deployment v3) document.

The shape follows pulumi/pulumi ``sdk/go/common/apitype/core.go`` (``UntypedDeployment``,
``DeploymentV3``, ``ManifestV1``, ``ResourceV3``, ``SecretV1``) and is read back by
``pkg/resource/stack/deployment.go`` (``DeserializeUntypedDeployment``) and checked by
``pkg/resource/stack/snapshot/integrity.go`` (``VerifyIntegrity``); ``tests/engine/export_rules.py``
ports those rules and runs them on every state file the test suite writes.

What a Chart needs beyond the export (its render inputs, for the diff) is kept in aksflow's own
``charts.json`` beside it (:func:`chart_inputs`): the provider registers a v4 Chart with no
inputs, and its values (which can hold a Secret's source) must not land in a file the CLI imports.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from typing import Any

from aksflow.engine.monitor import SECRET_SIG, SIG_KEY, Recorded

# What `pulumi stack export` writes for a secret without a secrets manager: SecretV1 with
# `plaintext` holding the JSON text of the value. Offline the value is never written: the
# plaintext is the JSON of "[secret]", what `pulumi policy analyze --file` shows for a secret it
# cannot decrypt. (A `ciphertext` needs a `secrets_providers` block the CLI can decrypt with:
# DeserializeDeploymentV3 otherwise fails.)
SECRET_TEXT = "[secret]"
SECRET_MARKER = {SIG_KEY: SECRET_SIG, "plaintext": json.dumps(SECRET_TEXT)}


@cache
def pulumi_version() -> str:
    """``manifest.version`` as the CLI writes it: ``v`` + the engine's version.

    The CLI is pinned to the SDK's version (the workflows' ``PULUMI_VERSION``; goreleaser sets
    ``version.Version`` to ``v{{.Version}}``).
    """
    return "v" + metadata.version("pulumi")


def new_magic(version: str) -> str:
    """``ManifestV1.NewMagic`` (core.go): sha256 of the version, empty for no version."""
    return hashlib.sha256(version.encode()).hexdigest() if version else ""


def timestamp(moment: datetime) -> str:
    """A Go ``time.Time`` as encoding/json writes it (RFC 3339 with nanoseconds, UTC ``Z``)."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
    return text + "Z"


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


def resource_v3(record: Recorded, now: str) -> dict[str, Any]:
    """One ``ResourceV3``; ``now`` is the run's timestamp (``created`` and ``modified``).

    A remote component (a v4 Chart) is recorded as its provider registers it inside
    ``Construct``: ``ctx.RegisterComponentResource(typ, name, comp, options)`` sends no
    properties (pulumi ``sdk/go/pulumi/context.go``), and the engine gives a non-custom
    resource no provider (``source_eval.go``), so it has no inputs, provider or property
    dependencies.
    """
    doc: dict[str, Any] = {"urn": record.urn, "custom": record.custom}
    if record.custom and record.id is not None:
        doc["id"] = record.id
    doc["type"] = record.type
    doc["inputs"] = {} if record.remote else redact(record.inputs)
    doc["outputs"] = redact(record.outputs)
    if record.parent:
        doc["parent"] = record.parent
    doc["dependencies"] = list(record.dependencies)
    if record.property_dependencies and not record.remote:
        doc["propertyDependencies"] = record.property_dependencies
    if record.provider and not record.remote:
        doc["provider"] = record.provider
    doc["created"] = now
    doc["modified"] = now
    if record.ignore_changes:
        doc["ignoreChanges"] = list(record.ignore_changes)
    if record.retain_on_delete:
        doc["retainOnDelete"] = True
    if record.source:
        doc["sourcePosition"] = record.source
    return doc


def export(
    records: Iterable[Recorded] | Mapping[str, Recorded], *, now: datetime | None = None
) -> dict[str, Any]:
    """The stack-export document for ``records``."""
    by_urn = records if isinstance(records, Mapping) else {r.urn: r for r in records}
    moment = timestamp(now or datetime.now(UTC))
    version = pulumi_version()
    return {
        "version": 3,
        "deployment": {
            "manifest": {"time": moment, "magic": new_magic(version), "version": version},
            "resources": [resource_v3(r, moment) for r in ordered(by_urn)],
        },
    }


def chart_inputs(records: Iterable[Recorded] | Mapping[str, Recorded]) -> dict[str, Any]:
    """aksflow's ``charts.json``: each remote component's inputs by URN (secrets as markers).

    What the program gave the Chart (chart, version, namespace, values, ...): the diff compares
    it between base and head; the stack export cannot carry it (see :func:`resource_v3`).
    """
    found = records.values() if isinstance(records, Mapping) else records
    return {
        "version": 1,
        "charts": {r.urn: redact(r.inputs) for r in sorted(found, key=lambda r: r.urn) if r.remote},
    }


def with_chart_inputs(state: Mapping[str, Any], charts: Mapping[str, Any]) -> dict[str, Any]:
    """``state`` with each Chart's inputs from ``charts.json`` put back (for the diff only)."""
    by_urn = charts.get("charts") or {}
    resources = [
        {**r, "inputs": by_urn[r["urn"]]} if r.get("urn") in by_urn else r
        for r in (state.get("deployment") or {}).get("resources") or []
    ]
    return {**state, "deployment": {**(state.get("deployment") or {}), "resources": resources}}
