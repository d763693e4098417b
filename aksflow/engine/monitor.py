"""A mock resource monitor that records the full resource graph, as the real engine would.

Pulumi's stock ``MockMonitor`` hands mocks neither parents nor dependencies and prefixes
top-level URNs with the stack type; this subclass keeps everything a ``stack export``
holds, synthesises default providers, and expands remote Helm v4 Charts into children.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from google.protobuf import empty_pb2
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.mocks import _ensure_event_loop as _ensure_loop  # type: ignore[attr-defined]
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _sync_await

from aksflow.engine.azure_ids import stable_guid
from aksflow.engine.naming import default_provider_name, provider_request_key, source_position

if TYPE_CHECKING:
    from aksflow.helm.children import ChartChild

STACK_TYPE = "pulumi:pulumi:Stack"
CHART_TYPE = "kubernetes:helm.sh/v4:Chart"
SECRET_SIG = rpc._special_secret_sig
SIG_KEY = rpc._special_sig_key


@dataclass
class Recorded:
    """One resource as the engine saw it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None = None
    id: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    provider: str | None = None
    source: str | None = None
    ignore_changes: list[str] = field(default_factory=list)
    remote: bool = False
    retain_on_delete: bool = False


ChartExpander = Callable[[str, dict[str, Any], Sequence[dict[str, Any]]], Sequence["ChartChild"]]
"""Renders a v4 Chart: (chart resource name, chart inputs, earlier CRDs) -> its children.

The earlier CRDs are the CustomResourceDefinitions registered before the Chart with the same
provider: the provider's CRD cache (pulumi-kubernetes ``provider.go:1368-1375``, filled by Check).
"""


def _provider_inputs(inputs: dict[str, Any], version: str, download_url: str) -> dict[str, Any]:
    """``providers.SetProviderVersion`` / ``SetProviderURL`` applied to a provider's inputs."""
    result = dict(inputs)
    if version:
        result["version"] = version
    if download_url:
        result["pluginDownloadURL"] = download_url.rstrip("/")
    return result


def wrap_secret(value: Any) -> dict[str, Any]:
    return {SIG_KEY: SECRET_SIG, "value": value}


