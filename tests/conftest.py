"""Shared fixtures: the real project, previewed once per session, and throwaway copies of it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
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
