"""Every policy as a pure function: a compliant baseline passes, one mutation fails it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from . import fixtures as fx
from .conftest import pm, run_rule

Mut = Callable[[dict[str, Any]], None]
POD = "kubernetes:core/v1:Pod"
SVC = "kubernetes:core/v1:Service"


def _spec(d: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = d["spec"]["template"]["spec"]
    return spec


def _c0(d: dict[str, Any]) -> dict[str, Any]:
    c: dict[str, Any] = _spec(d)["containers"][0]
    return c


def _sc(d: dict[str, Any]) -> dict[str, Any]:
    sc: dict[str, Any] = _c0(d)["securityContext"]
    return sc


def _service(internal: bool = True) -> dict[str, Any]:
    ann = {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"} if internal else {}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "apps", "annotations": ann},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
    }


def _set(path: list[Any], value: Any) -> Mut:
    def mutate(d: dict[str, Any]) -> None:
        target = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _pool0(key: str, value: Any) -> Mut:
    return _set(["agentPoolProfiles", 0, key], value)


R = {"level": "restricted"}
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
CRB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"


def _cluster_role() -> dict[str, Any]:
    """A least-privilege ClusterRole (like kube-state-metrics' list/watch of workloads)."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "reader"},
        "rules": [
            {"apiGroups": [""], "resources": ["pods", "services"], "verbs": ["get", "list"]},
            {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["list", "watch"]},
        ],
    }


def _binding() -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "reader"},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "reader",
        },
        "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": "apps"}],
    }


def _ingress() -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["web.example.com", "*.apps.example.com"], "secretName": "web-tls"}],
            "rules": [
                {"host": "web.example.com", "http": {"paths": []}},
                {"host": "api.apps.example.com", "http": {"paths": []}},
            ],
        },
    }


def _proc_unmasked_user_ns(d: dict[str, Any]) -> None:
    _sc(d)["procMount"] = "Unmasked"
    _spec(d)["hostUsers"] = False


