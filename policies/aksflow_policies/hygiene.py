"""Kubernetes hygiene (Tier 2/3): resources, probes, images, namespaces and Service exposure."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .model import Finding, NotApplicable, Rule, Subject, get, items, resource_rule
from .podspec import LONG_RUNNING_TYPES, WORKLOAD_TYPES, Pod, pod_of

SERVICE = "kubernetes:core/v1:Service"
INTERNAL_LB = "service.beta.kubernetes.io/azure-load-balancer-internal"
_TAGS = ("kubernetes", "hygiene")
_DIGEST_RE = re.compile(r"@sha256:[0-9a-f]{64}$")


def parse_image(image: str) -> tuple[str, str | None, str | None]:
    """Split ``registry[:port]/repo[:tag][@sha256:...]`` -> (name, tag, digest).

    A ':' before the last '/' belongs to the registry port, not a tag.
    """
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :], digest
    return image, None, digest


def resources(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Requests cpu+memory and a memory limit (CPU limit optional by config)."""
    pod = pod_of(s.type, s.props)
    if pod is None:
        return
    wanted = [("requests", "cpu"), ("requests", "memory"), ("limits", "memory")]
    if cfg.get("requireCpuLimit") is True:
        wanted.append(("limits", "cpu"))
    for c in pod.containers(("containers", "initContainers")):
        res = c.body.get("resources")
        missing = [f"{a}.{b}" for a, b in wanted if get(res, a, b) is None]
        if missing:
            yield Finding(
                f"{c.path}.resources",
                f"container {c.name!r} does not set {', '.join(missing)}.",
                "set resources.requests.cpu/memory and resources.limits.memory "
                "in the chart values.",
            )


HELM_HOOK = "helm.sh/hook"


def one_shot_reason(pod: Pod) -> str | None:
    """Why a pod runs to completion (probes make no sense), or None for a long-running one.

    Jobs and CronJobs are not in the policy's types at all; a bare Pod is one-shot when its
    ``restartPolicy`` is Never/OnFailure (the API default is Always) or when it is a Helm hook
    (``helm.sh/hook``: test pods and install/upgrade hooks run once and exit).
    """
    restart = pod.spec.get("restartPolicy")
    if restart in ("Never", "OnFailure"):
        return f"restartPolicy {restart}: the pod runs to completion"
    hooks = pod.meta.get("annotations")
    hook = hooks.get(HELM_HOOK) if isinstance(hooks, Mapping) else None
    if isinstance(hook, str) and hook:
        return f"a Helm hook pod ({hook}) runs once"
    return None


