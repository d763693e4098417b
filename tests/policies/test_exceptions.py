"""Policy exceptions: the file's rules, and their effect in ``policy analyze`` and SARIF."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from aksflow.cli import main
from aksflow.errors import ConfigError
from aksflow.policy.exceptions import (
    EXPIRED_POLICY,
    Target,
    apply_exceptions,
    parse_exceptions,
    pending,
)
from aksflow.policy.report import Violation

from . import fixtures as fx
from .conftest import CONFIGS, DATA, PACK

VALID = """\
exceptions:
  - policy: pss-privileged
    environment: prod
    resource:
      kind: Deployment
      namespace: app*
      name: web
    owner: "@contoso/web-team"
    reason: The web agent needs privileged mode until OPS-123 ships.
    expires: 2099-12-31
  - policy: k8s-probes
    stack: dev
    resource:
      urn: "urn:pulumi:dev::*"
    owner: platform@contoso.example
    reason: Dev stacks run probe-less debug builds.
    expires: 2020-01-31
"""


def _violation(policy: str, urn: str = "urn:x::web") -> Violation:
    return Violation(policy, "mandatory", "high", urn, "infra/x.py", 1, "desc\nfinding")


def test_a_valid_file_parses_with_lines_and_dates() -> None:
    first, second = parse_exceptions(VALID, "policies/exceptions.yaml")
    assert (first.policy, first.environment, first.stack) == ("pss-privileged", "prod", None)
    assert first.selector == "kind=Deployment namespace=app* name=web"
    assert first.expires == dt.date(2099, 12, 31) and first.line == 2
    assert (second.stack, second.urn, second.line) == ("dev", "urn:pulumi:dev::*", 11)
    assert parse_exceptions("", "f.yaml") == () and parse_exceptions("exceptions: []\n", "f") == ()


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("exceptions:\n  - policy: x\n", "exceptions[0]: 'resource' is a required property"),
        (VALID.replace('    owner: "@contoso/web-team"\n', ""), "exceptions[0]: 'owner'"),
        (VALID.replace("expires: 2099-12-31", "expires: soon"), "exceptions[0].expires"),
        (VALID.replace("expires: 2099-12-31", "expires: 2099-02-30"), "exceptions[0].expires"),
        (VALID.replace("    stack: dev\n", ""), "exceptions[1]: give exactly one of"),
        (VALID.replace("    environment: prod\n", "    environment: prod\n    stack: p\n"), "[0]"),
        (VALID.replace("      kind: Deployment", "      kinds: Deployment"), "resource"),
        ("exceptions:\n  - [unclosed\n", "invalid YAML"),
        (
            VALID.replace("    owner: platform", "    owner: x\n    owner: platform"),
            "already defined",
        ),
        ("- just a list\n", "(top level)"),
    ],
)
def test_a_malformed_file_is_an_error_naming_file_and_key(text: str, where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_exceptions(text, "policies/exceptions.yaml")
    message = str(caught.value)
    assert message.startswith("policies/exceptions.yaml") and where in message, message


def test_selectors_scope_and_expiry() -> None:
    exceptions = parse_exceptions(VALID, "policies/exceptions.yaml")
    web = Target("prod", "prod", "urn:x::web", "Deployment", "apps", "web")
    other = Target("prod", "prod", "urn:x::api", "Deployment", "apps", "api")
    applied = apply_exceptions(
        [_violation("pss-privileged"), _violation("pss-privileged", "urn:x::api")],
        {"urn:x::web": web, "urn:x::api": other},
        exceptions,
        stack="prod",
        environment="prod",
        today=dt.date(2026, 11, 29),
    )
    assert [v.urn for v in applied.excepted] == ["urn:x::web"]
    assert applied.excepted[0].exception is not None
    assert applied.excepted[0].exception.owner == "@contoso/web-team"
    assert [v.urn for v in applied.active] == ["urn:x::api"]
    assert applied.expired == ()  # the expired entry is about dev only
    in_staging = apply_exceptions(
        [_violation("pss-privileged")],
        {"urn:x::web": Target("staging", "staging", "urn:x::web", "Deployment", "apps", "web")},
        exceptions,
        stack="staging",
        environment="staging",
    )
    assert in_staging.excepted == ()


def test_an_expired_exception_applies_no_more_and_is_a_violation_naming_its_owner() -> None:
    exceptions = parse_exceptions(VALID, "policies/exceptions.yaml")
    urn = "urn:pulumi:dev::aksflow::x::web"
    applied = apply_exceptions(
        [_violation("k8s-probes", urn)],
        {},
        exceptions,
        stack="dev",
        environment="dev",
        today=dt.date(2020, 2, 1),
    )
    assert [v.policy for v in applied.active] == ["k8s-probes"]
    (expired,) = applied.expired
    assert expired.policy == EXPIRED_POLICY and expired.level == "mandatory"
    assert "platform@contoso.example" in expired.message and "2020-01-31" in expired.message
    assert (expired.file, expired.line) == ("policies/exceptions.yaml", 11)
    on_the_day = apply_exceptions(
        [_violation("k8s-probes", urn)], {}, exceptions, stack="dev", environment="dev",
        today=dt.date(2020, 1, 31),
    )  # fmt: skip
    assert on_the_day.expired == () and len(on_the_day.excepted) == 1


def test_pending_is_what_the_head_adds() -> None:
    base = parse_exceptions(VALID, "a")[:1]
    head = parse_exceptions(VALID, "a")
    assert [e.policy for e in pending(base, head)] == ["k8s-probes"]
    assert pending(head, head) == ()


def _bad_state(tmp_path: Path) -> str:
    state = fx.good_state()
    spec = state["deployment"]["resources"][5]["inputs"]["spec"]["template"]["spec"]
    spec["containers"][0]["securityContext"]["privileged"] = True
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    return str(path)


def _analyze(tmp_path: Path, exceptions: str, *extra: str) -> Any:
    exceptions_file = tmp_path / "exceptions.yaml"
    exceptions_file.write_text(exceptions)
    args = ["policy", "analyze", "--state", _bad_state(tmp_path)]
    args += ["--config", str(CONFIGS / "prod.json"), "--pack", str(PACK)]
    return CliRunner().invoke(main, [*args, "--exceptions", str(exceptions_file), *extra])


def test_policy_analyze_excepts_and_sarif_carries_the_suppression(tmp_path: Path) -> None:
    blocked = _analyze(tmp_path, "exceptions: []\n", "--format", "json")
    assert blocked.exit_code == 1
    assert any(v["policy"] == "pss-privileged" for v in json.loads(blocked.output)["violations"])
    result = _analyze(tmp_path, VALID, "--format", "sarif")
    assert result.exit_code == 0, result.output
    sarif = json.loads(result.output)
    jsonschema.validate(sarif, json.loads((DATA / "sarif-2.1.0-subset.schema.json").read_text()))
    (suppressed,) = [r for r in sarif["runs"][0]["results"] if "suppressions" in r]
    assert suppressed["ruleId"] == "pss-privileged"
    (suppression,) = suppressed["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert "OPS-123" in suppression["justification"]
    assert "@contoso/web-team" in suppression["justification"]
    text = _analyze(tmp_path, VALID)
    assert "excepted" in text.output and "OPS-123" in text.output


def test_policy_analyze_with_a_malformed_exceptions_file_exits_2(tmp_path: Path) -> None:
    result = _analyze(tmp_path, VALID.replace("expires: 2099-12-31", "expires: someday"))
    assert result.exit_code == 2
    assert "exceptions.yaml: exceptions[0].expires" in result.output


def test_an_exception_for_an_unknown_policy_is_an_error(tmp_path: Path) -> None:
    result = _analyze(tmp_path, VALID.replace("policy: pss-privileged", "policy: pss-privilegd"))
    assert result.exit_code == 2
    assert "unknown policy 'pss-privilegd'" in result.output