# (policy, type, baseline factory, mutation, config)
RESOURCE_CASES: list[tuple[str, str, Callable[[], dict[str, Any]], Mut, dict[str, Any]]] = [
    (
        "pss-windows-host-process",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _sc(d).update(windowsOptions={"hostProcess": True}),
        R,
    ),
    (
        "pss-host-namespaces",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _spec(d).update(hostPID=True),
        R,
    ),
    ("pss-privileged", fx.DEPLOYMENT, fx.deployment, lambda d: _sc(d).update(privileged=True), R),
    (
        "pss-capabilities-baseline",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _sc(d).update(capabilities={"add": ["SYS_ADMIN"]}),
        {"level": "baseline"},
    ),
    (
        "pss-host-path-volumes",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _spec(d).update(volumes=[{"name": "h", "hostPath": {"path": "/"}}]),
        {"level": "baseline"},
    ),
    (
        "pss-host-ports",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _c0(d).update(ports=[{"containerPort": 80, "hostPort": 80.0}]),
        R,
    ),
    (
        "pss-host-probes-and-host-lifecycle",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _c0(d)["readinessProbe"]["httpGet"].update(host="10.0.0.1"),
        R,
    ),
    (
        "pss-apparmor-profile",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _sc(d).update(appArmorProfile={"type": "Unconfined"}),
        R,
    ),
    (
        "pss-selinux-options",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _sc(d).update(seLinuxOptions={"user": "root"}),
        R,
    ),
    (
        "pss-proc-mount",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _sc(d).update(procMount="Unmasked"),
        {"level": "baseline"},
    ),
    (
        "pss-seccomp-profile-baseline",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _sc(d).update(seccompProfile={"type": "Unconfined"}),
        {"level": "baseline"},
    ),
    (
        "pss-sysctls",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _spec(d)["securityContext"].update(
            sysctls=[{"name": "kernel.msgmax", "value": "1"}]
        ),
        R,
    ),
    (
        "pss-restricted-volumes",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _spec(d).update(volumes=[{"name": "n", "nfs": {"server": "s", "path": "/"}}]),
        R,
    ),
    (
        "pss-allow-privilege-escalation",
        "kubernetes:batch/v1:CronJob",
        lambda: {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "c", "namespace": "a"},
            "spec": {"jobTemplate": {"spec": {"template": fx.deployment()["spec"]["template"]}}},
        },
        lambda d: d["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0][
            "securityContext"
        ].pop("allowPrivilegeEscalation"),
        R,
    ),
    (
        "pss-run-as-non-root",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _spec(d)["securityContext"].pop("runAsNonRoot"),
        R,
    ),
    ("pss-run-as-user", fx.DEPLOYMENT, fx.deployment, lambda d: _sc(d).update(runAsUser=0.0), R),
    (
        "pss-seccomp-profile-restricted",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _spec(d)["securityContext"].pop("seccompProfile"),
        R,
    ),
    (
        "pss-capabilities-restricted",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _sc(d).update(capabilities={"drop": ["NET_RAW"]}),
        R,
    ),
    (
        "pss-proc-mount-restricted",
        fx.DEPLOYMENT,
        fx.deployment,
        _proc_unmasked_user_ns,
        R,
    ),
    (
        "aks-api-server-restricted",
        fx.MC,
        fx.cluster,
        _set(["apiServerAccessProfile"], {"authorizedIPRanges": ["0.0.0.0/0"]}),
        {},
    ),
    ("aks-rbac-entra", fx.MC, fx.cluster, lambda d: d.pop("enableRBAC"), {}),
    ("aks-local-accounts-disabled", fx.MC, fx.cluster, _set(["disableLocalAccounts"], False), {}),
    ("aks-network-policy", fx.MC, fx.cluster, lambda d: d.pop("networkProfile"), {}),
    ("aks-no-node-public-ip", fx.AP, fx.agent_pool, _set(["enableNodePublicIP"], True), {}),
    ("aks-system-pool-isolation", fx.MC, fx.cluster, _pool0("nodeTaints", []), {}),
    ("aks-autoscaling-bounds", fx.MC, fx.cluster, _pool0("minCount", 1.0), {"minSystemNodes": 3}),
    ("aks-availability-zones", fx.AP, fx.agent_pool, _set(["availabilityZones"], ["1"]), {}),
    (
        "aks-auto-upgrade",
        fx.MC,
        fx.cluster,
        _set(["autoUpgradeProfile", "upgradeChannel"], "none"),
        {},
    ),
    (
        "aks-azure-policy-addon",
        fx.MC,
        fx.cluster,
        lambda d: d["addonProfiles"].pop("azurepolicy"),
        {},
    ),
    ("aks-monitoring-defender", fx.MC, fx.cluster, lambda d: d.pop("securityProfile"), {}),
    (
        "aks-host-encryption",
        fx.AP,
        fx.agent_pool,
        _set(["enableEncryptionAtHost"], False),
        {"required": True},
    ),
    ("aks-workload-identity", fx.MC, fx.cluster, lambda d: d.pop("oidcIssuerProfile"), {}),
    (
        "aks-no-legacy-addons",
        fx.MC,
        fx.cluster,
        lambda d: d["addonProfiles"].update(KubeDashboard={"enabled": True}),
        {},
    ),
    (
        "aks-kv-secret-rotation",
        fx.MC,
        fx.cluster,
        _set(["addonProfiles", "azureKeyvaultSecretsProvider", "config"], {}),
        {},
    ),
    (
        "aks-sku-tier",
        fx.MC,
        fx.cluster,
        _set(["sku", "tier"], "Free"),
        {"allowedTiers": ["Standard"]},
    ),
    ("k8s-resources", fx.DEPLOYMENT, fx.deployment, lambda d: _c0(d).pop("resources"), {}),
    ("k8s-probes", fx.DEPLOYMENT, fx.deployment, lambda d: _c0(d).pop("readinessProbe"), {}),
    (
        "k8s-image-tag-pinned",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _c0(d).update(image="registry:5000/web"),
        {},
    ),
    (
        "k8s-image-digest",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _c0(d).update(image="web:1.0"),
        {},
    ),
    (
        "k8s-allowed-registries",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _c0(d).update(image="docker.io/web:1.0"),
        {"registries": ["myacr.azurecr.io/"]},
    ),
    (
        "k8s-no-default-namespace",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: d["metadata"].pop("namespace"),
        {},
    ),
    ("k8s-service-exposure", SVC, _service, lambda d: d["metadata"].update(annotations={}), {}),
    (
        "k8s-rbac-no-wildcards",
        CLUSTER_ROLE,
        _cluster_role,
        lambda d: d["rules"][1].update(verbs=["*"]),
        {},
    ),
    (
        "k8s-rbac-no-cluster-admin-binding",
        CRB,
        _binding,
        lambda d: d["roleRef"].update(name="cluster-admin"),
        {},
    ),
    (
        "k8s-rbac-no-escalation-paths",
        CLUSTER_ROLE,
        _cluster_role,
        lambda d: d["rules"].append(
            {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}
        ),
        {},
    ),
    (
        "k8s-readonly-rootfs",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _sc(d).pop("readOnlyRootFilesystem"),
        {},
    ),
    (
        "k8s-no-plaintext-secret-env",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _c0(d).update(env=[{"name": "DB_PASSWORD", "value": "hunter2"}]),
        {},
    ),
    (
        "k8s-pull-policy-mutable-tag",
        fx.DEPLOYMENT,
        fx.deployment,
        lambda d: _c0(d).update(image="myacr.azurecr.io/web:1.2.3", imagePullPolicy="IfNotPresent"),
        {},
    ),
    ("k8s-ingress-tls", INGRESS, _ingress, lambda d: d["spec"].pop("tls"), {}),
]


