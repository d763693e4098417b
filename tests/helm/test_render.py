"""The helm-python-sdk backend: the shipped apps, hardening, overrides and every failure path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from aksflow.errors import RenderError
from aksflow.helm.lock import ChartLock, sha256_digest, write_lock
from aksflow.helm.render import (
    HelmPythonRenderer,
    RenderedObject,
    RenderRequest,
    make_renderer,
    split_manifests,
)
from infra.apps import AppRelease, load_releases
from tests.helm.conftest import ROOT, make_chart, package_chart

RENDERER = HelmPythonRenderer()
ENABLED = [(env, r) for env in ("dev", "staging", "prod") for r in load_releases(ROOT, env)]


def request_for(
    release: AppRelease, environment: str, root: Path = ROOT, **changes: Any
) -> RenderRequest:
    fields: dict[str, Any] = {
        "chart": root / release.chart,
        "release_name": release.release_name,
        "namespace": release.namespace,
        "values": release.values,
        "kube_version": "1.34",
        "app": release.app,
        "environment": environment,
    }
    fields.update(changes)
    return RenderRequest(**fields)


def render_app(app: str, environment: str) -> list[RenderedObject]:
    release = next(r for r in load_releases(ROOT, environment) if r.app == app)
    return RENDERER.render(request_for(release, environment))


def only(objects: list[RenderedObject], kind: str) -> dict[str, Any]:
    matches = [o.manifest for o in objects if o.manifest["kind"] == kind]
    assert len(matches) == 1, f"{len(matches)} {kind}"
    return matches[0]


def test_default_backend_needs_no_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert make_renderer().name == "helm-python-sdk"


@pytest.mark.parametrize(
    ("environment", "release"), ENABLED, ids=[f"{e}-{r.app}" for e, r in ENABLED]
)
def test_every_app_renders_in_every_enabled_environment(
    environment: str, release: AppRelease
) -> None:
    objects = RENDERER.render(request_for(release, environment))
    assert objects
    chart_dir = f"apps/{release.app}/chart/templates/"
    for obj in objects:
        assert obj.template.startswith(chart_dir)
        assert (ROOT / obj.template).is_file()
        assert (
            obj.manifest["apiVersion"] and obj.manifest["kind"] and obj.manifest["metadata"]["name"]
        )
        # No object pins itself into the default namespace.
        assert obj.manifest["metadata"].get("namespace") in (None, *_app_namespaces())
        if obj.manifest["kind"] == "Service":
            assert obj.manifest["spec"]["type"] == "ClusterIP"
        for container in _containers(obj.manifest):
            image = container["image"]
            assert not image.endswith(":latest") and ":" in image.split("/")[-1]
            if environment == "prod":
                assert "@sha256:" in image


def _app_namespaces() -> set[str]:
    return {r.namespace for _, r in ENABLED} | {"web", "batch"}


def _pod_spec(manifest: dict[str, Any]) -> dict[str, Any] | None:
    spec = manifest.get("spec") or {}
    if manifest["kind"] == "CronJob":
        return dict(spec["jobTemplate"]["spec"]["template"]["spec"])
    if "template" in spec and "spec" in spec["template"]:
        return dict(spec["template"]["spec"])
    return None


def _containers(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    pod = _pod_spec(manifest)
    return [] if pod is None else [*pod.get("containers", []), *pod.get("initContainers", [])]


@pytest.mark.parametrize(("app", "kind"), [("web", "Deployment"), ("batch-worker", "CronJob")])
def test_workloads_are_hardened_for_restricted_pss_in_prod(app: str, kind: str) -> None:
    workload = only(render_app(app, "prod"), kind)
    pod = _pod_spec(workload)
    assert pod is not None
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not any(pod.get(key) for key in ("hostNetwork", "hostPID", "hostIPC"))
    allowed_volumes = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
                       "persistentVolumeClaim", "projected", "secret"}  # fmt: skip
    for volume in pod.get("volumes", []):
        assert set(volume) - {"name"} <= allowed_volumes
    for container in pod["containers"]:
        ctx = container["securityContext"]
        assert ctx["allowPrivilegeEscalation"] is False
        assert ctx["privileged"] is False
        assert ctx["readOnlyRootFilesystem"] is True
        assert ctx["runAsNonRoot"] is True
        assert ctx["capabilities"] == {"drop": ["ALL"]}
        assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
        assert "hostPort" not in str(container.get("ports", []))
        assert set(container["resources"]["requests"]) == {"cpu", "memory"}
        assert set(container["resources"]["limits"]) == {"cpu", "memory"}
        assert "@sha256:" in container["image"]


def test_web_service_objects() -> None:
    objects = render_app("web", "prod")
    kinds = sorted(o.manifest["kind"] for o in objects)
    assert kinds == ["Deployment", "HorizontalPodAutoscaler", "NetworkPolicy",
                     "PodDisruptionBudget", "Service", "ServiceAccount"]  # fmt: skip
    deployment = only(objects, "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"] == {"path": "/", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/", "port": "http"}
    assert container["image"] == (
        "nginxinc/nginx-unprivileged:1.27.3-alpine@"
        + load_releases(ROOT, "prod")[-1].values["image"]["digest"]
    )
    assert only(objects, "ServiceAccount")["automountServiceAccountToken"] is False
    assert only(objects, "Service")["spec"]["type"] == "ClusterIP"
    pdb = only(objects, "PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"].items() <= (
        deployment["spec"]["template"]["metadata"]["labels"].items()
    )
    policy = only(objects, "NetworkPolicy")
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert policy["spec"]["podSelector"] == pdb["spec"]["selector"]
    hpa = only(objects, "HorizontalPodAutoscaler")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 10)
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "web",
    }
    # With an HPA the Deployment leaves replicas to it.
    assert "replicas" not in deployment["spec"]


def test_per_environment_overrides() -> None:
    dev = render_app("web", "dev")
    staging = render_app("web", "staging")
    assert only(dev, "Deployment")["spec"]["replicas"] == 1
    assert not [o for o in dev if o.manifest["kind"] == "HorizontalPodAutoscaler"]
    dev_container = only(dev, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert dev_container["resources"]["limits"] == {"cpu": "250m", "memory": "128Mi"}
    assert dev_container["image"] == "nginxinc/nginx-unprivileged:1.27.3-alpine"
    assert only(staging, "HorizontalPodAutoscaler")["spec"]["minReplicas"] == 2
    baseline_dev = render_app("platform-baseline", "dev")
    assert {o.manifest["metadata"]["namespace"] for o in baseline_dev} == {"web"}
    quota = only(baseline_dev, "ResourceQuota")["spec"]["hard"]
    assert (quota["requests.cpu"], quota["services.loadbalancers"]) == ("2", "0")
    baseline_prod = render_app("platform-baseline", "prod")
    quotas = {o.manifest["metadata"]["namespace"]: o.manifest["spec"]["hard"]
              for o in baseline_prod if o.manifest["kind"] == "ResourceQuota"}  # fmt: skip
    assert (quotas["web"]["requests.cpu"], quotas["batch"]["requests.cpu"]) == ("8", "4")
    assert (
        only(render_app("batch-worker", "staging"), "CronJob")["spec"]["schedule"] == "15 * * * *"
    )


def test_platform_baseline_denies_by_default_and_allows_dns() -> None:
    objects = render_app("platform-baseline", "staging")
    policies = {(o.manifest["metadata"]["namespace"], o.manifest["metadata"]["name"]): o.manifest
                for o in objects if o.manifest["kind"] == "NetworkPolicy"}  # fmt: skip
    for namespace in ("web", "batch"):
        deny = policies[(namespace, "default-deny-all")]["spec"]
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        dns = policies[(namespace, "allow-dns-egress")]["spec"]
        assert {p["port"] for p in dns["egress"][0]["ports"]} == {53}
    assert {o.manifest["kind"] for o in objects} == {"LimitRange", "NetworkPolicy", "ResourceQuota"}


# --- failure paths -----------------------------------------------------------------------------


def _web_prod() -> AppRelease:
    return next(r for r in load_releases(ROOT, "prod") if r.app == "web")


def test_template_error_names_app_env_template_and_message() -> None:
    values = {**_web_prod().values, "image": {"digest": "", "requireDigest": True}}
    with pytest.raises(RenderError) as excinfo:
        RENDERER.render(request_for(_web_prod(), "prod", values=values))
    assert str(excinfo.value).startswith(
        "app web (prod): apps/web/chart/templates/deployment.yaml: template error: "
        "execution error at (web/templates/deployment.yaml:"
    )
    assert "image.digest is required" in str(excinfo.value)


def test_schema_violation_names_values_schema() -> None:
    values = {**_web_prod().values, "image": {"tag": "latest"}}
    with pytest.raises(RenderError) as excinfo:
        RENDERER.render(request_for(_web_prod(), "prod", values=values))
    message = str(excinfo.value)
    # One headline naming the key and the schema file; Helm's detail after the key.
    headline = message.splitlines()[0]
    assert headline.startswith("app web (prod): image.tag: ")
    assert headline.endswith("(values break apps/web/chart/values.schema.json)")


def test_missing_chart() -> None:
    with pytest.raises(RenderError, match=r"^app web \(prod\): apps/web/nochart: missing chart"):
        RENDERER.render(request_for(_web_prod(), "prod", chart=ROOT / "apps/web/nochart"))


def test_incompatible_kube_version() -> None:
    with pytest.raises(
        RenderError,
        match=r"apps/web/chart/Chart.yaml: .*requires kubeVersion: >=1.29.0-0 .*Kubernetes v1.28.0",
    ):
        RENDERER.render(request_for(_web_prod(), "prod", kube_version="1.28"))
    with pytest.raises(RenderError, match=r"kube version 'one' is not a version"):
        RENDERER.render(request_for(_web_prod(), "prod", kube_version="one"))


def _demo_request(chart: Path, **changes: Any) -> RenderRequest:
    fields: dict[str, Any] = {"chart": chart, "release_name": "rel", "namespace": "team",
                              "values": {}, "kube_version": "1.31", "app": "demo", "environment": "dev"}  # fmt: skip
    fields.update(changes)
    return RenderRequest(**fields)


CAPS = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-caps
data:
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  namespace: {{ .Release.Namespace | quote }}
"""


