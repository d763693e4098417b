"""RBAC, hardening beyond PSS, Ingress TLS, namespace coverage, one-shot probes, CIDR unions."""

from __future__ import annotations

import ipaddress
import random
from typing import Any

import pytest

from . import fixtures as fx
from .conftest import pm, run_rule

ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
RB = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
CRB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
SA = "kubernetes:core/v1:ServiceAccount"
POD = "kubernetes:core/v1:Pod"
JOB = "kubernetes:batch/v1:Job"
CRONJOB = "kubernetes:batch/v1:CronJob"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMITS = "kubernetes:core/v1:LimitRange"


def _role(*rules: dict[str, Any], kind: str = "ClusterRole") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "r"}
    if kind == "Role":
        meta["namespace"] = "apps"
    return {"kind": kind, "metadata": meta, "rules": list(rules)}


def _r(groups: list[str], resources: list[str], verbs: list[str], **extra: Any) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs, **extra}


def _paths(findings: list[Any]) -> list[str]:
    return [f.path for f in findings]


# --- RBAC --------------------------------------------------------------------------------------


def test_wildcards_in_any_rule_and_any_field() -> None:
    ok = _r([""], ["pods"], ["get"])
    assert run_rule("k8s-rbac-no-wildcards", CLUSTER_ROLE, _role(ok)) == []
    # Checkov's CKV_K8S_49 looks at rules[0] only: the wildcard hides in rules[1] here.
    for field in ("apiGroups", "resources", "verbs"):
        bad = {**ok, field: ["*"]}
        findings = run_rule("k8s-rbac-no-wildcards", CLUSTER_ROLE, _role(ok, bad))
        assert _paths(findings) == [f"rules[1].{field}"]
    urls = {"nonResourceURLs": ["*"], "verbs": ["get"]}
    assert _paths(run_rule("k8s-rbac-no-wildcards", ROLE, _role(urls, kind="Role"))) == [
        "rules[0].nonResourceURLs"
    ]