@pytest.mark.parametrize("case", RESOURCE_CASES, ids=[c[0] for c in RESOURCE_CASES])
def test_policy_passes_baseline_and_fails_mutation(case: Any) -> None:
    name, rtype, make, mutate, config = case
    good = make()
    assert run_rule(name, rtype, good, config) == []
    bad = copy.deepcopy(good)
    mutate(bad)
    findings = run_rule(name, rtype, bad, config)
    assert findings, f"{name} accepted the mutated object"
    for f in findings:
        assert f.path and f.problem and f.fix


def test_every_policy_has_metadata_and_fixtures() -> None:
    all_rules = pm("pack").ALL_RULES
    covered = {c[0] for c in RESOURCE_CASES} | {
        "k8s-pdb-coverage",
        "k8s-networkpolicy-coverage",
        "k8s-deprecated-apis",
        "k8s-namespace-baseline",  # test_new_policies.py
        "k8s-sa-token-automount",  # test_new_policies.py
    }
    assert covered == {r.name for r in all_rules}
    for rule in all_rules:
        assert rule.description and rule.remediation and rule.severity


def test_image_parser_is_not_fooled_by_a_registry_port() -> None:
    parse_image = pm("hygiene").parse_image
    assert parse_image("registry:5000/web") == ("registry:5000/web", None, None)
    assert parse_image("registry:5000/web:1.2") == ("registry:5000/web", "1.2", None)
    assert run_rule("k8s-image-tag-pinned", fx.DEPLOYMENT, _with_image("web:latest"))
    assert not run_rule(
        "k8s-image-tag-pinned", fx.DEPLOYMENT, _with_image("web@sha256:" + "b" * 64)
    )


def _with_image(image: str) -> dict[str, Any]:
    d = fx.deployment()
    _c0(d)["image"] = image
    return d


def test_windows_pods_are_exempt_from_linux_only_restricted_controls() -> None:
    d = fx.deployment()
    _spec(d)["os"] = {"name": "windows"}
    _spec(d)["securityContext"].pop("seccompProfile")
    _sc(d).clear()
    for name in (
        "pss-allow-privilege-escalation",
        "pss-seccomp-profile-restricted",
        "pss-capabilities-restricted",
    ):
        assert run_rule(name, fx.DEPLOYMENT, d, R) == []
    assert run_rule("pss-run-as-non-root", fx.DEPLOYMENT, d, R) == []  # pod-level true


def test_host_users_false_waives_run_as_non_root_and_baseline_proc_mount() -> None:
    d = fx.deployment()
    _spec(d)["hostUsers"] = False
    _spec(d)["securityContext"]["runAsNonRoot"] = False
    _sc(d)["procMount"] = "Unmasked"
    assert run_rule("pss-run-as-non-root", fx.DEPLOYMENT, d, R) == []
    assert run_rule("pss-proc-mount", fx.DEPLOYMENT, d, {"level": "baseline"}) == []
    assert run_rule("pss-proc-mount-restricted", fx.DEPLOYMENT, d, R)


def test_ephemeral_and_init_containers_are_checked() -> None:
    d = fx.deployment()
    _spec(d)["ephemeralContainers"] = [
        {"name": "dbg", "image": "busybox:1", "securityContext": {"privileged": True}}
    ]
    findings = run_rule("pss-privileged", fx.DEPLOYMENT, d, R)
    assert [f.path for f in findings] == [
        "spec.template.spec.ephemeralContainers[0].securityContext.privileged"
    ]


def test_exempt_images_skip_container_checks() -> None:
    d = fx.deployment()
    _sc(d)["privileged"] = True
    cfg = {"level": "restricted", "exemptImages": ["myacr.azurecr.io/*"]}
    assert run_rule("pss-privileged", fx.DEPLOYMENT, d, cfg) == []


