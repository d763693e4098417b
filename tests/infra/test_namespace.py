"""infra's light Namespace registers exactly what pulumi-kubernetes' typed class registers.

Follows pulumi-kubernetes sdk/python/pulumi_kubernetes/core/v1/Namespace.py
(``Namespace._internal_init``): same type token, inputs, provider reference and plugin version.
Both are registered under Pulumi's own mock monitor (pulumi sdk/python/lib/pulumi/runtime/
mocks.py) in a fresh interpreter, so the SDK's global runtime state never leaks into other tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = r"""
import json, sys
import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks

captured = {}

class Capture(mocks.MockMonitor):
    def RegisterResource(self, request):
        if request.type == "kubernetes:core/v1:Namespace":
            captured[request.name] = {
                "type": request.type,
                "custom": request.custom,
                "object": json_format.MessageToDict(request.object),
                "version": request.version,
                "pluginDownloadURL": request.pluginDownloadURL,
                "provider": request.provider.rsplit("::", 1)[0],
                "parent": request.parent,
                "dependencies": list(request.dependencies),
                "aliases": [str(a) for a in request.aliases],
                "aliasSpecs": request.aliasSpecs,
                "additionalSecretOutputs": list(request.additionalSecretOutputs),
                "replaceOnChanges": list(request.replaceOnChanges),
                "ignoreChanges": list(request.ignoreChanges),
                "deleteBeforeReplace": request.deleteBeforeReplace,
                "propertyDependencies": sorted(request.propertyDependencies),
            }
        return super().RegisterResource(request)

class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return [args.name + "-id", args.inputs]
    def call(self, args):
        return {}

pulumi.runtime.set_mocks(Mocks(), preview=True, monitor=Capture(Mocks()))

import pulumi_kubernetes as k8s
from infra.components.namespace import Namespace

labels = {"pod-security.kubernetes.io/enforce": "restricted", "team": "web"}
provider = k8s.Provider("aks", kubeconfig="{}")
opts = pulumi.ResourceOptions(provider=provider)
k8s.core.v1.Namespace(
    "typed", metadata=k8s.meta.v1.ObjectMetaArgs(name="web", labels=labels), opts=opts
)
Namespace("light", name="web", labels=labels, opts=opts)

from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

_sync_await(wait_for_rpcs())
json.dump(captured, sys.stdout, sort_keys=True)
"""


def test_light_namespace_registers_like_the_sdk_class() -> None:
    """Type, inputs, provider, version and plugin URL are identical; only the name differs."""
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    captured = json.loads(result.stdout)
    typed, light = captured["typed"], captured["light"]
    assert typed["version"], "the SDK sends its plugin version; the light class must too"
    assert light == typed
    assert light["object"] == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "web",
            "labels": {"pod-security.kubernetes.io/enforce": "restricted", "team": "web"},
        },
    }
