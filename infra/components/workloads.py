"""Helm releases on the cluster, through a Kubernetes provider built from its credentials."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from infra.apps import AppRelease
from infra.components.namespace import Namespace
from infra.config import StackConfig


class Workloads(pulumi.ComponentResource):
    """One namespace and one ``helm.v4.Chart`` per enabled app.

    v4 Charts register every rendered object as a child resource, so policies and the diff
    see Deployments and Services, not an opaque release.
    """

    def __init__(
        self,
        name: str,
        cfg: StackConfig,
        releases: Sequence[AppRelease],
        *,
        kubeconfig: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("aksflow:apps:Workloads", name, None, opts)
        provider = k8s.Provider(
            "aks",
            kubeconfig=kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        namespaces: dict[str, Namespace] = {}
        charts: list[k8s.helm.v4.Chart] = []
        # The environment's Pod Security level: the in-cluster backstop for the policy pack.
        level = cfg.pod_security
        for release in releases:
            namespace = namespaces.get(release.namespace)
            if namespace is None:
                namespace = Namespace(
                    release.namespace,
                    name=release.namespace,
                    labels={
                        "pod-security.kubernetes.io/enforce": level,
                        "pod-security.kubernetes.io/warn": "restricted",
                        "app.kubernetes.io/managed-by": "aksflow",
                    },
                    opts=pulumi.ResourceOptions(parent=self, provider=provider),
                )
                namespaces[release.namespace] = namespace
            charts.append(
                k8s.helm.v4.Chart(
                    release.app,
                    chart=release.chart_ref,
                    version=release.chart_version,
                    namespace=release.namespace,
                    name=release.release_name,
                    values=dict(release.values),
                    opts=pulumi.ResourceOptions(
                        parent=self, provider=provider, depends_on=[namespace]
                    ),
                )
            )
        self.register_outputs(
            {
                "namespaces": sorted(namespaces),
                "releases": [release.app for release in releases],
            }
        )