def probes(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Long-running containers define readiness and liveness (or startup) probes."""
    pod = pod_of(s.type, s.props)
    if pod is None:
        return
    reason = one_shot_reason(pod)
    if reason:
        raise NotApplicable(reason)
    for c in pod.containers(("containers",)):
        missing = []
        if c.body.get("readinessProbe") is None:
            missing.append("readinessProbe")
        if c.body.get("livenessProbe") is None and c.body.get("startupProbe") is None:
            missing.append("livenessProbe")
        if missing:
            yield Finding(
                f"{c.path}.{missing[0]}",
                f"container {c.name!r} has no {' or '.join(missing)}.",
                "define readinessProbe and livenessProbe (httpGet/tcpSocket/grpc) "
                "on the container.",
            )


def _images(s: Subject) -> Iterable[tuple[str, str, Any]]:
    pod = pod_of(s.type, s.props)
    if pod is None:
        return
    for c in pod.containers():
        yield f"{c.path}.image", c.name, c.body.get("image")


def image_tag_pinned(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """An explicit, non-latest tag or a digest."""
    for path, name, image in _images(s):
        if not isinstance(image, str) or not image:
            yield Finding(path, f"container {name!r} has no image.", "set an explicit image.")
            continue
        _, tag, digest = parse_image(image)
        if digest:
            continue
        if tag is None or tag == "latest":
            yield Finding(
                path,
                f"container {name!r} image {image!r} is untagged or :latest.",
                "pin an explicit version tag (or a @sha256 digest).",
            )


def image_digest(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Images pinned by sha256 digest."""
    for path, name, image in _images(s):
        if not (isinstance(image, str) and _DIGEST_RE.search(image)):
            yield Finding(
                path,
                f"container {name!r} image {image!r} is not pinned by digest.",
                "reference the image as repo:tag@sha256:<digest>.",
            )


def allowed_registries(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Images come from allow-listed registries (empty list = any)."""
    prefixes = [str(p) for _, p in items(cfg.get("registries"))]
    if not prefixes:
        return
    for path, name, image in _images(s):
        if not (isinstance(image, str) and any(image.startswith(p) for p in prefixes)):
            yield Finding(
                path,
                f"container {name!r} image {image!r} is not from an allowed registry.",
                f"pull from one of {prefixes} (import the image into the project registry).",
            )


def no_default_namespace(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Namespaced objects live outside ``default``."""
    ns = get(s.props, "metadata", "namespace")
    if ns in (None, "", "default"):
        yield Finding(
            "metadata.namespace",
            "the object is in the default namespace.",
            "deploy the release into its own namespace (AppRelease.namespace).",
        )


def service_exposure(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """LoadBalancers are internal; no NodePort or externalIPs unless allow-listed."""
    name = get(s.props, "metadata", "name")
    allow = [str(x) for _, x in items(cfg.get("allowPublic"))]
    if isinstance(name, str) and name in allow:
        return
    svc_type = get(s.props, "spec", "type")
    annotations = get(s.props, "metadata", "annotations")
    if svc_type == "LoadBalancer" and get(annotations, INTERNAL_LB) != "true":
        yield Finding(
            f"metadata.annotations[{INTERNAL_LB}]",
            "the LoadBalancer Service is public.",
            f'annotate it with {INTERNAL_LB}: "true" (or allow-list it in allowPublic).',
        )
    if svc_type == "NodePort" and cfg.get("allowNodePort") is not True:
        yield Finding(
            "spec.type", "the Service is a NodePort.", "use ClusterIP behind an ingress instead."
        )
    if list(items(get(s.props, "spec", "externalIPs"))):
        yield Finding(
            "spec.externalIPs", "the Service sets externalIPs.", "remove spec.externalIPs."
        )


_NAMESPACED_KINDS = WORKLOAD_TYPES | {
    SERVICE,
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:core/v1:Secret",
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    "kubernetes:policy/v1:PodDisruptionBudget",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
}


_rule = functools.partial(resource_rule, _TAGS)


RULES: Sequence[Rule] = (
    _rule(
        "k8s-resources",
        "Containers must set CPU/memory requests and a memory limit.",
        "medium",
        2,
        "Set resources.requests and resources.limits.memory.",
        resources,
        WORKLOAD_TYPES,
        {"requireCpuLimit": {"type": "boolean", "default": False}},
    ),
    _rule(
        "k8s-probes",
        "Long-running containers must define readiness and liveness probes.",
        "medium",
        2,
        "Add readinessProbe and livenessProbe.",
        probes,
        LONG_RUNNING_TYPES | {"kubernetes:core/v1:Pod"},
    ),
    _rule(
        "k8s-image-tag-pinned",
        "Container images must use an explicit non-latest tag or a digest.",
        "high",
        2,
        "Pin image tags.",
        image_tag_pinned,
        WORKLOAD_TYPES,
    ),
    _rule(
        "k8s-image-digest",
        "Container images must be pinned by sha256 digest.",
        "low",
        3,
        "Reference images by digest.",
        image_digest,
        WORKLOAD_TYPES,
    ),
    _rule(
        "k8s-allowed-registries",
        "Container images must come from allow-listed registries.",
        "high",
        2,
        "Pull images from the project registry.",
        allowed_registries,
        WORKLOAD_TYPES,
        {"registries": {"type": "array", "items": {"type": "string"}, "default": []}},
    ),
    _rule(
        "k8s-no-default-namespace",
        "Objects must not be deployed to the default namespace.",
        "low",
        3,
        "Set a namespace.",
        no_default_namespace,
        frozenset(_NAMESPACED_KINDS),
    ),
    _rule(
        "k8s-service-exposure",
        "Services must not be exposed publicly: LoadBalancers must be internal.",
        "high",
        1,
        "Annotate LoadBalancers as internal; avoid NodePort and externalIPs.",
        service_exposure,
        frozenset({SERVICE}),
        {
            "allowPublic": {"type": "array", "items": {"type": "string"}, "default": []},
            "allowNodePort": {"type": "boolean", "default": False},
        },
    ),
)