@pytest.mark.parametrize(
    ("binding", "bad"),
    [
        ({"roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}}, True),
        ({"roleRef": {"kind": "ClusterRole", "name": "view"}}, False),
        ({"roleRef": {"kind": "Role", "name": "cluster-admin"}}, False),  # a namespaced Role
        (
            {
                "roleRef": {"kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "Group", "name": "system:masters"}],
            },
            True,
        ),
        (
            {
                "roleRef": {"kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "Group", "name": "system:unauthenticated"}],
            },
            True,
        ),
    ],
)
def test_cluster_admin_and_system_group_bindings(binding: dict[str, Any], bad: bool) -> None:
    for kind in (CRB, RB):  # a RoleBinding to cluster-admin is admin of the whole namespace
        assert bool(run_rule("k8s-rbac-no-cluster-admin-binding", kind, binding)) is bad


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (_r([""], ["pods"], ["get", "list", "watch"]), None),
        (_r(["rbac.authorization.k8s.io"], ["clusterroles"], ["escalate"]), "escalate"),
        (_r(["rbac.authorization.k8s.io"], ["roles"], ["bind"]), "bind"),
        (_r([""], ["users", "groups", "serviceaccounts"], ["impersonate"]), "impersonate"),
        (_r([""], ["pods/exec"], ["create"]), "pods/exec"),
        (_r([""], ["pods/exec"], ["get"]), "pods/exec"),  # WebSocket exec is a GET
        (_r([""], ["*/exec"], ["create"]), "pods/exec"),  # rbac.go: */subresource
        (_r([""], ["pods"], ["create"]), None),  # pods does not grant pods/exec
        (_r([""], ["pods/attach"], ["create"]), "pods/attach"),
        (_r([""], ["nodes/proxy"], ["get"]), "nodes/proxy"),
        (
            _r(["certificates.k8s.io"], ["certificatesigningrequests/approval"], ["update"]),
            "approval",
        ),
        (
            _r(["admissionregistration.k8s.io"], ["mutatingwebhookconfigurations"], ["patch"]),
            "mutatingwebhookconfigurations",
        ),
        (
            _r(["admissionregistration.k8s.io"], ["validatingwebhookconfigurations"], ["list"]),
            None,
        ),
        (_r([""], ["secrets"], ["list"]), "Secrets"),
        (_r(["*"], ["*"], ["get"]), "Secrets"),  # wildcards grant what they cover
        (_r([""], ["secrets"], ["get"], resourceNames=["my-tls"]), None),
        (_r([""], ["secrets"], ["create", "delete"]), None),
        (_r(["apps"], ["secrets"], ["get"]), None),  # Secrets live in the core group
    ],
)
def test_escalation_paths(rule: dict[str, Any], expected: str | None) -> None:
    findings = run_rule("k8s-rbac-no-escalation-paths", CLUSTER_ROLE, _role(rule))
    if expected is None:
        assert findings == []
    else:
        assert any(expected in f.problem for f in findings), [f.problem for f in findings]


def test_star_verbs_grant_every_escalation_verb_and_secrets_read_is_cluster_scoped() -> None:
    star = _role(_r([""], ["secrets"], ["*"]))
    problems = [f.problem for f in run_rule("k8s-rbac-no-escalation-paths", CLUSTER_ROLE, star)]
    for verb in ("escalate", "bind", "impersonate"):
        assert any(f"'{verb}' (through '*')" in p for p in problems)
    assert any("Secrets in every namespace" in p for p in problems)
    # The same read in a namespaced Role is confined to that namespace.
    namespaced = _role(_r([""], ["secrets"], ["get", "list"]), kind="Role")
    assert run_rule("k8s-rbac-no-escalation-paths", ROLE, namespaced) == []


# --- container hardening -----------------------------------------------------------------------


def _c0(d: dict[str, Any]) -> dict[str, Any]:
    c: dict[str, Any] = d["spec"]["template"]["spec"]["containers"][0]
    return c


def test_readonly_rootfs_checks_init_containers_and_exempts_windows() -> None:
    d = fx.deployment()
    spec = d["spec"]["template"]["spec"]
    spec["initContainers"] = [{"name": "init", "image": "busybox:1", "securityContext": {}}]
    assert _paths(run_rule("k8s-readonly-rootfs", fx.DEPLOYMENT, d)) == [
        "spec.template.spec.initContainers[0].securityContext.readOnlyRootFilesystem"
    ]
    spec["os"] = {"name": "windows"}
    assert run_rule("k8s-readonly-rootfs", fx.DEPLOYMENT, d) == []  # not applicable


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("REDIS_PASSWORD", "s3cr3t-value", True),
        ("GF_SECURITY_ADMIN_PASSWORD", "admin", True),
        ("AWS_SECRET_ACCESS_KEY", "abc/def+ghi", True),
        ("apiKey", "k-123456", True),
        ("DB_PASS", "x1", True),
        ("JWT_SECRET", "changeme", True),
        ("ARGOCD_AUTH_TOKEN", "eyJhbGciOi", True),
        ("ALLOW_EMPTY_PASSWORD", "no", False),  # bitnami's flag
        ("REDIS_PASSWORD_FILE", "/opt/bitnami/redis/secrets/redis-password", False),
        ("AWS_ACCESS_KEY_ID", "placeholder", False),  # an id, not the secret
        ("EXISTING_SECRET", "redis-auth", False),  # the name of a Secret
        ("TOKEN_TTL", "3600", False),
        ("PASSWORD", "$(REDIS_PASSWORD)", False),  # a reference to another variable
        ("PASSWORD", "", False),
        ("SSL_KEY", "/etc/tls/tls.key", False),
        ("LOG_LEVEL", "info", False),
        ("DATABASE_URL", "postgres://app:hunter2@db:5432/app", True),  # by its value
        ("CERT", "-----BEGIN RSA PRIVATE KEY-----\nMIIB", True),
        ("UPSTREAM", "AKIAABCDEFGHIJKLMNOP", True),
        ("DATABASE_URL", "postgres://db:5432/app", False),
    ],
)
def test_plaintext_secret_env(name: str, value: str, secret: bool) -> None:
    d = fx.deployment()
    _c0(d)["env"] = [{"name": name, "value": value}]
    findings = run_rule("k8s-no-plaintext-secret-env", fx.DEPLOYMENT, d)
    assert bool(findings) is secret
    for f in findings:  # the message names the variable, never the value
        assert name in f.problem and (not value or value not in f.problem)


