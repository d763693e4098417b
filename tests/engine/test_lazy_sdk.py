"""Deferred SDK packages resolve every name to the same object a full import gives."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_requested_classes_load_without_the_whole_package() -> None:
    out = run(
        """
        import sys
        from aksflow.engine.lazy_sdk import defer_heavy_packages
        defer_heavy_packages()
        import pulumi_azure_native.network as network
        import pulumi_kubernetes as k8s
        network.VirtualNetwork, network.Subnet, network.DelegationArgs, k8s.core.v1.Namespace
        print("pulumi_azure_native.network.azure_firewall" in sys.modules,
              "pulumi_kubernetes.core.v1.Pod" in sys.modules)
        """
    )
    assert out == "False False"


def test_every_name_resolves_like_a_full_import() -> None:
    out = run(
        """
        from aksflow.engine.lazy_sdk import defer_heavy_packages
        defer_heavy_packages()
        import pulumi_azure_native.network as network
        import pulumi_kubernetes as k8s
        import importlib
        module = importlib.import_module
        checks = [
            network.VirtualNetwork is module("pulumi_azure_native.network.virtual_network").VirtualNetwork,
            network.get_virtual_network
            is module("pulumi_azure_native.network.get_virtual_network").get_virtual_network,
            k8s.core.v1.Namespace is module("pulumi_kubernetes.core.v1.Namespace").Namespace,
            network.IPAllocationMethod.STATIC == "Static",  # an enum: falls back to the full package
            hasattr(network, "AzureFirewall"),
        ]
        print(all(checks))
        """
    )
    assert out == "True"
