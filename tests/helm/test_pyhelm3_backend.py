"""The pyhelm3 backend's command line, output parsing and errors, driven through a stand-in helm."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from aksflow.errors import RenderError
from aksflow.helm.render import HelmPythonRenderer, Pyhelm3Renderer, RenderRequest, make_renderer
from infra.apps import load_releases
from tests.helm.conftest import ROOT, write

FAKE = Path(__file__).with_name("fake_helm.py")


@pytest.fixture
def helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """An executable named helm (the stand-in) and the log of its invocations."""
    binary = write(tmp_path / "bin" / "helm", f'#!/bin/sh\nexec {sys.executable} {FAKE} "$@"\n')
    binary.chmod(0o755)
    log = tmp_path / "helm.log"
    monkeypatch.setenv("FAKE_HELM_LOG", str(log))
    return binary, log


def _calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_make_renderer_picks_pyhelm3_for_a_binary(
    helm: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    binary, _ = helm
    assert make_renderer(str(binary)).name == "pyhelm3"
    monkeypatch.setenv("PATH", f"{binary.parent}:/usr/bin:/bin")
    assert make_renderer().name == "pyhelm3"


def test_missing_binary_is_a_render_error(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"--helm: .*/nohelm: no such executable"):
        make_renderer(str(tmp_path / "nohelm"))


def test_same_objects_as_the_library_backend(helm: tuple[Path, Path]) -> None:
    binary, log = helm
    backend = Pyhelm3Renderer(str(binary))
    release = next(r for r in load_releases(ROOT, "prod") if r.app == "web")
    request = RenderRequest(chart=ROOT / release.chart, release_name="web", namespace="web",
                            values=release.values, kube_version="1.34", app="web", environment="prod")  # fmt: skip
    objects = backend.render(request)
    assert objects == HelmPythonRenderer().render(request)
    template_call = next(c for c in _calls(log) if c[0] == "template")
    assert template_call[:3] == ["template", "web", str(ROOT / "apps/web/chart")]
    assert {"--include-crds", "--no-hooks"} <= set(template_call)
    assert template_call[template_call.index("--kube-version") + 1] == "v1.34.0"
    assert template_call[template_call.index("--namespace") + 1] == "web"


def test_helm_errors_become_render_errors(helm: tuple[Path, Path]) -> None:
    binary, _ = helm
    release = next(r for r in load_releases(ROOT, "prod") if r.app == "web")
    bad = {**release.values, "image": {"digest": "", "requireDigest": True}}
    request = RenderRequest(chart=ROOT / release.chart, release_name="web", namespace="web",
                            values=bad, kube_version="1.34", app="web", environment="prod")  # fmt: skip
    with pytest.raises(RenderError) as excinfo:
        Pyhelm3Renderer(str(binary)).render(request)
    assert str(excinfo.value).startswith(
        "app web (prod): apps/web/chart/templates/deployment.yaml: template error: execution error"
    )
    schema = RenderRequest(chart=ROOT / release.chart, release_name="web", namespace="web",
                           values={"replicaCount": 0}, kube_version="1.34", app="web", environment="prod")  # fmt: skip
    with pytest.raises(
        RenderError,
        match=r"^app web \(prod\): replicaCount: .*\(values break apps/web/chart/values.schema.json\)",
    ):
        Pyhelm3Renderer(str(binary)).render(schema)


def test_runs_inside_a_running_event_loop(helm: tuple[Path, Path]) -> None:
    import asyncio

    binary, _ = helm
    release = next(r for r in load_releases(ROOT, "dev") if r.app == "web")
    request = RenderRequest(chart=ROOT / release.chart, release_name="web", namespace="web",
                            values=release.values, kube_version=None, app="web", environment="dev")  # fmt: skip

    async def inside() -> int:
        return len(Pyhelm3Renderer(str(binary)).render(request))

    assert asyncio.run(inside()) == 5
