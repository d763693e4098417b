"""The trusted gate end to end: real git histories, real previews, the base's aksflow judging.

The repository carries its own copy of ``aksflow/`` (as this one does), so the gate runs from
the base's checkout. Pull requests branch from ``base``:

- ``weaken``: the self-weakening pull request. It sets ``pss-privileged`` to advisory in the
  prod config, makes the web container privileged in prod, and sabotages the head's copy of
  the gate. The base's rules still judge it: exit 1, naming the policy.
- ``loosen`` then ``tighten``: prod's level back from advisory to mandatory with a privileged
  container in the same PR: a tightening takes effect at once.
- on ``main``: ``privileged`` (merged, say, with a temporary waiver), then ``pending`` adds an
  exception for the privileged web Deployment: it is pending (exceptions are read from the base
  only), so that PR is still blocked; ``applied``, a later change, finds it on the base: it
  applies. ``expire`` then ``expired``: its date has passed; an expired exception is itself a
  violation naming the owner, and the finding it covered is back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.diff import gitrepo
from tests.diff.test_e2e import COPIED as E2E_COPIED
from tests.diff.test_e2e import ROOT, run_diff, stack

COPIED = (*E2E_COPIED, "aksflow")
OWNER = "@contoso/web-team"
EXCEPTION = f"""\
# Reviewed exceptions to the policy pack (docs/pipeline.md).
exceptions:
  - policy: pss-privileged
    environment: prod
    resource:
      kind: Deployment
      namespace: web
      name: web
    owner: "{OWNER}"
    reason: The web agent needs privileged mode until OPS-123 ships its replacement.
    expires: 2099-12-31