def test_kube_version_reaches_capabilities(project: Path) -> None:
    chart = make_chart(project / "apps/demo/chart", **{"templates/caps.yaml": CAPS})
    (obj,) = RENDERER.render(_demo_request(chart))
    assert obj.manifest["data"] == {"kube": "v1.31.0", "namespace": "team"}
    assert obj.template == "apps/demo/chart/templates/caps.yaml"
    (default,) = RENDERER.render(_demo_request(chart, kube_version=None))
    assert default.manifest["data"]["kube"].startswith("v1.")


def test_split_drops_empty_docs_notes_hooks_and_keeps_crds(project: Path) -> None:
    chart = make_chart(
        project / "apps/demo/chart",
        **{
            "templates/NOTES.txt": "Installed {{ .Release.Name }}\n",
            "templates/multi.yaml": "---# leading comment\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
            "templates/hook.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install\n",
            "templates/empty.yaml": "{{- if false }}\nkind: Nothing\n{{- end }}\n",
            "crds/widgets.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n",
        },
    )
    objects = RENDERER.render(_demo_request(chart))
    assert [(o.template, o.manifest["metadata"]["name"]) for o in objects] == [
        ("apps/demo/chart/crds/widgets.yaml", "widgets.example.com"),
        ("apps/demo/chart/templates/multi.yaml", "a"),
        ("apps/demo/chart/templates/multi.yaml", "b"),
    ]


