"""Drive pulumi_policy's own analyzer servicer in-process (what the Pulumi CLI talks gRPC to).

``_PolicyAnalyzerServicer`` is private API: pulumi-policy is pinned (1.21.*) and
``tests/policies/test_servicer_contract.py`` guards the parts used here. Calls mirror the engine:
``Configure`` with the reconciled config, ``Analyze`` per resource on its inputs, ``AnalyzeStack``
once on outputs. Enforcement levels, config, unknown values (advisory "can't run policy") and
not-applicable therefore behave as in the CLI.

Speed without changing semantics: a policy that exposes ``resource_types`` (aksflow's wrapper)
returns without effect for any other type, so each resource is sent to a servicer holding only
the policies that can react to its type; policies without ``resource_types`` always go.
"""

from __future__ import annotations

import json
import traceback
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError, _PolicyAnalyzerServicer
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from aksflow.errors import PolicyError

from .config import PolicySettings
from .loader import LoadedPack

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"
_LEVELS = {pb.ADVISORY: "advisory", pb.MANDATORY: "mandatory", pb.REMEDIATE: "mandatory"}
_LEVEL_TO_PB = {
    "advisory": pb.ADVISORY,
    "mandatory": pb.MANDATORY,
    "remediate": pb.REMEDIATE,
    "disabled": pb.DISABLED,
}
_SEVERITIES = {
    pb.POLICY_SEVERITY_LOW: "low",
    pb.POLICY_SEVERITY_MEDIUM: "medium",
    pb.POLICY_SEVERITY_HIGH: "high",
    pb.POLICY_SEVERITY_CRITICAL: "critical",
}


@dataclass(frozen=True)
class Resource:
    """One resource to analyse (from a stack export or a manifest)."""

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any] | None = None
    parent: str = ""
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    provider: Resource | None = None
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnostic:
    """An AnalyzeDiagnostic translated to plain values."""

    policy: str
    level: str
    severity: str
    message: str
    urn: str
    resource_urn: str
    unknown: bool


