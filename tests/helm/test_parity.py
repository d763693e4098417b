"""Both backends agree, object for object, on every app in every environment (real helm only)."""

from __future__ import annotations

import shutil

import pytest

from aksflow.helm.render import HelmPythonRenderer, Pyhelm3Renderer, RenderRequest
from infra.apps import AppRelease, load_releases
from tests.helm.conftest import ROOT

HELM = shutil.which("helm")
ENABLED = [(env, r) for env in ("dev", "staging", "prod") for r in load_releases(ROOT, env)]

pytestmark = pytest.mark.skipif(
    HELM is None,
    reason="no helm binary on PATH: the parity check compares helm-python-sdk with the real helm "
    "CLI (pyhelm3 backend); install helm to run it",
)


@pytest.mark.parametrize(
    ("environment", "release"), ENABLED, ids=[f"{e}-{r.app}" for e, r in ENABLED]
)
def test_backends_render_the_same_objects(environment: str, release: AppRelease) -> None:
    assert HELM is not None
    request = RenderRequest(
        chart=ROOT / release.chart,
        release_name=release.release_name,
        namespace=release.namespace,
        values=release.values,
        kube_version="1.34",
        app=release.app,
        environment=environment,
    )
    library = HelmPythonRenderer().render(request)
    binary = Pyhelm3Renderer(HELM).render(request)
    assert [(o.template, o.manifest) for o in binary] == [(o.template, o.manifest) for o in library]