def test_split_uses_helms_separator_rule() -> None:
    text = "---# c\na: 1\n---\n\n---   \nb: 2\nc: '---not a separator'\n---\n"
    docs = split_manifests(text)
    # Like Go's regexp.Split, the second "---" after a consumed blank line stays in the chunk,
    # where YAML reads it as a document start marker.
    assert docs == ["# c\na: 1", "---   \nb: 2\nc: '---not a separator'"]
    assert [yaml.safe_load(doc) for doc in docs] == [{"a": 1}, {"b": 2, "c": "---not a separator"}]


def test_render_errors_for_non_object_documents(project: Path) -> None:
    chart = make_chart(project / "apps/demo/chart", **{"templates/list.yaml": "- a\n- b\n"})
    with pytest.raises(
        RenderError,
        match=r"app demo \(dev\): apps/demo/chart/templates/list.yaml: rendered template: a document is a list",
    ):
        RENDERER.render(_demo_request(chart))


def test_vendored_archive_renders_and_is_verified(project: Path, tmp_path: Path) -> None:
    source = make_chart(tmp_path / "src", "ext", "1.0.0", **{"templates/caps.yaml": CAPS})
    data = package_chart(source, "ext", "1.0.0")
    app_dir = project / "apps" / "ext"
    archive = app_dir / "charts" / "ext-1.0.0.tgz"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(data)
    write_lock(
        app_dir,
        ChartLock("https://x.example", "ext", "1.0.0", "charts/ext-1.0.0.tgz", sha256_digest(data)),
    )
    (obj,) = RENDERER.render(_demo_request(archive, app="ext"))
    assert obj.template == "apps/ext/charts/ext-1.0.0.tgz!/templates/caps.yaml"
    archive.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(RenderError, match=r"app ext \(dev\): digest mismatch for chart"):
        RENDERER.render(_demo_request(archive, app="ext"))


def test_archive_without_lock_is_refused(project: Path, tmp_path: Path) -> None:
    source = make_chart(tmp_path / "src", "ext", "1.0.0", **{"templates/caps.yaml": CAPS})
    archive = project / "apps" / "ext" / "charts" / "ext-1.0.0.tgz"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(package_chart(source, "ext", "1.0.0"))
    with pytest.raises(RenderError, match=r"no chart.lock.yaml records this archive's digest"):
        RENDERER.render(_demo_request(archive, app="ext"))


def test_private_render_binding_contract() -> None:
    """The kube_version option rides on helm_python's private binding: pin its shape."""
    import helm_python
    from helm_python import _native

    assert helm_python.__version__.startswith("0.2.")
    assert callable(_native.call_string)
    assert hasattr(helm_python.Chart, "_raw")
