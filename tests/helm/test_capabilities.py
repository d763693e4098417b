"""The built-in API table behind ``.Capabilities.APIVersions`` (aksflow/helm/capabilities.py)."""

from __future__ import annotations

import pytest

from aksflow.errors import RenderError
from aksflow.helm.capabilities import api_versions


def test_group_versions_and_kinds_as_get_version_set_lists_them() -> None:
    """Helm action.GetVersionSet: "group/version" and "group/version/Kind" entries."""
    served = api_versions(1, 34)
    for entry in (
        "v1",
        "v1/Secret",
        "apps/v1/Deployment",
        "policy/v1/PodDisruptionBudget",
        "resource.k8s.io/v1/ResourceClaim",
        "storage.k8s.io/v1/VolumeAttributesClass",
    ):
        assert entry in served
    assert served == sorted(set(served))


@pytest.mark.parametrize(
    ("minor", "entry", "served"),
    [
        (28, "flowcontrol.apiserver.k8s.io/v1beta2", True),
        (29, "flowcontrol.apiserver.k8s.io/v1beta2", False),  # removed in 1.29
        (31, "flowcontrol.apiserver.k8s.io/v1beta3/FlowSchema", True),
        (32, "flowcontrol.apiserver.k8s.io/v1beta3/FlowSchema", False),  # removed in 1.32
        (29, "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy", False),
        (30, "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy", True),  # GA 1.30
        (32, "networking.k8s.io/v1/ServiceCIDR", False),
        (33, "networking.k8s.io/v1/ServiceCIDR", True),  # GA 1.33
        (33, "resource.k8s.io/v1", False),
        (34, "resource.k8s.io/v1", True),  # DRA GA 1.34
        (34, "policy/v1beta1", False),  # removed in 1.25
    ],
)
def test_apis_follow_the_kubernetes_minor(minor: int, entry: str, served: bool) -> None:
    assert (entry in api_versions(1, minor)) is served


def test_unknown_minor_fails_closed() -> None:
    with pytest.raises(RenderError, match=r"no built-in API table for Kubernetes 1.24"):
        api_versions(1, 24)
