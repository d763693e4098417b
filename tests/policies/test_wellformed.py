"""Malformed Kubernetes objects are input errors (exit 2) wherever they enter the gate.

The expected types are those of k8s.io/api (``core/v1/types.go``: PodSpec.Containers
``[]Container``, SecurityContext.Privileged ``*bool``, ObjectMeta.Labels ``map[string]string``
in apimachinery ``pkg/apis/meta/v1/types.go``, ...; ``rbac/v1/types.go`` PolicyRule.Verbs
``[]string``; ``networking/v1/types.go`` IngressSpec.TLS ``[]IngressTLS``): the API server
refuses to decode such an object, so the offline gate must not pass it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from aksflow import wellformed
from aksflow.cli import main
from aksflow.errors import ConfigError
from aksflow.policy.manifests import iter_files, load_objects

REPO = Path(__file__).resolve().parents[2]
CONFORMANCE = REPO.parent / "shared" / "conformance" / "pss"
CHARTS = Path(__file__).resolve().parent / "charts"

POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "api", "namespace": "web", "labels": {"app": "api"}},
    "spec": {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "app",
                "image": "nginx:1.25",
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                },
            }
        ],
    },
}


def _set(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``obj`` with the dotted ``path`` (``[i]`` for list items) set to ``value``."""
    out = copy.deepcopy(obj)
    node: Any = out
    keys = path.replace("[", ".[").split(".")
    for key in keys[:-1]:
        node = node[int(key[1:-1])] if key.startswith("[") else node.setdefault(key, {})
    last = keys[-1]
    if last.startswith("["):
        node[int(last[1:-1])] = value
    else:
        node[last] = value
    return out


def _workload(kind: str, api_version: str, template_path: str) -> dict[str, Any]:
    template = {"metadata": {"labels": {"app": "api"}}, "spec": copy.deepcopy(POD["spec"])}
    obj: dict[str, Any] = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "api", "namespace": "web"},
    }
    return _set(obj, template_path, template)


DEPLOYMENT = _workload("Deployment", "apps/v1", "spec.template")
CRONJOB = _workload("CronJob", "batch/v1", "spec.jobTemplate.spec.template")
ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "reader"},
    "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
}
BINDING = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "RoleBinding",
    "metadata": {"name": "reader", "namespace": "web"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "x"},
    "subjects": [{"kind": "ServiceAccount", "name": "api", "namespace": "web"}],
}
INGRESS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {"name": "api", "namespace": "web"},
    "spec": {"tls": [{"hosts": ["a.example"], "secretName": "tls"}]},
}
NETPOL = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "deny", "namespace": "web"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
}

SERVICE_ACCOUNT = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "api"}}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "api", "namespace": "web"},
    "spec": {"type": "ClusterIP", "ports": [{"port": 80}]},
}
HPA = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "api", "namespace": "web"},
    "spec": {"minReplicas": 2, "maxReplicas": 5},
}
PDB = {
    "apiVersion": "policy/v1",
    "kind": "PodDisruptionBudget",
    "metadata": {"name": "api", "namespace": "web"},
    "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "api"}}},
}

