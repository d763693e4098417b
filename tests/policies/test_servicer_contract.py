"""Contract test for pulumi_policy's private _PolicyAnalyzerServicer (pinned 1.21.*).

The gate relies on: the constructor signature, Configure/Analyze/AnalyzeStack taking protobufs
from pulumi.runtime.proto.analyzer_pb2, a missing enforcementLevel meaning ADVISORY, the
description+newline+message format, unknown values -> advisory "can't run policy", and
not_applicable entries.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE
from pulumi_policy.version import VERSION


def _policy(seen: list[Any]) -> ResourceValidationPolicy:
    def validate(args: Any, report: Any) -> None:
        seen.append(args.get_config())
        if args.props.get("skip"):
            args.not_applicable("skip me")
        if args.props["name"] == "bad":
            report("it is bad")

    return ResourceValidationPolicy(
        name="p",
        description="desc",
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
    )


def _analyze(servicer: Any, props: dict[str, Any]) -> Any:
    s = struct_pb2.Struct()
    s.update(props)
    return servicer.Analyze(
        pb.AnalyzeRequest(type="t:m:R", properties=s, urn="urn:x", name="x"), None
    )


def test_servicer_contract() -> None:
    assert VERSION.startswith("1.21")
    seen: list[Any] = []
    servicer = _PolicyAnalyzerServicer(
        "pack", "1.0.0", [_policy(seen)], EnforcementLevel.ADVISORY, None
    )
    # Without Configure the policy's own level applies.
    d = _analyze(servicer, {"name": "bad"}).diagnostics[0]
    assert (d.policyName, d.enforcementLevel, d.severity) == (
        "p",
        pb.MANDATORY,
        pb.POLICY_SEVERITY_HIGH,
    )
    assert d.message == "desc\nit is bad" and d.urn == ""
    # A PolicyConfig without enforcementLevel is ADVISORY (why the gate always sets it).
    props = struct_pb2.Struct()
    props.update({"n": 3})
    servicer.Configure(  # type: ignore[no-untyped-call]
        pb.ConfigureAnalyzerRequest(policyConfig={"p": pb.PolicyConfig(properties=props)}), None
    )
    assert _analyze(servicer, {"name": "bad"}).diagnostics[0].enforcementLevel == pb.ADVISORY
    assert seen[-1] == {"n": 3.0}  # numbers arrive as floats
    # Unknowns: advisory "can't run policy".
    d = _analyze(servicer, {"name": UNKNOWN_STRING_VALUE}).diagnostics[0]
    assert d.message.startswith(
        "can't run policy 'p' from policy pack 'pack@v1.0.0' during preview"
    )
    assert d.enforcementLevel == pb.ADVISORY
    # not_applicable.
    na = _analyze(servicer, {"name": "ok", "skip": True}).not_applicable[0]
    assert (na.policy_name, na.reason) == ("p", "skip me")


def test_stack_servicer_contract() -> None:
    def validate(args: Any, report: Any) -> None:
        for r in args.resources:
            if r.parent is not None:
                report("child", r.urn)

    policy = StackValidationPolicy(name="s", description="d", validate=validate)
    servicer = _PolicyAnalyzerServicer("pack", "1.0.0", [policy], EnforcementLevel.MANDATORY, None)
    res = [
        pb.AnalyzerResource(type="a", urn="urn:a", name="a"),
        pb.AnalyzerResource(type="b", urn="urn:b", name="b", parent="urn:a"),
    ]
    request = pb.AnalyzeStackRequest(resources=res)
    out = servicer.AnalyzeStack(request, None)  # type: ignore[no-untyped-call]
    assert [(d.urn, d.enforcementLevel) for d in out.diagnostics] == [("urn:b", pb.MANDATORY)]