def test_secret_env_from_secret_ref_passes_and_names_can_be_allowed() -> None:
    d = fx.deployment()
    ref = {"secretKeyRef": {"name": "db", "key": "password"}}
    _c0(d)["env"] = [{"name": "DB_PASSWORD", "valueFrom": ref}]
    assert run_rule("k8s-no-plaintext-secret-env", fx.DEPLOYMENT, d) == []
    _c0(d)["env"] = [{"name": "DEMO_TOKEN", "value": "public-demo"}]
    assert run_rule("k8s-no-plaintext-secret-env", fx.DEPLOYMENT, d)
    cfg = {"allowNames": ["DEMO_TOKEN"]}
    assert run_rule("k8s-no-plaintext-secret-env", fx.DEPLOYMENT, d, cfg) == []


@pytest.mark.parametrize(
    ("image", "policy", "cfg", "bad"),
    [
        ("web:1.2.3" + fx.DIGEST, "IfNotPresent", {}, False),  # a digest is immutable
        ("web:1.2.3", "Always", {}, False),
        ("web:1.2.3", "IfNotPresent", {}, True),
        ("web:1.2.3", None, {}, True),  # the API default for a tag is IfNotPresent
        ("web", None, {}, False),  # ... and Always for no tag (tag-pinned flags it)
        ("web:latest", "Never", {}, True),
        (
            "myacr.azurecr.io/web:1.2.3",
            None,
            {"immutableTagRegistries": ["myacr.azurecr.io/"]},
            False,
        ),
        (
            "myacr.azurecr.io/web:latest",
            None,
            {"immutableTagRegistries": ["myacr.azurecr.io/"]},
            False,
        ),
    ],
)
def test_pull_policy_for_mutable_tags(
    image: str, policy: str | None, cfg: dict[str, Any], bad: bool
) -> None:
    d = fx.deployment()
    _c0(d)["image"] = image
    if policy:
        _c0(d)["imagePullPolicy"] = policy
    assert bool(run_rule("k8s-pull-policy-mutable-tag", fx.DEPLOYMENT, d, cfg)) is bad


# --- stack policies ------------------------------------------------------------------------------


def _stack(*objs: tuple[str, dict[str, Any]]) -> list[Any]:
    make = pm("model").StackResource
    return [make(t, f"urn:x::{t}::n{i}", f"n{i}", o) for i, (t, o) in enumerate(objs)]


def _run_stack(name: str, resources: list[Any], config: dict[str, Any] | None = None) -> list[Any]:
    findings: list[Any] = pm("pack").RULES_BY_NAME[name].run_stack(resources, config)
    return findings


def _workload(sa: str | None = "web", automount: bool | None = None) -> dict[str, Any]:
    d = fx.deployment()
    spec = d["spec"]["template"]["spec"]
    spec.pop("automountServiceAccountToken")
    if sa:
        spec["serviceAccountName"] = sa
    if automount is not None:
        spec["automountServiceAccountToken"] = automount
    return d


def _sa(name: str = "web", automount: bool | None = None) -> dict[str, Any]:
    sa: dict[str, Any] = {"kind": "ServiceAccount", "metadata": {"name": name, "namespace": "apps"}}
    if automount is not None:
        sa["automountServiceAccountToken"] = automount
    return sa


def _rb(subject: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "RoleBinding",
        "metadata": {"name": "b", "namespace": "apps"},
        "roleRef": {"kind": "Role", "name": "r"},
        "subjects": [subject],
    }


