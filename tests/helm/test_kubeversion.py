"""Chart.yaml kubeVersion constraints and the --kube-version form."""

from __future__ import annotations

import pytest

from aksflow.errors import RenderError
from aksflow.helm.kubeversion import normalize, satisfies


@pytest.mark.parametrize(
    ("given", "normalized"),
    [("1.34", "v1.34.0"), ("v1.34", "v1.34.0"), ("1.34.2", "v1.34.2"), ("1", "v1.0.0")],
)
def test_normalize(given: str, normalized: str) -> None:
    assert normalize(given) == normalized


@pytest.mark.parametrize(
    ("version", "constraint", "expected"),
    [
        ("1.34", ">=1.29.0-0", True),
        ("1.28.9", ">=1.29.0-0", False),
        ("1.30", ">= 1.25, < 1.31", True),
        ("1.31.0", ">=1.25 <1.31", False),
        ("1.30.4", "~1.30.0", True),
        ("1.31.0", "~1.30.0", False),
        ("1.40.0", "^1.20", True),
        ("2.0.0", "^1.20", False),
        ("1.30.7", "1.30.x", True),
        ("1.31.0", "1.30.x", False),
        ("1.27.0", "1.25 - 1.28", True),
        ("1.29.0", "1.25 - 1.28", False),
        ("1.22.0", "<1.20 || >=1.22", True),
        ("1.21.0", "<1.20 || >=1.22", False),
        ("1.30.0", "!=1.30.0", False),
        ("1.30.9", "<=1.30", True),
    ],
)
def test_satisfies(version: str, constraint: str, expected: bool) -> None:
    assert satisfies(version, constraint) is expected


def test_bad_inputs() -> None:
    with pytest.raises(RenderError, match="is not a version"):
        normalize("latest")
    with pytest.raises(RenderError, match="constraint term '>=banana' is not understood"):
        satisfies("1.30", ">=banana")
