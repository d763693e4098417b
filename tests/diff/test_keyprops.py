"""Key properties of created resources: what a reviewer checks before anything else."""

from __future__ import annotations

from aksflow.diff.keyprops import UNKNOWN, key_properties
from tests.diff.builders import POOL_T, SECRET, pool


def test_node_pool() -> None:
    inputs = pool(
        enableAutoScaling=True, minCount=0, maxCount=5, nodeTaints=["gpu=true:NoSchedule"]
    )
    assert dict(key_properties(POOL_T, inputs)) == {
        "vmSize": "Standard_D2ds_v5",
        "min/max": "0/5",
        "zones": "1, 2, 3",
        "mode": "User",
        "taints": "gpu=true:NoSchedule",
    }
    fixed = dict(key_properties(POOL_T, pool(count=2, availabilityZones=[])))
    assert fixed["count"] == "2" and fixed["zones"] == "none"


def test_workloads_pvcs_services_and_hpas() -> None:
    deploy = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "a", "image": "r/a:1", "resources": {"requests": {"cpu": "1"}}},
                        {"name": "b", "image": UNKNOWN},
                    ]
                }
            }
        }
    }
    assert dict(key_properties("kubernetes:apps/v1:Deployment", deploy)) == {
        "image": "a=r/a:1; b=(known after apply)",
        "replicas": "1",
        "requests": "a=cpu=1; b=none",
    }
    pvc = {"spec": {"resources": {"requests": {"storage": "8Gi"}}}}
    assert dict(key_properties("kubernetes:core/v1:PersistentVolumeClaim", pvc)) == {
        "size": "8Gi",
        "storageClass": "cluster default",
    }
    lb = {"spec": {"type": "LoadBalancer"}}
    assert dict(key_properties("kubernetes:core/v1:Service", lb)) == {
        "type": "LoadBalancer",
        "exposure": "public",
    }
    hpa = {
        "spec": {
            "minReplicas": 2,
            "maxReplicas": 6,
            "scaleTargetRef": {"kind": "Deployment", "name": "web"},
        }
    }
    assert dict(key_properties("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", hpa)) == {
        "replicas": "2-6",
        "target": "Deployment web",
    }


def test_secrets_never_show_and_other_types_have_none() -> None:
    assert dict(key_properties(POOL_T, pool(vmSize=SECRET)))["vmSize"] == "[secret]"
    assert key_properties("kubernetes:core/v1:ConfigMap", {"data": {"a": "b"}}) == ()