"""


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path}: {old!r} not found (the project changed; update the scenario)"
    path.write_text(text.replace(old, new, 1))


def _set_level(repo: Path, policy: str, level: str) -> None:
    path = repo / "policies" / "config" / "prod.json"
    config = json.loads(path.read_text())
    config[policy]["enforcementLevel"] = level
    path.write_text(json.dumps(config, indent=2) + "\n")


def _weaken(repo: Path) -> None:
    _set_level(repo, "pss-privileged", "advisory")
    _privileged_web(repo)
    # The head's copy of the gate now passes everything: it must not be the one that judges.
    _edit(repo / "aksflow" / "policy" / "trusted.py", "    return worst\n", "    return 0\n")
    _edit(
        repo / "aksflow" / "policy" / "gate.py",
        "    violations.sort(key=Violation.sort_key)\n",
        "    violations.clear()\n",
    )


def _privileged_web(repo: Path) -> None:
    chart = repo / "apps" / "web" / "chart"
    _edit(
        chart / "templates" / "deployment.yaml",
        "privileged: false",
        "privileged: {{ .Values.privileged | default false }}",
    )
    schema = json.loads((chart / "values.schema.json").read_text())
    schema["properties"]["privileged"] = {"type": "boolean"}
    (chart / "values.schema.json").write_text(json.dumps(schema, indent=2) + "\n")
    values = repo / "apps" / "web" / "values-prod.yaml"
    values.write_text(values.read_text() + "privileged: true\n")


def _loosen(repo: Path) -> None:
    _set_level(repo, "pss-privileged", "advisory")


def _tighten(repo: Path) -> None:
    _set_level(repo, "pss-privileged", "mandatory")
    _privileged_web(repo)


def _pending(repo: Path) -> None:
    (repo / "policies" / "exceptions.yaml").write_text(EXCEPTION)


def _touch_prod(repo: Path) -> None:
    stack_file = repo / "Pulumi.prod.yaml"
    stack_file.write_text(stack_file.read_text() + "# reviewed\n")


def _retention(repo: Path) -> None:
    stack_file = repo / "Pulumi.prod.yaml"
    stack_file.write_text(stack_file.read_text() + "  aksflow:logRetentionDays: 180\n")


def _expire(repo: Path) -> None:
    _edit(repo / "policies" / "exceptions.yaml", "2099-12-31", "2020-01-31")


BRANCHES = {
    "pr-weaken": [("weaken", _weaken)],
    "pr-tighten": [("loosen", _loosen), ("tighten", _tighten)],
    "main": [
        ("privileged", _privileged_web),
        ("pending", _pending),
        ("applied", _retention),
        ("expire", _expire),
        ("expired", _touch_prod),
    ],
}


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("gate-e2e") / "repo"
    gitrepo.init(repo)
    gitrepo.copy_project(ROOT, repo, COPIED)
    (repo / "policies" / "exceptions.yaml").unlink(missing_ok=True)
    gitrepo.commit(repo, "base")
    gitrepo.git(repo, "tag", "base")
    for branch, scenarios in BRANCHES.items():
        if branch == "main":
            gitrepo.git(repo, "checkout", "-q", "main")
        else:
            gitrepo.git(repo, "checkout", "-q", "-b", branch, "base")
        gitrepo.commit_scenarios(repo, scenarios)
    return repo


def _findings(doc: dict[str, Any], key: str = "violations") -> list[dict[str, Any]]:
    return list(stack(doc, "prod")["policy"]["head"][key])


def _privileged(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in findings if v["policy"] == "pss-privileged" and "::web" in v["urn"]]


def test_the_self_weakening_pr_is_judged_by_the_base_and_blocked(history: Path) -> None:
    result, doc, comment = run_diff(history, "weaken", "prod")
    assert result.exit_code == 1, result.output
    blocking = _privileged(_findings(doc))
    assert blocking and all(v["level"] == "mandatory" for v in blocking)
    assert "pss-privileged" in comment
    changes = [c for c in doc["policyChanges"] if c["subject"] == "pss-privileged"]
    assert {(c["kind"], c["old"], c["new"], c["loosened"]) for c in changes} == {
        ("level", "mandatory", "advisory", True)
    }
    assert any(r["level"] == "high" and "pss-privileged" in r["message"] for r in doc["risks"]), (
        doc["risks"]
    )


def test_a_tightening_takes_effect_at_once(history: Path) -> None:
    result, doc, _ = run_diff(history, "tighten", "prod")
    assert result.exit_code == 1
    assert _privileged(_findings(doc))
    changes = [c for c in doc["policyChanges"] if c["kind"] == "level"]
    assert [(c["subject"], c["loosened"]) for c in changes] == [("pss-privileged", False)]


def test_an_exception_added_in_the_pr_is_pending_and_does_not_apply(history: Path) -> None:
    result, doc, comment = run_diff(history, "pending", "prod")
    assert result.exit_code == 1
    assert _privileged(_findings(doc)) and not _findings(doc, "excepted")
    pending = [c for c in doc["policyChanges"] if c["kind"] == "exception"]
    assert len(pending) == 1 and pending[0]["loosened"] is True
    assert pending[0]["subject"] == "pss-privileged" and "pending" in pending[0]["detail"]
    assert any(r["level"] == "high" and "exception" in r["message"] for r in doc["risks"])
    assert "pending" in comment


def test_an_exception_on_the_base_applies(history: Path) -> None:
    result, doc, comment = run_diff(history, "applied", "prod")
    assert result.exit_code == 0, result.output
    assert not _privileged(_findings(doc))
    excepted = _privileged(_findings(doc, "excepted"))
    assert excepted and excepted[0]["exception"]["owner"] == OWNER
    assert excepted[0]["exception"]["file"] == "policies/exceptions.yaml"
    assert "Excepted" in comment and OWNER.replace("@", "@\u200b") in comment


def test_an_expired_exception_fails_and_names_its_owner(history: Path) -> None:
    result, doc, comment = run_diff(history, "expired", "prod")
    assert result.exit_code == 1
    expired = [v for v in _findings(doc) if v["policy"] == "aksflow-exception-expired"]
    assert expired and expired[0]["level"] == "mandatory"
    assert OWNER in expired[0]["message"] and "2020-01-31" in expired[0]["message"]
    assert expired[0]["file"] == "policies/exceptions.yaml" and expired[0]["line"] == 3
    assert _privileged(_findings(doc)) and not _findings(doc, "excepted")
    assert "aksflow-exception-expired" in comment
