"""A Kubernetes Namespace registered exactly as ``pulumi_kubernetes.core.v1.Namespace`` does.

The SDK's typed class lives in ``pulumi_kubernetes.core.v1``, whose generated ``_inputs`` and
``outputs`` modules (4.5 MB, every core/v1 type) are executed on first import: about 0.3 s of
CPU per process, a sixth of a three-stack preview, to declare one object with a name and
labels. This class sends the engine the same registration (type token, inputs, provider and
plugin version), so state, URNs and the real provider's behaviour are unchanged; the test
``tests/infra/test_namespace.py`` compares both registrations field by field.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
from pulumi_kubernetes import _utilities


class Namespace(pulumi.CustomResource):
    """``kubernetes:core/v1:Namespace`` with the given name and labels.

    Mirrors ``Namespace._internal_init`` of pulumi-kubernetes (sdk/python/pulumi_kubernetes/
    core/v1/Namespace.py): the SDK's default resource options (plugin version and download
    URL) merged under ``opts``, ``apiVersion``/``kind`` set, ``spec``/``status`` left unset.
    """

    def __init__(
        self,
        resource_name: str,
        *,
        name: str,
        labels: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": dict(labels)},
            "spec": None,
            "status": None,
        }
        super().__init__(
            "kubernetes:core/v1:Namespace",
            resource_name,
            props,
            pulumi.ResourceOptions.merge(_utilities.get_resource_opts_defaults(), opts),
        )
