"""Secrets appear only as Pulumi's secret marker: in state, policy reports and on the terminal."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from aksflow.engine.runner import preview_stack
from aksflow.engine.state import SECRET_MARKER
from aksflow.errors import ConfigError
from aksflow.preview import run_preview
from aksflow.project import SECRET_PLACEHOLDER, load_project, load_stack_config
from tests.conftest import one

# Fragments of the kubeconfig the mock credentials invoke returns.
KUBECONFIG_FRAGMENTS = (
    "kubelogin",
    "certificate-authority-data",
    "clusterUser_",
    "current-context",
)


def test_kubeconfig_is_a_secret_marker_everywhere(
    previewed: dict[str, Any], states: dict[str, Any]
) -> None:
    out: Path = previewed["out"]
    for stack, state in states.items():
        provider = one(state, "pulumi:providers:kubernetes")
        assert provider["inputs"]["kubeconfig"] == SECRET_MARKER
        assert state["deployment"]["resources"][0]["outputs"]["kubeconfig"] == SECRET_MARKER
        for name in ("state.json", "policy.json"):
            text = (out / stack / name).read_text()
            for fragment in KUBECONFIG_FRAGMENTS:
                assert fragment not in text, f"{stack}/{name} leaks {fragment}"


def test_invalid_secure_config_is_not_echoed(project_copy: Path, tmp_path: Path) -> None:
    stack_file = project_copy / "Pulumi.dev.yaml"
    stack_file.write_text(
        stack_file.read_text().replace(
            "  aksflow:environment: dev\n",
            "  aksflow:environment:\n    secure: v1:AAAAsecretciphertextAAAA\n",
        )
    )
    terminal = io.StringIO()
    with pytest.raises(ConfigError) as caught:
        run_preview(project_copy, ["dev"], tmp_path / "out", console=Console(file=terminal))
    assert str(caught.value).startswith("Pulumi.dev.yaml: aksflow:environment: must be plain text")
    for text in (str(caught.value), terminal.getvalue()):
        assert "AAAAsecretciphertextAAAA" not in text
        assert SECRET_PLACEHOLDER not in text
        assert "[secret]" in str(caught.value)


SECRET_PROGRAM = """
import pulumi
import pulumi_kubernetes as k8s

token = pulumi.Config().require_secret("token")
k8s.core.v1.Secret("token", metadata={"name": "token", "namespace": "apps"},
                   string_data={"token": token})
k8s.core.v1.ConfigMap("plain", metadata={"name": "plain", "namespace": "apps"},
                      data={"greeting": pulumi.Config().require("greeting")})
pulumi.export("token", token)
"""


def test_secure_values_reach_resources_only_as_markers(tmp_path: Path) -> None:
    project = tmp_path / "demo"
    (project / "program").mkdir(parents=True)
    (project / "program" / "__main__.py").write_text(SECRET_PROGRAM)
    (project / "Pulumi.yaml").write_text(
        "name: demo\nruntime: python\nmain: program/\nconfig:\n"
        "  demo:token: {type: string, default: '', description: a token}\n"
        "  demo:greeting: {type: string, default: hello, description: plain text}\n"
    )
    (project / "Pulumi.dev.yaml").write_text("config:\n  demo:token:\n    secure: v1:c2VjcmV0\n")
    loaded = load_project(project)
    preview = preview_stack(loaded, load_stack_config(loaded, "dev"))
    text = json.dumps(preview.state)
    assert SECRET_PLACEHOLDER not in text and "c2VjcmV0" not in text
    secret = one(preview.state, "kubernetes:core/v1:Secret")
    assert secret["inputs"]["stringData"] == SECRET_MARKER
    assert preview.state["deployment"]["resources"][0]["outputs"]["token"] == SECRET_MARKER
    plain = one(preview.state, "kubernetes:core/v1:ConfigMap")
    assert plain["inputs"]["data"] == {"greeting": "hello"}


def test_terminal_shows_no_secret(previewed: dict[str, Any]) -> None:
    terminal = io.StringIO()
    from aksflow import display

    for stack in ("dev", "prod"):
        result = previewed[stack]
        display.print_stack(Console(file=terminal, width=200), stack, result.preview.state, 0.1)
    text = terminal.getvalue()
    for fragment in KUBECONFIG_FRAGMENTS:
        assert fragment not in text
    assert json.dumps(SECRET_MARKER) not in text