C0 = "spec.containers[0]"
T = "spec.template.spec"
# (object, key path, wrong value, expected problem)
MALFORMED: list[tuple[dict[str, Any], str, Any, str]] = [
    (POD, "metadata", 5, "must be an object (got int 5)"),
    (POD, "metadata.name", 5, "must be a string (got int 5)"),
    (POD, "metadata.namespace", ["web"], "must be a string (got a list)"),
    (POD, "metadata.labels", "app=api", "must be a map of strings (got str 'app=api')"),
    (POD, "metadata.labels.version", 1.0, "must be a string (got float 1.0)"),
    (POD, "metadata.annotations", [1], "must be a map of strings (got a list)"),
    (POD, "spec", "x", "must be an object (got str 'x')"),
    (POD, "spec.containers", 5, "must be a list (got int 5)"),
    (POD, "spec.containers", {"name": "app"}, "must be a list (got an object)"),
    (POD, "spec.containers[0]", "app", "must be an object (got str 'app')"),
    (POD, "spec.initContainers", "x", "must be a list (got str 'x')"),
    (POD, "spec.ephemeralContainers", 1, "must be a list (got int 1)"),
    (POD, "spec.hostNetwork", "yes", "must be a boolean (got str 'yes')"),
    (POD, "spec.hostPID", 1, "must be a boolean (got int 1)"),
    (POD, "spec.hostIPC", "true", "must be a boolean (got str 'true')"),
    (POD, "spec.securityContext", [], "must be an object (got a list)"),
    (POD, "spec.securityContext.runAsNonRoot", "true", "must be a boolean (got str 'true')"),
    (POD, "spec.securityContext.runAsUser", "0", "must be an integer (got str '0')"),
    (POD, "spec.securityContext.seccompProfile", "RuntimeDefault", "must be an object"),
    (POD, "spec.securityContext.seccompProfile.type", 1, "must be a string (got int 1)"),
    (POD, "spec.volumes", {"name": "v"}, "must be a list (got an object)"),
    (POD, "spec.volumes", [{"name": "v", "hostPath": "/"}], "must be an object"),
    (POD, "spec.automountServiceAccountToken", "no", "must be a boolean (got str 'no')"),
    (POD, "spec.serviceAccountName", True, "must be a string (got bool True)"),
    (POD, f"{C0}.name", 1, "must be a string (got int 1)"),
    (POD, f"{C0}.image", ["nginx"], "must be a string (got a list)"),
    (POD, f"{C0}.imagePullPolicy", 1, "must be a string (got int 1)"),
    (POD, f"{C0}.securityContext", "privileged", "must be an object"),
    (POD, f"{C0}.securityContext.privileged", 7, "must be a boolean (got int 7)"),
    (POD, f"{C0}.securityContext.allowPrivilegeEscalation", "false", "must be a boolean"),
    (POD, f"{C0}.securityContext.readOnlyRootFilesystem", 1, "must be a boolean (got int 1)"),
    (POD, f"{C0}.securityContext.runAsNonRoot", "yes", "must be a boolean"),
    (POD, f"{C0}.securityContext.runAsUser", True, "must be an integer (got bool True)"),
    (POD, f"{C0}.securityContext.runAsGroup", 1.5, "must be an integer (got float 1.5)"),
    (POD, f"{C0}.securityContext.capabilities", ["ALL"], "must be an object (got a list)"),
    (POD, f"{C0}.securityContext.capabilities.drop", "ALL", "must be a list (got str 'ALL')"),
    (POD, f"{C0}.securityContext.capabilities.add", [1], "must be a string (got int 1)"),
    (POD, f"{C0}.env", {"A": "b"}, "must be a list (got an object)"),
    # An env value may be a credential: its type is named, never the value.
    (POD, f"{C0}.env", [{"name": "PW", "value": 123456}], "must be a string (got int)"),
    (POD, f"{C0}.ports", 80, "must be a list (got int 80)"),
    (POD, f"{C0}.ports", [{"containerPort": "80"}], "must be an integer (got str '80')"),
    (POD, f"{C0}.resources", "small", "must be an object (got str 'small')"),
    (POD, f"{C0}.livenessProbe", "/healthz", "must be an object"),
    (POD, f"{C0}.readinessProbe", 1, "must be an object (got int 1)"),
    (DEPLOYMENT, "spec.template", [], "must be an object (got a list)"),
    (DEPLOYMENT, "spec.template.metadata.labels", 1, "must be a map of strings (got int 1)"),
    (DEPLOYMENT, f"{T}.containers", 5, "must be a list (got int 5)"),
    (DEPLOYMENT, f"{T}.containers[0].securityContext.privileged", "true", "must be a boolean"),
    (CRONJOB, "spec.jobTemplate", "x", "must be an object (got str 'x')"),
    (CRONJOB, "spec.jobTemplate.spec.template.spec.hostNetwork", "on", "must be a boolean"),
    (ROLE, "rules", {"verbs": ["*"]}, "must be a list (got an object)"),
    (ROLE, "rules[0].verbs", "*", "must be a list (got str '*')"),
    (ROLE, "rules[0].resources", "secrets", "must be a list (got str 'secrets')"),
    (ROLE, "rules[0].apiGroups", [None, 1], "must be a string (got int 1)"),
    (BINDING, "roleRef", "cluster-admin", "must be an object"),
    (BINDING, "roleRef.name", ["cluster-admin"], "must be a string (got a list)"),
    (BINDING, "subjects", {"kind": "User"}, "must be a list (got an object)"),
    (INGRESS, "spec.tls", {"hosts": ["a"]}, "must be a list (got an object)"),
    (INGRESS, "spec.tls[0].hosts", "a.example", "must be a list (got str 'a.example')"),
    (NETPOL, "spec.podSelector", "app=api", "must be an object (got str 'app=api')"),
    (NETPOL, "spec.podSelector.matchLabels", ["a"], "must be a map of strings (got a list)"),
    (NETPOL, "spec.policyTypes", "Ingress", "must be a list (got str 'Ingress')"),
    (SERVICE_ACCOUNT, "automountServiceAccountToken", "false", "must be a boolean"),
    (SERVICE, "spec.type", ["LoadBalancer"], "must be a string (got a list)"),
    (SERVICE, "spec.externalIPs", "1.2.3.4", "must be a list (got str '1.2.3.4')"),
    (HPA, "spec.minReplicas", "2", "must be an integer (got str '2')"),
    (PDB, "spec.selector", "app=api", "must be an object (got str 'app=api')"),
]