@dataclass
class Outcome:
    """Everything the servicer said during one run."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    not_applicable: Counter[str] = field(default_factory=Counter)
    evaluated: Counter[str] = field(default_factory=Counter)  # by type


def unwrap_secrets(value: Any) -> Any:
    """Replace secret sig-dicts by their value, or "[secret]" when only ciphertext exists.

    ``value`` is the SDK's wire form; ``plaintext`` is the stack-export form, decoded as the CLI
    decodes it (pulumi ``pkg/resource/stack/deployment.go`` ``secretPropertyValueFromPlaintext``:
    the JSON text of the value). A ``ciphertext`` this process cannot decrypt becomes "[secret]",
    as ``pulumi policy analyze --file`` redacts it (``backendsecrets.BlindingProvider``).
    """
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            if "value" in value:
                return unwrap_secrets(value["value"])
            plaintext = value.get("plaintext")
            if isinstance(plaintext, str) and plaintext:
                return unwrap_secrets(json.loads(plaintext))
            return "[secret]"
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


SUPPORTED_DEPLOYMENT_VERSION = 3


def check_export(state: Mapping[str, Any], source: str) -> None:
    """Refuse what the CLI could not deserialise, naming ``source`` (exit 2).

    An ``UntypedDeployment`` (``sdk/go/common/apitype/core.go``) must be version 3: aksflow
    writes and reads deployment v3 only (the CLI migrates 1 and 2 up and refuses 4 features it
    does not know, ``pkg/resource/stack/deployment.go`` ``UnmarshalUntypedDeployment``). A
    secret must carry exactly one of ``ciphertext`` or ``plaintext``, and ``plaintext`` must be
    JSON (``DeserializePropertyValue``, ``deserializeSecret``).
    """
    if "deployment" in state:
        version = state.get("version")
        if version != SUPPORTED_DEPLOYMENT_VERSION or isinstance(version, bool):
            raise PolicyError(
                f"{source}: version: deployment version {version!r} is not supported; "
                f"aksflow reads stack exports of version {SUPPORTED_DEPLOYMENT_VERSION} "
                "(`pulumi stack export` of a current CLI)"
            )
    _check_secrets(state, source, "")


def _check_secrets(value: Any, source: str, path: str) -> None:
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG and "value" not in value:
            cipher, plain = value.get("ciphertext"), value.get("plaintext")
            cipher_ok, plain_ok = isinstance(cipher, str), isinstance(plain, str)
            if cipher_ok == plain_ok or not (cipher or plain):
                raise PolicyError(
                    f"{source}: {path or '.'}: malformed secret value: exactly one of "
                    "`ciphertext` or `plaintext` must be supplied"
                )
            if isinstance(plain, str):
                try:
                    json.loads(plain)
                except json.JSONDecodeError as exc:
                    raise PolicyError(
                        f"{source}: {path or '.'}: malformed secret value: plaintext is not JSON: "
                        f"{exc.msg}"
                    ) from None
            return
        for key, item in value.items():
            _check_secrets(item, source, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_secrets(item, source, f"{path}[{index}]")


def to_struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    """Plain JSON object -> protobuf Struct (numbers become doubles, as on the wire)."""
    s = struct_pb2.Struct()
    s.update(unwrap_secrets(dict(value)))
    return s


def _options(r: Resource) -> pb.AnalyzerResourceOptions:
    return pb.AnalyzerResourceOptions(
        protect=r.protect, ignoreChanges=list(r.ignore_changes), parent=r.parent
    )


def _provider(r: Resource) -> pb.AnalyzerProviderResource | None:
    p = r.provider
    if p is None:
        return None
    return pb.AnalyzerProviderResource(
        type=p.type, properties=to_struct(p.inputs), urn=p.urn, name=p.name
    )


def _failing_policy(exc: BaseException) -> str:
    """Name of the policy whose validate raised, read from the servicer's frame."""
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        policy = frame.f_locals.get("policy")
        if frame.f_code.co_name in ("Analyze", "AnalyzeStack") and policy is not None:
            return str(getattr(policy, "name", "?"))
    return "?"


def _raised(what: str, exc: Exception, pack_dir: Path) -> PolicyError:
    """``<pack file>:<line>: <what>: ValueError: <first line>``, the message's other lines below.

    The line is the innermost traceback frame in the pack's own files: the policy's code.
    """
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if Path(f.filename).is_relative_to(pack_dir)
    ]
    where = f"{frames[-1].filename}:{frames[-1].lineno}: " if frames else ""
    first, *rest = str(exc).splitlines() or [""]
    headline = f"{where}{what}: {type(exc).__name__}: {first}".rstrip()
    return PolicyError("\n".join([headline, *(f"  {line}" for line in rest)]))