def test_token_automount_is_judged_by_the_bindings_of_the_stack() -> None:
    rule = "k8s-sa-token-automount"
    dep = fx.DEPLOYMENT
    # Defaults: the token is mounted and nothing grants the account anything.
    findings = _run_stack(rule, _stack((dep, _workload()), (SA, _sa())))
    assert findings and findings[0].urn.endswith("::n0")
    assert "automountServiceAccountToken" in findings[0].path
    assert _run_stack(rule, _stack((dep, _workload(sa=None))))  # the default account
    # Switched off on the ServiceAccount or on the pod (the pod wins).
    assert _run_stack(rule, _stack((dep, _workload()), (SA, _sa(automount=False)))) == []
    assert _run_stack(rule, _stack((dep, _workload(automount=False)), (SA, _sa()))) == []
    on_pod = _stack((dep, _workload(automount=True)), (SA, _sa(automount=False)))
    assert _run_stack(rule, on_pod)
    # Bound by a RoleBinding (namespace from the binding), a ClusterRoleBinding or a group.
    sa_subject = {"kind": "ServiceAccount", "name": "web"}
    assert _run_stack(rule, _stack((dep, _workload()), (RB, _rb(sa_subject)))) == []
    crb = {**_rb({**sa_subject, "namespace": "apps"}), "kind": "ClusterRoleBinding"}
    assert _run_stack(rule, _stack((dep, _workload()), (CRB, crb))) == []
    other_ns = _rb({**sa_subject, "namespace": "other"})
    assert _run_stack(rule, _stack((dep, _workload()), (RB, other_ns)))
    group = _rb({"kind": "Group", "name": "system:serviceaccounts:apps"})
    assert _run_stack(rule, _stack((dep, _workload()), (RB, group))) == []


