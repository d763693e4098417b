"""The newer policies on eight public charts, through ``aksflow policy analyze --manifests``.

Each chart is a hand-written model of its ``helm template`` output (``charts/README.md`` says
why the charts themselves are not vendored); the table below is what each policy must find on
it, checked by reading the chart's RBAC, security contexts, images and env, and nothing else:

- RBAC: argo-cd's controller and server ClusterRoles use ``*``; their wildcards grant exec,
  kubelet proxy, webhook writes and Secret reads. ingress-nginx, cert-manager and
  kube-state-metrics read Secrets cluster-wide; cert-manager's cainjector and ingress-nginx's
  admission hook rewrite webhook configurations. No chart binds cluster-admin.
- Hardening: ingress-nginx (``readOnlyRootFilesystem: false``), grafana and podinfo write their
  root filesystem; every chart without a digest pulls a mutable tag ``IfNotPresent``
  (ingress-nginx pins a digest); argo-cd's repo server, podinfo and the Helm test pods mount a
  token no binding uses. No chart writes a credential as a literal env value (bitnami's
  ``ALLOW_EMPTY_PASSWORD=no`` and ``REDIS_PASSWORD_FILE`` are not credentials).
- podinfo's example Ingress serves ``podinfo.local`` without TLS.
- No chart ships a ResourceQuota, a LimitRange and a namespace-wide default deny (bitnami's
  NetworkPolicy selects only redis and allows egress).
- ``k8s-probes`` flags argo-cd's controller and cert-manager (no liveness / readiness probe) but
  never the Helm test pods of grafana and podinfo (``helm.sh/hook: test``, ``restartPolicy:
  Never``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from aksflow.policy.cli import policy

from .conftest import CONFIGS, PACK

CHARTS = Path(__file__).resolve().parent / "charts"
NEW_POLICIES = {
    "k8s-rbac-no-wildcards",
    "k8s-rbac-no-cluster-admin-binding",
    "k8s-rbac-no-escalation-paths",
    "k8s-readonly-rootfs",
    "k8s-no-plaintext-secret-env",
    "k8s-pull-policy-mutable-tag",
    "k8s-sa-token-automount",
    "k8s-ingress-tls",
    "k8s-namespace-baseline",
    "k8s-probes",
}
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "argo-cd": {
        (
            "k8s-namespace-baseline",
            "namespace argocd (StatefulSet argocd/argocd-application-controller)",
        ),
        ("k8s-probes", "StatefulSet argocd/argocd-application-controller"),
        ("k8s-pull-policy-mutable-tag", "Deployment argocd/argocd-redis"),
        ("k8s-pull-policy-mutable-tag", "Deployment argocd/argocd-repo-server"),
        ("k8s-pull-policy-mutable-tag", "Deployment argocd/argocd-server"),
        ("k8s-pull-policy-mutable-tag", "StatefulSet argocd/argocd-application-controller"),
        ("k8s-rbac-no-escalation-paths", "ClusterRole argocd-application-controller"),
        ("k8s-rbac-no-escalation-paths", "ClusterRole argocd-server"),
        ("k8s-rbac-no-wildcards", "ClusterRole argocd-application-controller"),
        ("k8s-rbac-no-wildcards", "ClusterRole argocd-server"),
        ("k8s-sa-token-automount", "Deployment argocd/argocd-repo-server"),
    },
    "cert-manager": {
        (
            "k8s-namespace-baseline",
            "namespace cert-manager (Deployment cert-manager/cert-manager-cainjector)",
        ),
        ("k8s-probes", "Deployment cert-manager/cert-manager"),
        ("k8s-probes", "Deployment cert-manager/cert-manager-cainjector"),
        ("k8s-pull-policy-mutable-tag", "Deployment cert-manager/cert-manager"),
        ("k8s-pull-policy-mutable-tag", "Deployment cert-manager/cert-manager-cainjector"),
        ("k8s-rbac-no-escalation-paths", "ClusterRole cert-manager-cainjector"),
        ("k8s-rbac-no-escalation-paths", "ClusterRole cert-manager-controller-certificates"),
    },
    "grafana": {
        ("k8s-namespace-baseline", "namespace monitoring (Deployment monitoring/grafana)"),
        ("k8s-pull-policy-mutable-tag", "Deployment monitoring/grafana"),
        ("k8s-pull-policy-mutable-tag", "Pod monitoring/grafana-test"),
        ("k8s-readonly-rootfs", "Deployment monitoring/grafana"),
        ("k8s-readonly-rootfs", "Pod monitoring/grafana-test"),
        ("k8s-sa-token-automount", "Pod monitoring/grafana-test"),
    },
    "ingress-nginx": {
        (
            "k8s-namespace-baseline",
            "namespace ingress-nginx (Deployment ingress-nginx/ingress-nginx-controller)",
        ),
        ("k8s-rbac-no-escalation-paths", "ClusterRole ingress-nginx"),
        ("k8s-rbac-no-escalation-paths", "ClusterRole ingress-nginx-admission"),
        ("k8s-readonly-rootfs", "Deployment ingress-nginx/ingress-nginx-controller"),
    },
    "kube-state-metrics": {
        (
            "k8s-namespace-baseline",
            "namespace monitoring (Deployment monitoring/kube-state-metrics)",
        ),
        ("k8s-pull-policy-mutable-tag", "Deployment monitoring/kube-state-metrics"),
        ("k8s-rbac-no-escalation-paths", "ClusterRole kube-state-metrics"),
    },
    "node-exporter": {
        (
            "k8s-namespace-baseline",
            "namespace monitoring (DaemonSet monitoring/node-exporter-prometheus-node-exporter)",
        ),
        (
            "k8s-pull-policy-mutable-tag",
            "DaemonSet monitoring/node-exporter-prometheus-node-exporter",
        ),
    },
    "podinfo": {
        ("k8s-ingress-tls", "Ingress podinfo/podinfo"),
        ("k8s-namespace-baseline", "namespace podinfo (Deployment podinfo/podinfo)"),
        ("k8s-pull-policy-mutable-tag", "Deployment podinfo/podinfo"),
        ("k8s-pull-policy-mutable-tag", "Pod podinfo/podinfo-grpc-test-x8k2p"),
        ("k8s-pull-policy-mutable-tag", "Pod podinfo/podinfo-service-test-1m3tz"),
        ("k8s-readonly-rootfs", "Deployment podinfo/podinfo"),
        ("k8s-readonly-rootfs", "Pod podinfo/podinfo-grpc-test-x8k2p"),
        ("k8s-readonly-rootfs", "Pod podinfo/podinfo-service-test-1m3tz"),
        ("k8s-sa-token-automount", "Deployment podinfo/podinfo"),
        ("k8s-sa-token-automount", "Pod podinfo/podinfo-grpc-test-x8k2p"),
        ("k8s-sa-token-automount", "Pod podinfo/podinfo-service-test-1m3tz"),
    },
    "redis": {
        ("k8s-namespace-baseline", "namespace redis (StatefulSet redis/redis-master)"),
        ("k8s-pull-policy-mutable-tag", "StatefulSet redis/redis-master"),
    },
}


def _findings(chart: str) -> tuple[int, set[tuple[str, str]]]:
    result = CliRunner().invoke(
        policy,
        [
            "analyze",
            "--manifests",
            str(CHARTS / f"{chart}.yaml"),
            "--config",
            str(CONFIGS / "prod.json"),
            "--pack",
            str(PACK),
            "--format",
            "json",
        ],
    )
    report = json.loads(result.output)
    found = set()
    for violation in report["violations"]:
        if violation["policy"] in NEW_POLICIES:
            text = violation["message"].split("\n", 1)[1]  # description, then the finding
            found.add((violation["policy"], text.split(": ", 1)[0]))
    return result.exit_code, found


@pytest.mark.parametrize("chart", sorted(EXPECTED))
def test_new_policies_on_real_charts(chart: str) -> None:
    code, found = _findings(chart)
    assert found == EXPECTED[chart]
    assert code == 1  # prod: every chart has a mandatory finding


def test_every_chart_model_is_labelled_hand_written() -> None:
    files = sorted(p.stem for p in CHARTS.glob("*.yaml"))
    assert files == sorted(EXPECTED)
    for chart in files:
        header = " ".join(
            line.lstrip("# ") for line in (CHARTS / f"{chart}.yaml").read_text().splitlines()[:2]
        )
        assert header.startswith("Hand-written model of ")
        assert "NOT vendored" in header


def test_helm_test_pods_are_one_shot_for_k8s_probes() -> None:
    hooks = {
        who
        for chart in ("grafana", "podinfo")
        for policy_name, who in EXPECTED[chart]
        if who.startswith("Pod ")
    }
    assert hooks  # the test pods are evaluated (other policies report them) ...
    for chart in ("grafana", "podinfo"):
        assert not {w for p, w in _findings(chart)[1] if p == "k8s-probes"}  # ... but not here