class Analyzer:
    """A configured set of servicers for one pack and one reconciled config."""

    def __init__(self, pack: LoadedPack, settings: Mapping[str, PolicySettings]) -> None:
        self.pack = pack
        self.settings = settings
        self._configure = pb.ConfigureAnalyzerRequest(
            policyConfig={
                name: pb.PolicyConfig(
                    enforcementLevel=_LEVEL_TO_PB[s.level],
                    properties=to_struct(s.properties),
                )
                for name, s in settings.items()
            }
        )
        self.enabled = [p for p in pack.policies if settings[p.name].level != "disabled"]
        self.severity = {
            p.name: getattr(p.severity, "value", None) or "medium" for p in pack.policies
        }
        self._resource_policies = [
            p for p in self.enabled if not isinstance(p, StackValidationPolicy)
        ]
        self._stack_policies = [p for p in self.enabled if isinstance(p, StackValidationPolicy)]
        self._by_type: dict[str, _PolicyAnalyzerServicer | None] = {}
        self._by_key: dict[tuple[str, ...], _PolicyAnalyzerServicer] = {}

    def _servicer(self, policies: list[Any]) -> _PolicyAnalyzerServicer:
        key = tuple(p.name for p in policies)
        servicer = self._by_key.get(key)
        if servicer is None:
            servicer = _PolicyAnalyzerServicer(
                self.pack.name,
                self.pack.version,
                list(policies),
                self.pack.enforcement_level,
                self.pack.initial_config,
            )
            servicer.Configure(self._configure, None)  # type: ignore[no-untyped-call]
            self._by_key[key] = servicer
        return servicer

    def applicable(self, type_token: str) -> list[Any]:
        """Enabled resource policies that can react to a type."""
        return [
            p
            for p in self._resource_policies
            if getattr(p, "resource_types", None) is None or type_token in p.resource_types
        ]

    def servicer_for(self, type_token: str) -> _PolicyAnalyzerServicer | None:
        """The servicer for a resource type (None when no enabled policy applies)."""
        if type_token not in self._by_type:
            policies = self.applicable(type_token)
            self._by_type[type_token] = self._servicer(policies) if policies else None
        return self._by_type[type_token]

    def _collect(self, response: Any, resource_urn: str, out: Outcome) -> None:
        for d in response.diagnostics:
            unknown = d.message.startswith(f"can't run policy '{d.policyName}'")
            out.diagnostics.append(
                Diagnostic(
                    policy=d.policyName,
                    level=_LEVELS.get(d.enforcementLevel, "advisory"),
                    severity=_SEVERITIES.get(d.severity)
                    or self.severity.get(d.policyName, "medium"),
                    message=d.message,
                    urn=d.urn or resource_urn,
                    resource_urn=resource_urn,
                    unknown=unknown,
                )
            )
        for na in response.not_applicable:
            out.not_applicable[na.policy_name] += 1

    def analyze(self, resources: Iterable[Resource], out: Outcome) -> None:
        """``Analyze`` each resource on its inputs."""
        for r in resources:
            servicer = self.servicer_for(r.type)
            if servicer is None:
                continue
            request = pb.AnalyzeRequest(
                type=r.type,
                properties=to_struct(r.inputs),
                urn=r.urn,
                name=r.name,
                options=_options(r),
                provider=_provider(r),
            )
            try:
                response = servicer.Analyze(request, None)  # type: ignore[no-untyped-call]
            except Exception as exc:
                raise _raised(
                    f"policy {_failing_policy(exc)!r} raised on {r.urn}", exc, self.pack.directory
                ) from exc
            out.evaluated[r.type] += 1
            self._collect(response, r.urn, out)

    def analyze_stack(self, resources: Sequence[Resource], out: Outcome) -> None:
        """``AnalyzeStack`` once, on outputs only, as pulumi ``AnalyzeSnapshot`` does.

        (``pkg/resource/deploy/analyze_snapshot.go``: "AnalyzeStack receives Outputs (final
        deployed state) rather than Inputs"; a component without outputs shows none.)
        """
        if not self._stack_policies:
            return
        servicer = self._servicer(self._stack_policies)
        request = pb.AnalyzeStackRequest(
            resources=[
                pb.AnalyzerResource(
                    type=r.type,
                    properties=to_struct(r.outputs or {}),
                    urn=r.urn,
                    name=r.name,
                    options=_options(r),
                    provider=_provider(r),
                    parent=r.parent,
                    dependencies=list(r.dependencies),
                    propertyDependencies={
                        k: pb.AnalyzerPropertyDependencies(urns=list(v))
                        for k, v in r.property_dependencies.items()
                    },
                )
                for r in resources
            ]
        )
        try:
            response = servicer.AnalyzeStack(request, None)  # type: ignore[no-untyped-call]
        except Exception as exc:
            raise _raised(
                f"stack policy {_failing_policy(exc)!r} raised", exc, self.pack.directory
            ) from exc
        self._collect(response, "", out)


def wire(value: Any) -> Any:
    """What a protobuf Struct round trip makes of plain JSON: ints become floats."""
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, Mapping):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [wire(v) for v in value]
    return value