def unwrap_secrets(value: Any) -> Any:
    """Plain values with every secret wrapper removed (for rendering, never for output)."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return unwrap_secrets(value.get("value"))
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


class RecordingMonitor(MockMonitor):
    """Records every registration in order; thread-safe (the SDK calls from executor threads)."""

    def __init__(
        self,
        mocks: Mocks,
        *,
        project: str,
        stack: str,
        project_root: Path,
        expand_chart: ChartExpander | None = None,
    ) -> None:
        super().__init__(mocks)
        self.project = project
        self.stack = stack
        self.project_root = project_root.resolve()
        self.expand_chart = expand_chart
        self.records: dict[str, Recorded] = {}
        self._lock = threading.Lock()
        self._default_providers: dict[str, str] = {}

    # URNs ---------------------------------------------------------------------------------
    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent:
            parent_type = parent.split("::")[2].split("$")[-1]
            if parent_type != STACK_TYPE:
                type_ = f"{parent.split('::')[2]}${type_}"
        return f"urn:pulumi:{self.stack}::{self.project}::{type_}::{name}"

    def _record(self, record: Recorded) -> None:
        with self._lock:
            self.records[record.urn] = record

    def _source(self, request: Any) -> str | None:
        if not request.HasField("sourcePosition"):
            return None
        position = request.sourcePosition
        return source_position(position.uri, position.line, position.column, self.project_root)

    def _default_provider(self, type_: str, version: str, download_url: str) -> str:
        """The reference of the engine's default provider for ``type_``'s package.

        One per ``ProviderRequest.String()`` (package, version, download URL), named by
        ``DefaultName()``, with ``version`` (and ``pluginDownloadURL``) as its inputs
        (``default_providers.go`` ``newRegisterDefaultProviderEvent``).
        """
        package = type_.split(":", 1)[0]
        key = provider_request_key(package, version, download_url)
        with self._lock:
            ref = self._default_providers.get(key)
            if ref is not None:
                return ref
            name = default_provider_name(version, download_url)
            provider_type = f"pulumi:providers:{package}"
            urn = f"urn:pulumi:{self.stack}::{self.project}::{provider_type}::{name}"
            provider_id = stable_guid(urn)
            inputs = _provider_inputs({}, version, download_url)
            self.records[urn] = Recorded(
                urn=urn,
                type=provider_type,
                name=name,
                custom=True,
                id=provider_id,
                inputs=inputs,
                outputs=dict(inputs),
            )
            ref = f"{urn}::{provider_id}"
            self._default_providers[key] = ref
            return ref

    # RPCs ---------------------------------------------------------------------------------
    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            self._record(Recorded(urn=urn, type=STACK_TYPE, name=request.name, custom=False))
            return resource_pb2.RegisterResourceResponse(urn=urn)

        _ensure_loop()  # type: ignore[no-untyped-call]
        inputs = rpc.deserialize_properties(request.object)
        provider = request.provider or None
        if request.remote and not provider:
            provider = dict(request.providers).get(request.type.split(":", 1)[0]) or None
        is_provider = request.type.startswith("pulumi:providers:")
        # A remote component is constructed by its package's provider: the default one unless
        # the program passed a provider (the children inherit it).
        if (request.custom or request.remote) and not provider and not is_provider:
            provider = self._default_provider(
                request.type, request.version, request.pluginDownloadURL
            )
        if is_provider:
            # source_eval.go: the engine adds the SDK's version (SetProviderVersion) and download
            # URL (SetProviderURL) to an explicit provider's inputs.
            inputs = _provider_inputs(inputs, request.version, request.pluginDownloadURL)

        resource_id, state = self.mocks.new_resource(
            MockResourceArgs(
                typ=request.type,
                name=request.name,
                inputs=inputs,
                provider=provider or "",
                resource_id=request.importId,
                custom=request.custom or False,
            )
        )
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id or "", state)
        record = Recorded(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent or None,
            id=resource_id if request.custom else None,
            inputs=dict(inputs),
            outputs=dict(state) if request.custom else {},
            dependencies=sorted(set(request.dependencies)),
            property_dependencies={
                prop: sorted(set(deps.urns)) for prop, deps in request.propertyDependencies.items()
            },
            provider=provider,
            source=self._source(request),
            ignore_changes=list(request.ignoreChanges),
            remote=bool(request.remote),
        )
        self._record(record)
        if request.type == CHART_TYPE and self.expand_chart is not None:
            self._register_children(record)
        obj = _sync_await(rpc.serialize_properties(state, {}))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id or "", object=obj)

    def _register_children(self, chart: Recorded) -> None:
        """Register a v4 Chart's rendered objects as children, as the provider's Construct does."""
        assert self.expand_chart is not None
        children = self.expand_chart(
            chart.name, unwrap_secrets(chart.inputs), self._crds_for(chart.provider)
        )
        for child in children:
            inputs: dict[str, Any] = dict(child.manifest)
            for path in child.secret_paths:
                if path in inputs:
                    inputs[path] = wrap_secret(inputs[path])
            metadata = child.manifest.get("metadata") or {}
            namespace = metadata.get("namespace")
            name = metadata.get("name", child.name)
            self._record(
                Recorded(
                    urn=self.make_urn(chart.urn, child.type_token, child.name),
                    type=child.type_token,
                    name=child.name,
                    custom=True,
                    parent=chart.urn,
                    id=f"{namespace}/{name}" if namespace else str(name),
                    inputs=inputs,
                    outputs=dict(inputs),
                    # (type, name) pairs: names repeat across kinds, URNs do not.
                    dependencies=sorted(
                        self.make_urn(chart.urn, type_token, name)
                        for type_token, name in child.dependencies
                    ),
                    provider=chart.provider,
                    # The engine would record the provider's own Go frame (a path on the machine
                    # that built it); the template is what a reader of the state can act on.
                    source=f"project:///{child.template}#1" if child.template else None,
                    retain_on_delete=child.retain_on_delete,
                )
            )

    def _crds_for(self, provider: str | None) -> list[dict[str, Any]]:
        """CRDs registered so far with ``provider``, in registration order."""
        with self._lock:
            records = list(self.records.values())
        return [
            unwrap_secrets(record.inputs)
            for record in records
            if record.provider == provider
            and record.type.startswith("kubernetes:apiextensions.k8s.io/")
            and record.type.endswith(":CustomResourceDefinition")
        ]

    def RegisterResourceOutputs(self, request: Any) -> Any:
        _ensure_loop()  # type: ignore[no-untyped-call]
        outputs = rpc.deserialize_properties(request.outputs)
        with self._lock:
            record = self.records.get(request.urn)
            if record is not None:
                record.outputs = dict(outputs)
        return empty_pb2.Empty()