def _expected_path(path: str, value: Any) -> str:
    """Where the error points: inside a list or map value, at the offending element."""
    if path.endswith("rules[0].apiGroups"):
        return path + "[1]"
    if path.endswith("capabilities.add"):
        return path + "[0]"
    if path.endswith(".env") and isinstance(value, list):
        return path + "[0].value"
    if path.endswith(".ports") and isinstance(value, list):
        return path + "[0].containerPort"
    if path.endswith(".volumes") and isinstance(value, list):
        return path + "[0].hostPath"
    return path


def _case_id(case: tuple[dict[str, Any], str, Any, str]) -> str:
    obj, path, value, _ = case
    return f"{obj['kind']}-{path}-{type(value).__name__}"


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stderr


def _headline(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(("note: ", "warning: "))]
    assert lines and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("case", MALFORMED, ids=[_case_id(c) for c in MALFORMED])
def test_policy_analyze_manifests_refuses_a_malformed_object(
    case: tuple[dict[str, Any], str, Any, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    obj, path, value, problem = case
    bad = _set(obj, path, value)
    good = copy.deepcopy(POD)
    good["metadata"]["name"] = "first"
    (tmp_path / "objects.yaml").write_text(yaml.safe_dump_all([good, bad]))
    monkeypatch.chdir(tmp_path)
    code, err = _invoke("policy", "analyze", "--manifests", "objects.yaml")
    assert code == 2, err
    headline = _headline(err)
    meta = bad.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    ns = meta.get("namespace") if isinstance(meta, dict) else None
    if not isinstance(name, str):
        subject = f"{obj['kind']} #2"  # no usable name: the object's position in the file
    elif isinstance(ns, str):
        subject = f"{obj['kind']} {ns}/{name}"
    else:
        subject = f"{obj['kind']} {name}"
    assert headline.startswith("error: objects.yaml:")
    assert f": {subject}: {_expected_path(path, value)}: {problem}" in headline, headline
    if path.endswith(".env") and isinstance(value, list):
        assert "123456" not in err


def test_a_malformed_object_in_a_json_manifest(tmp_path: Path) -> None:
    bad = _set(POD, f"{C0}.securityContext.privileged", 7)
    file = tmp_path / "pod.json"
    file.write_text(json.dumps(bad))
    code, err = _invoke("policy", "analyze", "--manifests", str(file))
    assert code == 2
    assert (
        "Pod web/api: spec.containers[0].securityContext.privileged: must be a boolean "
        "(got int 7)" in _headline(err)
    )


def test_the_check_names_the_object_inside_a_list_kind(tmp_path: Path) -> None:
    bad = _set(POD, "spec.hostPID", "true")
    file = tmp_path / "list.yaml"
    file.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [POD, bad]}))
    code, err = _invoke("policy", "analyze", "--manifests", str(file))
    assert code == 2
    assert "Pod web/api: spec.hostPID: must be a boolean (got str 'true')" in _headline(err)


def test_nulls_and_unknown_fields_are_not_this_checks_business() -> None:
    obj = _set(POD, f"{C0}.securityContext.privileged", None)
    obj = _set(obj, "spec.hostNetwork", None)
    obj = _set(obj, "metadata.labels.empty", None)  # decodes as "" into map[string]string
    obj = _set(obj, "spec.somethingNew", 5)
    obj = _set(obj, f"{C0}.securityContext.runAsUser", 1000.0)  # Pulumi numbers are float64
    assert wellformed.problem(obj) is None
    custom = {"apiVersion": "example.com/v1", "kind": "Pod", "metadata": {}, "spec": 5}
    assert wellformed.problem(custom) is None  # a CR named Pod is not core/v1 Pod
    assert wellformed.problem({**custom, "metadata": 5}) == (
        "metadata",
        "must be an object (got int 5)",
    )


def test_every_type_in_the_table_is_defined() -> None:
    names = set(wellformed.TYPES)
    for fields in wellformed.TYPES.values():
        for spec in fields.values():
            element = spec.removeprefix("[]")
            if element not in ("string", "bool", "int", "object") and not element.startswith(
                "map["
            ):
                assert element in names, spec
    assert set(wellformed.KINDS.values()) <= names


def _valid_objects() -> list[tuple[str, dict[str, Any]]]:
    files = list(iter_files([CONFORMANCE, CHARTS]))
    assert len(files) > 100, files
    return [(str(f), obj) for f in files for obj, _ in load_objects(f)]


def test_no_false_positive_on_conformance_fixtures_and_chart_models() -> None:
    objects = _valid_objects()
    assert len(objects) > 150
    bad = [(name, wellformed.problem(obj)) for name, obj in objects if wellformed.problem(obj)]
    assert bad == []