class FastAnalyzer(Analyzer):
    """The servicer's Analyze/AnalyzeStack loop without per-policy protobuf round trips.

    Only for policies built by the aksflow pack (``AksflowResourcePolicy`` /
    ``AksflowStackPolicy``, recognised by their ``rule`` attribute): their validators only read
    ``args.props``, so one deserialised, unknown-checking proxy per resource can be shared by all
    of them. Everything else the servicer does is reproduced line for line (levels, remediate ->
    mandatory, config copies, message format, UnknownValueError -> advisory "can't run policy",
    not_applicable); ``tests/policies/test_fast_path.py`` asserts identical output on the PSS
    corpus and the state fixtures. Packs with any other policy fall back to the servicer. The
    stack-export gate (``evaluate_state``) always uses the servicer.
    """

    def __init__(self, pack: LoadedPack, settings: Mapping[str, PolicySettings]) -> None:
        super().__init__(pack, settings)
        self.usable = all(hasattr(p, "rule") for p in pack.policies)
        self._config: dict[str, dict[str, Any] | None] = {}
        for name, s in settings.items():
            props = json_format.MessageToDict(to_struct(s.properties))
            self._config[name] = props or None

    def _diag(
        self, policy: Any, level: str, message: str, urn: str, resource_urn: str
    ) -> Diagnostic:
        return Diagnostic(
            policy=policy.name,
            level=level,
            severity=self.severity[policy.name],
            message=message,
            urn=urn or resource_urn,
            resource_urn=resource_urn,
            unknown=False,
        )

    def _run(self, policy: Any, args: Any, resource_urn: str, out: Outcome) -> None:
        level = self.settings[policy.name].level
        level = "mandatory" if level == "remediate" else level

        def report(message: str, urn: str | None = None) -> None:
            text = policy.description + (f"\n{message}" if message else "")
            out.diagnostics.append(self._diag(policy, level, text, urn or "", resource_urn))

        try:
            result = policy.validate(args, report)
            if result is not None:  # our validators are synchronous
                raise PolicyError(f"policy {policy.name!r} returned an awaitable")
        except UnknownValueError as e:
            out.diagnostics.append(
                Diagnostic(
                    policy=policy.name,
                    level="advisory",
                    severity=self.severity[policy.name],
                    message=(
                        f"can't run policy '{policy.name}' from policy pack "
                        f"'{self.pack.name}@v{self.pack.version}' during preview: {e.message}"
                    ),
                    urn=resource_urn,
                    resource_urn=resource_urn,
                    unknown=True,
                )
            )
        except _NotApplicableError:
            out.not_applicable[policy.name] += 1
        except PolicyError:
            raise
        except Exception as exc:
            raise _raised(
                f"policy {policy.name!r} raised on {resource_urn}", exc, self.pack.directory
            ) from exc

    def _cfg(self, name: str) -> dict[str, Any] | None:
        config = self._config.get(name)
        return dict(config) if config else None

    def analyze(self, resources: Iterable[Resource], out: Outcome) -> None:
        """Analyze each resource with one shared proxy."""
        if not self.usable:
            super().analyze(resources, out)
            return
        opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
        for r in resources:
            policies = self.applicable(r.type)
            if not policies:
                continue
            props = unknown_checking_proxy(wire(unwrap_secrets(dict(r.inputs))))
            for policy in policies:
                args = ResourceValidationArgs(
                    r.type, props, r.urn, r.name, opts, None, self._cfg(policy.name), {}
                )
                self._run(policy, args, r.urn, out)
            out.evaluated[r.type] += 1

    def analyze_stack(self, resources: Sequence[Resource], out: Outcome) -> None:
        """Stack policies on shared PolicyResource objects."""
        if not self.usable:
            super().analyze_stack(resources, out)
            return
        if not self._stack_policies:
            return
        opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
        stack_resources = [
            PolicyResource(
                r.type,
                unknown_checking_proxy(wire(unwrap_secrets(dict(r.outputs or {})))),
                r.urn,
                r.name,
                opts,
                None,
                None,
                [],
                {},
            )
            for r in resources
        ]
        for policy in self._stack_policies:
            args = StackValidationArgs(stack_resources, self._cfg(policy.name), {})
            self._run(policy, args, "", out)
