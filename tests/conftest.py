"""Shared fixtures: the real project, previewed once per session, and throwaway copies of it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT_PARTS = (
    "Pulumi.yaml",
    "environments.yaml",
    "Pulumi.dev.yaml",
    "Pulumi.staging.yaml",
    "Pulumi.prod.yaml",
    "infra",
    "apps",
    "policies",
)


def copy_project(target: Path) -> Path:
    """A copy of the Pulumi project (program, apps, policies, stacks) under ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy(source, target / part)
    return target


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def _plain_secrets(value: Any, path: str = "") -> list[str]:
    """Where ``value`` holds a secret that is not aksflow's "[secret]" marker."""
    from aksflow.engine.state import SECRET_MARKER
    from tests.export_rules import SECRET_SIG, SIG_KEY

    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return [] if value == SECRET_MARKER else [path]
        return [p for k, v in value.items() for p in _plain_secrets(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _plain_secrets(v, f"{path}[{i}]")]
    return []


@pytest.fixture(scope="session", autouse=True)
def every_state_file_follows_the_cli_rules(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """At the end of the session: every ``state.json`` an aksflow preview wrote passes the rules.

    A preview writes ``charts.json`` beside each ``state.json`` (hand-made fixtures do not), so
    the files are found on disk, whichever process wrote them. The rules are the Pulumi CLI's
    (``tests/export_rules.py``); no secret may be in plaintext and no chart value may appear.
    """
    yield
    from tests.export_rules import problems

    failures: list[str] = []
    for charts in sorted(tmp_path_factory.getbasetemp().rglob("charts.json")):
        state_file = charts.with_name("state.json")
        if not state_file.is_file():
            continue
        text = state_file.read_text()
        found = problems(json.loads(text))
        chart_urns = json.loads(charts.read_text()).get("charts", {})
        state = json.loads(text)
        for resource in state["deployment"]["resources"]:
            if resource["urn"] in chart_urns and resource.get("inputs"):
                found.append(f"{resource['urn']}: chart inputs in state.json")
        found += [f"{where}: a secret other than the marker" for where in _plain_secrets(state)]
        failures += [f"{state_file}: {problem}" for problem in found]
    assert not failures, "\n".join(failures[:20])


@pytest.fixture(scope="session")
def previewed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``aksflow preview`` of the shipped stacks, run once: {stack: StackResult}."""
    from aksflow.preview import run_preview

    out = tmp_path_factory.mktemp("out")
    results = run_preview(ROOT, [], out)
    return {"out": out, **{r.preview.stack: r for r in results}}


@pytest.fixture(scope="session")
def states(previewed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: Path = previewed["out"]
    return {s: json.loads((out / s / "state.json").read_text()) for s in ("dev", "staging", "prod")}


def by_type(state: dict[str, Any], type_token: str) -> list[dict[str, Any]]:
    return [r for r in state["deployment"]["resources"] if r["type"] == type_token]


def one(
    state: dict[str, Any],
    type_token: str,
    predicate: Callable[[dict[str, Any]], bool] = lambda r: True,
) -> dict[str, Any]:
    matches = [r for r in by_type(state, type_token) if predicate(r)]
    assert len(matches) == 1, f"{len(matches)} resources of type {type_token}"
    return matches[0]