# --- --state: the inputs of kubernetes:* resources ------------------------------------------

STATE_CASES = [
    (DEPLOYMENT, f"{T}.containers", 5, "must be a list (got int 5)"),
    (DEPLOYMENT, f"{T}.containers[0].securityContext.privileged", 7, "must be a boolean"),
    (DEPLOYMENT, "metadata", 5, "must be an object (got int 5)"),
    (ROLE, "rules[0].verbs", "*", "must be a list (got str '*')"),
    (NETPOL, "spec.policyTypes", "Ingress", "must be a list (got str 'Ingress')"),
]
_TOKENS = {
    "Deployment": "kubernetes:apps/v1:Deployment",
    "ClusterRole": "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    "NetworkPolicy": "kubernetes:networking.k8s.io/v1:NetworkPolicy",
}


@pytest.mark.parametrize("case", STATE_CASES, ids=[_case_id(c) for c in STATE_CASES])
def test_policy_analyze_state_refuses_a_malformed_kubernetes_resource(
    case: tuple[dict[str, Any], str, Any, str], tmp_path: Path
) -> None:
    from tests.policies.fixtures import good_state

    obj, path, value, problem = case
    document = good_state()
    resources = document["deployment"]["resources"]
    urn = f"urn:pulumi:prod::aksflow::{_TOKENS[obj['kind']]}::bad"
    resources.append(
        {
            "urn": urn,
            "custom": True,
            "id": "bad",
            "type": _TOKENS[obj["kind"]],
            "inputs": _set(obj, path, value),
            "outputs": {},
            "parent": resources[0]["urn"],
        }
    )
    file = tmp_path / "state.json"
    file.write_text(json.dumps(document))
    code, err = _invoke("policy", "analyze", "--state", str(file))
    assert code == 2, err
    headline = _headline(err)
    index = len(resources) - 1
    assert headline.startswith(f"error: {file}: deployment.resources[{index}].inputs: "), headline
    subject = f"{obj['kind']} bad" if path == "metadata" else obj["kind"]
    assert f": {subject}" in headline
    assert f": {path}: {problem}" in headline, headline


def test_a_well_formed_state_still_passes_the_check(tmp_path: Path) -> None:
    from tests.policies.fixtures import good_state

    file = tmp_path / "state.json"
    file.write_text(json.dumps(good_state()))
    code, err = _invoke("policy", "analyze", "--state", str(file))
    assert code == 0, err


def test_a_secret_in_a_stack_export_is_opaque_to_the_check() -> None:
    from tests.policies.fixtures import SECRET

    obj = _set(POD, f"{C0}.env", [{"name": "PW", "value": SECRET}])
    obj = _set(obj, f"{C0}.securityContext", SECRET)
    assert wellformed.problem(obj) is None


# --- preview: a chart rendering a malformed object ------------------------------------------


def test_preview_refuses_a_chart_that_renders_a_malformed_object(
    project_copy: Path, tmp_path: Path
) -> None:
    template = project_copy / "apps" / "web" / "chart" / "templates" / "deployment.yaml"
    text = template.read_text()
    assert "privileged: false" in text
    template.write_text(text.replace("privileged: false", "privileged: 7", 1))
    out = tmp_path / "out"
    code, err = _invoke(
        "preview", "--project-dir", str(project_copy), "--stack", "dev", "--out", str(out)
    )
    assert code == 2, err
    headline = _headline(err)
    assert "app web (dev)" in headline
    assert "apps/web/chart/templates/deployment.yaml: Deployment " in headline, headline
    assert (
        ": spec.template.spec.containers[0].securityContext.privileged: must be a boolean "
        "(got int 7)" in headline
    ), headline
    assert not out.exists() or not any(out.iterdir())


def test_a_program_resource_is_named_by_the_line_that_registered_it() -> None:
    from aksflow.policy.export import check_program_objects
    from aksflow.wellformed import _UNKNOWN
    from tests.policies.fixtures import state

    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}}
    unknown = _set(namespace, "metadata.labels", _UNKNOWN)  # unknown in a preview: any type
    position = "project:///infra/components/namespace.py#12,5"
    check_program_objects(state([("kubernetes:core/v1:Namespace", "ns", unknown, position)]), "dev")
    bad = _set(namespace, "metadata.labels.team", 5)
    document = state([("kubernetes:core/v1:Namespace", "ns", bad, position)])
    with pytest.raises(ConfigError) as raised:
        check_program_objects(document, "dev")
    assert str(raised.value).splitlines()[0] == (
        "infra/components/namespace.py:12 (stack dev): Namespace apps: metadata.labels.team: "
        "must be a string (got int 5)"
    )
