"""Helpers for the policy tests: the real pack, its configs and pure-rule runners."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PACK = REPO / "policies"
CONFIGS = PACK / "config"
DATA = Path(__file__).resolve().parent / "data"

if str(PACK) not in sys.path:  # the pack's modules are importable the way the CLI runs them
    sys.path.insert(0, str(PACK))


def run_rule(
    name: str, type_token: str, props: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[Any]:
    """Findings of one resource rule (pure function), [] when not applicable."""
    model, pack = pm("model"), pm("pack")
    try:
        findings: list[Any] = pack.RULES_BY_NAME[name].run(
            model.Subject(type_token, "x", props), config
        )
    except model.NotApplicable:
        return []
    return findings


def pm(module: str) -> Any:
    """A module of the pack (imported the way the CLI does, from policies/ on sys.path)."""
    return importlib.import_module(f"aksflow_policies.{module}")