def test_addon_keys_are_case_insensitive_and_numbers_may_be_floats() -> None:
    c = fx.cluster()
    c["addonProfiles"]["azurePolicy"] = c["addonProfiles"].pop("azurepolicy")
    assert run_rule("aks-azure-policy-addon", fx.MC, c) == []
    c["agentPoolProfiles"][0]["count"] = 9.0
    assert run_rule("aks-autoscaling-bounds", fx.MC, c)


def test_internal_lb_passes_and_nodeport_fails() -> None:
    assert run_rule("k8s-service-exposure", SVC, _service()) == []
    nodeport = _service()
    nodeport["spec"]["type"] = "NodePort"
    assert run_rule("k8s-service-exposure", SVC, nodeport)


# --- stack policies ------------------------------------------------------------------------


def _stack(*objs: tuple[str, dict[str, Any]]) -> list[Any]:
    make = pm("model").StackResource
    return [make(t, f"urn:x::{t}::n{i}", f"n{i}", o) for i, (t, o) in enumerate(objs)]


def _run_stack(name: str, resources: list[Any], config: dict[str, Any] | None = None) -> list[Any]:
    findings: list[Any] = pm("pack").RULES_BY_NAME[name].run_stack(resources, config)
    return findings


PDB_T = "kubernetes:policy/v1:PodDisruptionBudget"
NP_T = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def test_pdb_coverage() -> None:
    good = _stack((fx.DEPLOYMENT, fx.deployment()), (PDB_T, fx.pdb()))
    assert _run_stack("k8s-pdb-coverage", good, {"minReplicas": 2}) == []
    assert _run_stack("k8s-pdb-coverage", good[:1])
    zero = fx.pdb()
    zero["spec"]["maxUnavailable"] = 0
    assert _run_stack("k8s-pdb-coverage", _stack((fx.DEPLOYMENT, fx.deployment()), (PDB_T, zero)))
    single = _stack((fx.DEPLOYMENT, fx.deployment(replicas=1.0)), (PDB_T, fx.pdb()))
    findings = _run_stack("k8s-pdb-coverage", single, {"minReplicas": 2})
    assert findings and findings[0].urn == single[0].urn
    hpa = {
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 3.0},
    }
    unset = fx.deployment()
    del unset["spec"]["replicas"]
    hpa_t = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
    with_hpa = _stack((fx.DEPLOYMENT, unset), (PDB_T, fx.pdb()), (hpa_t, hpa))
    assert _run_stack("k8s-pdb-coverage", with_hpa, {"minReplicas": 2}) == []
    assert _run_stack("k8s-pdb-coverage", with_hpa[:2], {"minReplicas": 2})
    other_ns = fx.pdb(ns="other")
    assert _run_stack(
        "k8s-pdb-coverage", _stack((fx.DEPLOYMENT, fx.deployment()), (PDB_T, other_ns))
    )


def test_networkpolicy_coverage() -> None:
    assert (
        _run_stack(
            "k8s-networkpolicy-coverage",
            _stack((fx.DEPLOYMENT, fx.deployment()), (NP_T, fx.netpol())),
        )
        == []
    )
    assert _run_stack("k8s-networkpolicy-coverage", _stack((fx.DEPLOYMENT, fx.deployment())))
    selective = fx.netpol()
    selective["spec"]["podSelector"] = {
        "matchExpressions": [{"key": "app", "operator": "In", "values": ["api"]}]
    }
    assert _run_stack(
        "k8s-networkpolicy-coverage", _stack((fx.DEPLOYMENT, fx.deployment()), (NP_T, selective))
    )


def test_deprecated_apis_follow_the_cluster_version() -> None:
    cron = ("kubernetes:batch/v1beta1:CronJob", {"metadata": {"name": "c"}})
    old = fx.cluster()
    old["kubernetesVersion"] = "1.24"
    assert _run_stack("k8s-deprecated-apis", _stack((fx.MC, old), cron))  # deprecated in 1.21
    new = fx.cluster()
    assert (
        _run_stack("k8s-deprecated-apis", _stack((fx.MC, new), cron))[0].problem.find("removed") > 0
    )
    ancient = fx.cluster()
    ancient["kubernetesVersion"] = "1.20"
    assert _run_stack("k8s-deprecated-apis", _stack((fx.MC, ancient), cron)) == []
    assert _run_stack("k8s-deprecated-apis", _stack((fx.DEPLOYMENT, fx.deployment()))) == []
    assert _run_stack("k8s-deprecated-apis", _stack(cron), {"kubernetesVersion": "1.20"}) == []
