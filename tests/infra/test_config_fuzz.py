"""Fuzzing the config loader: any stack file is accepted or refused with one clear line, never a crash.

Stack files are generated from the shipped dev stack's effective config (the dev profile of
environments.yaml with Pulumi.dev.yaml over it, so every setting is written in the stack file):
values replaced by hostile ones (markup,
secrets, wrong types, deep nesting, aliases, tags, YAML 1.1 spellings), keys added, removed or
made non-strings, and raw text spliced in. Every one goes through the same path as
``aksflow preview``: :func:`aksflow.project.load_stack_config` then :func:`infra.config.load`.
Deterministic and bounded: derandomized, a fixed number of examples, no example database.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aksflow.errors import AksflowError
from aksflow.project import load_project, load_stack_config
from infra.config import load
from infra.defaults import BASE
from tests.conftest import ROOT

_ENVIRONMENTS = yaml.safe_load((ROOT / "environments.yaml").read_text())["environments"]
PROFILE = next(e for e in _ENVIRONMENTS if e["name"] == "dev")["config"]
DEV = {**PROFILE, **yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]}
KEYS = sorted({*DEV, *BASE})

SCALARS = st.one_of(
    st.sampled_from(
        [
            *("[/x]", "[secret]", "[bold]x[/bold]", "yes", "no", "on", "off", "0o17", "017"),
            *("1:20", "0x1F", "1_000", "1e3", ".inf", "~", "", "Free", "Standard", "-1"),
        ]
    ),
    st.text(max_size=20),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(KEYS)), inner, max_size=4),
    ),
    max_leaves=12,
)
RAW_LINES = st.sampled_from(
    [
        "  1: foo",
        "  true: x",
        "  ? [a]\n  : b",
        "  aksflow:skuTier: Free",
        "  aksflow:x: &a [1, 2]\n  aksflow:y: *a",
        "  aksflow:y: *missing",
        "  aksflow:z: !!int abc",
        "  aksflow:z: !!binary '@@'",
        "  aksflow:w: " + "[" * 300 + "]" * 300,
        "\t- tab",
        "  aksflow:q: 'unterminated",
        "---\nother: doc",
        "  <<: {aksflow:skuTier: Premium}",
        "  aksflow:nodePools: {secure: AAAA}",
        "\x00",
    ]
)


@st.composite
def stack_files(draw: st.DrawFn) -> str:
    config: dict[Any, Any] = dict(DEV)
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=4, unique=True)):
        if draw(st.booleans()):
            config.pop(key, None)
        else:
            config[key] = draw(VALUES)
    if draw(st.booleans()):
        config[draw(st.sampled_from(KEYS))] = {"secure": draw(st.text(max_size=10))}
    text = yaml.safe_dump({"config": config}, allow_unicode=True)
    for line in draw(st.lists(RAW_LINES, max_size=2)):
        text += line + "\n"
    return text


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    for name in ("Pulumi.yaml", "environments.yaml"):
        shutil.copy(ROOT / name, root / name)
    return root


@settings(
    max_examples=250,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=stack_files())
def test_any_stack_file_is_accepted_or_refused_clearly(fuzz_project: Path, text: str) -> None:
    (fuzz_project / "Pulumi.fuzz.yaml").write_text(text, encoding="utf-8")
    try:
        project = load_project(fuzz_project)
        stack = load_stack_config(project, "fuzz")
        load("fuzz", stack.values, stack.secret_keys)
    except AksflowError as exc:
        message = str(exc)
        assert exc.exit_code == 2
        headline = message.splitlines()[0]
        assert headline.startswith(("Pulumi.fuzz.yaml", "Pulumi.yaml")), message
        assert "Traceback" not in message
        # A secret's text is never echoed back.
        for value in _secure_values(text):
            assert f"'{value}'" not in message
    # Anything else (TypeError, RecursionError, ...) fails the test: the loader crashed.


def _secure_values(text: str) -> list[str]:
    try:
        doc = yaml.safe_load(text)
    except Exception:  # PyYAML is only the test's oracle for secure values; it may choke
        return []
    config = doc.get("config") if isinstance(doc, dict) else None
    if not isinstance(config, dict):
        return []
    return [
        str(v["secure"])
        for v in config.values()
        if isinstance(v, dict) and set(v) == {"secure"} and len(str(v["secure"])) > 3
    ]


@st.composite
def profiles(draw: st.DrawFn) -> dict[Any, Any]:
    """The dev profile with hostile values, keys removed, added or made non-strings."""
    config: dict[Any, Any] = dict(PROFILE)
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=4, unique=True)):
        if draw(st.booleans()):
            config.pop(key, None)
        else:
            config[key] = draw(VALUES)
    if draw(st.booleans()):
        config[draw(st.one_of(st.text(max_size=12), st.integers(), st.sampled_from(KEYS)))] = draw(
            VALUES
        )
    return config


@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(config=profiles())
def test_any_profile_is_accepted_or_refused_naming_environments_yaml(
    config: dict[Any, Any],
) -> None:
    from aksflow.environments import ENVIRONMENTS_FILE, parse

    doc = {"environments": [{**_ENVIRONMENTS[0], "config": config}, *_ENVIRONMENTS[1:]]}
    stack = {"aksflow:environment": "dev", "aksflow:vnetAddressSpace": "10.10.0.0/16"}
    try:
        load("dev", stack, frozenset(), parse(Path(ENVIRONMENTS_FILE), doc))
    except AksflowError as exc:
        message = str(exc)
        assert exc.exit_code == 2
        assert message.startswith(f"{ENVIRONMENTS_FILE}: environments[0].config"), message
        assert "Traceback" not in message