def _deny(types: list[str], **rules: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": {}, **rules}
    if types:
        spec["policyTypes"] = types
    return {
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": "apps"},
        "spec": spec,
    }


def test_namespace_baseline() -> None:
    rule = "k8s-namespace-baseline"
    dep = (fx.DEPLOYMENT, fx.deployment())
    quota, limits = (QUOTA, fx.quota()), (LIMITS, fx.limit_range())
    both = (NP, _deny(["Ingress", "Egress"]))
    assert _run_stack(rule, _stack(dep, quota, limits, both)) == []
    # Separate deny-ingress and deny-egress policies cover both directions too.
    split = _stack(dep, quota, limits, (NP, _deny(["Ingress"])), (NP, _deny(["Egress"])))
    assert _run_stack(rule, split) == []
    (finding,) = _run_stack(rule, _stack(dep, limits, both))
    assert "ResourceQuota" in finding.problem and finding.urn.endswith("::n0")
    assert "LimitRange" in _run_stack(rule, _stack(dep, quota, both))[0].problem
    # Without policyTypes a bare {podSelector: {}} denies ingress only.
    ingress_only = _run_stack(rule, _stack(dep, quota, limits, (NP, _deny([]))))
    assert "for Egress" in ingress_only[0].problem
    assert (
        _run_stack(
            rule, _stack(dep, quota, limits, (NP, _deny([]))), {"denyDirections": ["Ingress"]}
        )
        == []
    )
    # An allow rule is not a deny, and a policy selecting some pods is not namespace-wide.
    allow = _deny(["Ingress", "Egress"], egress=[{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}])
    assert "for Egress" in _run_stack(rule, _stack(dep, quota, limits, (NP, allow)))[0].problem
    narrow = _deny(["Ingress", "Egress"])
    narrow["spec"]["podSelector"] = {"matchLabels": {"app": "web"}}
    assert _run_stack(rule, _stack(dep, quota, limits, (NP, narrow)))
    # Guards in another namespace do not count; namespaces without workloads need none.
    other = fx.deployment(ns="other")
    findings = _run_stack(rule, _stack(dep, quota, limits, both, (fx.DEPLOYMENT, other)))
    assert [f.subject.split(" (")[0] for f in findings] == ["namespace other"]
    assert _run_stack(rule, _stack(quota, (fx.MC, fx.cluster()))) == []


def test_stack_policies_stay_linear_in_the_number_of_resources() -> None:
    """Every namespace index is built in one pass: 4,000 resources in 400 namespaces cost
    one visit each (counted through a props mapping that records accesses, not timed)."""

    class Counting(dict):  # type: ignore[type-arg]
        reads = 0

        def get(self, key: Any, default: Any = None) -> Any:
            Counting.reads += 1
            return super().get(key, default)

    def stack(n: int) -> list[Any]:
        objs: list[tuple[str, dict[str, Any]]] = []
        for i in range(n // 4):
            ns = f"ns{i % (n // 40)}"
            objs += [
                (fx.DEPLOYMENT, Counting(fx.deployment(name=f"d{i}", ns=ns))),
                (QUOTA, Counting(fx.quota(ns))),
                (LIMITS, Counting(fx.limit_range(ns))),
                (NP, Counting({**_deny(["Ingress", "Egress"]), "metadata": {"namespace": ns}})),
            ]
        return _stack(*objs)

    reads = {}
    for n in (400, 4000):
        resources = stack(n)
        for rule in ("k8s-namespace-baseline", "k8s-sa-token-automount"):
            Counting.reads = 0
            _run_stack(rule, resources)
            reads[(rule, n)] = Counting.reads
    for rule in ("k8s-namespace-baseline", "k8s-sa-token-automount"):
        assert 0 < reads[(rule, 4000)] <= 11 * reads[(rule, 400)], reads


# --- Ingress TLS -------------------------------------------------------------------------------


def _ing(hosts: list[str | None], tls: list[str] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"rules": [{"host": h} if h else {"http": {}} for h in hosts]}
    if tls is not None:
        spec["tls"] = [{"hosts": tls, "secretName": "t"}]
    return {"kind": "Ingress", "metadata": {"name": "i", "namespace": "apps"}, "spec": spec}


@pytest.mark.parametrize(
    ("hosts", "tls", "bad"),
    [
        (["a.example.com"], ["a.example.com"], False),
        (["A.Example.com"], ["a.example.com"], False),
        (["a.example.com"], ["*.example.com"], False),
        (["a.b.example.com"], ["*.example.com"], True),  # a wildcard covers one label
        (["a.example.com", "b.example.com"], ["a.example.com"], True),
        (["a.example.com"], None, True),
        ([None], ["a.example.com"], True),  # a host-less rule answers any name
    ],
)
def test_ingress_tls_covers_every_host(
    hosts: list[str | None], tls: list[str] | None, bad: bool
) -> None:
    assert bool(run_rule("k8s-ingress-tls", INGRESS, _ing(hosts, tls))) is bad


def test_ingress_ssl_redirect_off_and_default_backend() -> None:
    ing = _ing(["a.example.com"], ["a.example.com"])
    ing["metadata"]["annotations"] = {"nginx.ingress.kubernetes.io/ssl-redirect": "false"}
    assert "redirect" in run_rule("k8s-ingress-tls", INGRESS, ing)[0].problem
    catch_all = {"metadata": {"name": "i"}, "spec": {"defaultBackend": {"service": {"name": "s"}}}}
    assert run_rule("k8s-ingress-tls", INGRESS, catch_all)


# --- k8s-probes on one-shot pods -----------------------------------------------------------------


def _pod(restart: str | None = None, hook: str | None = None) -> dict[str, Any]:
    template = fx.deployment()["spec"]["template"]
    spec = template["spec"]
    for c in spec["containers"]:
        c.pop("readinessProbe")
        c.pop("livenessProbe")
    if restart:
        spec["restartPolicy"] = restart
    meta: dict[str, Any] = {"name": "p", "namespace": "apps"}
    if hook:
        meta["annotations"] = {"helm.sh/hook": hook}
    return {"kind": "Pod", "metadata": meta, "spec": spec}


def test_probes_are_not_asked_of_one_shot_pods() -> None:
    assert run_rule("k8s-probes", POD, _pod())  # restartPolicy defaults to Always
    assert run_rule("k8s-probes", POD, _pod("Always"))
    for pod in (_pod("Never"), _pod("OnFailure"), _pod(hook="test"), _pod(hook="test-success")):
        assert run_rule("k8s-probes", POD, pod) == []
    job_template = {"spec": _pod("Never")["spec"]}
    job = {"spec": {"template": job_template}}
    cron = {"spec": {"jobTemplate": {"spec": {"template": job_template}}}}
    assert run_rule("k8s-probes", JOB, job) == []
    assert run_rule("k8s-probes", CRONJOB, cron) == []
    rule = pm("pack").RULES_BY_NAME["k8s-probes"]
    assert JOB not in rule.types and CRONJOB not in rule.types
    with pytest.raises(pm("model").NotApplicable, match="restartPolicy Never"):
        rule.run(pm("model").Subject(POD, "p", _pod("Never")))


# --- aks-api-server-restricted: CIDR arithmetic ----------------------------------------------------


def _cluster(ranges: list[str]) -> dict[str, Any]:
    c = fx.cluster()
    c["apiServerAccessProfile"] = {"enablePrivateCluster": False, "authorizedIPRanges": ranges}
    return c


def _api(ranges: list[str], cfg: dict[str, Any] | None = None) -> list[Any]:
    return run_rule("aks-api-server-restricted", fx.MC, _cluster(ranges), cfg)


@pytest.mark.parametrize(
    ("ranges", "bad"),
    [
        (["203.0.113.0/24", "198.51.100.0/24"], False),
        (["203.0.113.7"], False),  # a bare address is a /32
        (["0.0.0.0/1", "128.0.0.0/1"], True),  # the whole internet in two halves
        (["0.0.0.0/0"], True),
        (["10.0.0.0/16"], False),  # exactly the threshold
        (["10.0.0.0/15"], True),
        (["10.0.0.0/17", "10.0.128.0/17", "10.1.0.0/24"], True),  # a /16 and a bit
        (["10.0.0.0/16", "10.0.0.0/17", "10.0.0.0/16"], False),  # overlaps count once
        ([f"{i}.0.0.0/24" for i in range(1, 200)], False),  # many small ranges
        ([f"{i}.0.0.0/20" for i in range(1, 40)], True),  # many, too many addresses together
        (["10.0.0.1/8"], True),  # host bits are ignored: this is 10.0.0.0/8
        (["2001:db8::/48"], False),
        (["::/0"], True),
        (["2001:db8::/47"], True),
        (["::ffff:0.0.0.0/96"], True),  # every IPv4 address, written as IPv4-mapped IPv6
        (["::ffff:203.0.113.0/120", "203.0.113.0/24"], False),  # the same /24 twice
        (["*"], True),  # not a CIDR: fail closed
        (["203.0.113.0/24", "not-a-cidr"], True),
        ([], True),  # public and unrestricted
    ],
)
def test_authorized_ranges_are_judged_by_their_union(ranges: list[str], bad: bool) -> None:
    assert bool(_api(ranges)) is bad


def test_threshold_is_configurable_and_private_clusters_pass() -> None:
    assert _api(["10.0.0.0/16"], {"widestIpv4Prefix": 24})
    assert _api(["10.0.0.0/12"], {"widestIpv4Prefix": 8}) == []
    private = fx.cluster()
    assert run_rule("aks-api-server-restricted", fx.MC, private) == []
    (finding,) = _api(["0.0.0.0/1", "128.0.0.0/1"])
    assert "100.00% of the IPv4 space" in finding.problem and "/16" in finding.problem


def _union_size_by_intervals(ranges: list[str]) -> int:
    """An independent oracle: merge integer intervals [first, last] and add their lengths."""
    spans = sorted(
        (int(n.network_address), int(n.broadcast_address))
        for n in (ipaddress.IPv4Network(r, strict=False) for r in ranges)
    )
    total, cur_lo, cur_hi = 0, -1, -2
    for lo, hi in spans:
        if lo > cur_hi + 1:
            total += cur_hi - cur_lo + 1
            cur_lo, cur_hi = lo, hi
        else:
            cur_hi = max(cur_hi, hi)
    return total + cur_hi - cur_lo + 1


def test_union_verdict_matches_an_interval_oracle_on_random_sets() -> None:
    rng = random.Random(1234)
    for _ in range(300):
        ranges = []
        for _ in range(rng.randint(1, 12)):
            prefix = rng.randint(12, 28)
            base = rng.choice([10 << 24, (10 << 24) + (1 << 18), 172 << 24, rng.getrandbits(32)])
            ranges.append(str(ipaddress.IPv4Network((base, prefix), strict=False)))
        too_wide = _union_size_by_intervals(ranges) > 2**16
        assert bool(_api(ranges)) is too_wide, ranges
