"""Container hardening beyond the Pod Security Standards (policies.md §3.2-3.3).

- ``k8s-readonly-rootfs``: every container's root filesystem is read-only.
- ``k8s-no-plaintext-secret-env``: no secret written as a literal ``env[].value``.
- ``k8s-pull-policy-mutable-tag``: an image referenced by a mutable tag is pulled ``Always``.
- ``k8s-sa-token-automount`` (a stack policy): the API token is mounted only into pods whose
  service account some (Cluster)RoleBinding of the stack grants permissions.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .hygiene import parse_image
from .model import (
    Finding,
    NotApplicable,
    Rule,
    StackResource,
    Subject,
    get,
    items,
    resource_rule,
    stack_rule,
)
from .podspec import WORKLOAD_TYPES, pod_of
from .rbac import BINDING_TYPES

SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
_TAGS = ("security", "kubernetes", "hardening")


def readonly_rootfs(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """``securityContext.readOnlyRootFilesystem: true`` on every container and init container."""
    pod = pod_of(s.type, s.props)
    if pod is None:
        return
    if pod.is_windows:
        raise NotApplicable("readOnlyRootFilesystem is not supported on Windows pods")
    for c in pod.containers(("containers", "initContainers")):
        if c.security_context.get("readOnlyRootFilesystem") is not True:
            yield Finding(
                f"{c.path}.securityContext.readOnlyRootFilesystem",
                f"container {c.name!r} can write to its root filesystem.",
                "set securityContext.readOnlyRootFilesystem: true and mount an emptyDir "
                "where the program writes (/tmp, caches).",
            )


# --- secrets in plain env values ------------------------------------------------------------

# Words that make an env var name a credential (after splitting on _ - . and camelCase).
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "apikey",
        "credential",
        "credentials",
        "passphrase",
        "privatekey",
        "accesskey",
        "connectionstring",
    }
)
# "KEY" is a credential only after one of these (API_KEY, ACCESS_KEY, SECRET_KEY...).
_KEY_QUALIFIERS = frozenset(
    {"api", "access", "secret", "private", "signing", "encryption", "master", "account", "auth"}
)
# A last word that says the value is not the credential itself but about it.
_NOT_THE_SECRET = frozenset(
    {
        "file",
        "path",
        "dir",
        "name",
        "names",
        "ref",
        "id",
        "enabled",
        "enable",
        "disabled",
        "required",
        "length",
        "ttl",
        "expiry",
        "expiration",
        "timeout",
        "header",
        "type",
        "mode",
        "audience",
        "endpoint",
        "url",
        "uri",
        "version",
        "policy",
        "algorithm",
        "provider",
    }
)
# Flags and references: ALLOW_EMPTY_PASSWORD=no, EXISTING_SECRET=<a Secret's name>.
_ALLOW_PREFIXES = ("allow", "skip", "use", "enable", "disable", "require", "no", "existing")
_FLAG_VALUES = frozenset({"", "true", "false", "yes", "no", "on", "off", "0", "1", "none"})
_WORD_RE = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# Values that are credentials whatever the variable is called (formats with a fixed shape).
_SECRET_VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a PEM private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("an Azure storage account key", re.compile(r"AccountKey=[A-Za-z0-9+/=]{20,}")),
    ("a password inside a URL", re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")),
)


def _words(name: str) -> list[str]:
    return [w.lower() for part in re.split(r"[_\-.]+", name) for w in _WORD_RE.findall(part)]


def sensitive_name(name: str) -> bool:
    """True when an env var name says it holds a credential (REDIS_PASSWORD, API_KEY, ...)."""
    words = _words(name)
    if not words or words[0] in _ALLOW_PREFIXES or words[-1] in _NOT_THE_SECRET:
        return False
    joined = [a + b for a, b in itertools.pairwise(words)]
    if any(w in _SECRET_WORDS for w in (*words, *joined)) or words[-1] == "pass":
        return True
    return words[-1] == "key" and len(words) > 1 and words[-2] in _KEY_QUALIFIERS


def _literal_secret(name: str, value: str) -> str | None:
    """Why a literal value is a secret (never the value itself), or None."""
    for what, pattern in _SECRET_VALUE_PATTERNS:
        if pattern.search(value):
            return what
    stripped = value.strip()
    if (
        sensitive_name(name)
        and stripped.lower() not in _FLAG_VALUES
        and not stripped.startswith("/")  # a path to a mounted file
        and not (stripped.startswith("$(") and stripped.endswith(")"))  # a reference
    ):
        return "a credential (by its name)"
    return None


def no_plaintext_secret_env(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Credentials come from Secrets (``valueFrom.secretKeyRef`` or files), never as literals."""
    pod = pod_of(s.type, s.props)
    if pod is None:
        return
    allowed = {str(n) for _, n in items(cfg.get("allowNames"))}
    for c in pod.containers():
        for i, env in items(c.body.get("env")):
            name, value = get(env, "name"), get(env, "value")
            if not isinstance(name, str) or not isinstance(value, str) or name in allowed:
                continue
            what = _literal_secret(name, value)
            if what:
                # Name the variable, never echo the value: messages reach PR comments and SARIF.
                yield Finding(
                    f"{c.path}.env[{i}].value",
                    f"container {c.name!r} sets {name} to {what} in plain text.",
                    "store it in a Secret and use env[].valueFrom.secretKeyRef (or mount it "
                    "as a file).",
                )


# --- image pull policy ------------------------------------------------------------------------


def _effective_pull_policy(body: Mapping[str, Any], tag: str | None) -> Any:
    """The API server's default (core/v1 defaults.go SetDefaults_Container): Always for
    ``:latest`` or no tag, else IfNotPresent."""
    policy = body.get("imagePullPolicy")
    if policy:
        return policy
    return "Always" if tag in (None, "latest") else "IfNotPresent"


def pull_policy_mutable_tag(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """An image without a digest is a mutable tag: nodes must pull it ``Always``, or pods on
    different nodes run whatever each node cached under that tag."""
    pod = pod_of(s.type, s.props)
    if pod is None:
        return
    immutable = [str(p) for _, p in items(cfg.get("immutableTagRegistries"))]
    for c in pod.containers():
        image = c.body.get("image")
        if not isinstance(image, str) or not image:
            continue  # k8s-image-tag-pinned reports a missing image
        _, tag, digest = parse_image(image)
        if digest or (tag not in (None, "latest") and any(image.startswith(p) for p in immutable)):
            continue
        policy = _effective_pull_policy(c.body, tag)
        if policy != "Always":
            yield Finding(
                f"{c.path}.imagePullPolicy",
                f"container {c.name!r} pulls the mutable tag {image!r} with {policy}.",
                "pin the image by digest (repo:tag@sha256:...), or set imagePullPolicy: Always.",
            )


# --- service-account token automount (stack) --------------------------------------------------


def _ns(props: Mapping[str, Any]) -> str:
    ns = get(props, "metadata", "namespace")
    return ns if isinstance(ns, str) and ns else "default"


_SA_GROUP = "system:serviceaccounts"


def bound_service_accounts(resources: Iterable[StackResource]) -> set[tuple[str, str]]:
    """(namespace, name) of every ServiceAccount a RoleBinding/ClusterRoleBinding names.

    A Group subject ``system:serviceaccounts:<ns>`` binds every account of ``<ns>`` (recorded
    as ``(<ns>, "*")``); ``system:serviceaccounts`` binds every account (``("*", "*")``).
    """
    bound: set[tuple[str, str]] = set()
    for r in resources:
        if r.type not in BINDING_TYPES:
            continue
        for _, subject in items(r.props.get("subjects")):
            kind, name, ns = get(subject, "kind"), get(subject, "name"), get(subject, "namespace")
            if not isinstance(name, str):
                continue
            if kind == "ServiceAccount":
                bound.add((ns if isinstance(ns, str) and ns else _ns(r.props), name))
            elif kind == "Group" and name == _SA_GROUP:
                bound.add(("*", "*"))
            elif kind == "Group" and name.startswith(_SA_GROUP + ":"):
                bound.add((name[len(_SA_GROUP) + 1 :], "*"))
    return bound


def sa_token_automount(
    resources: Sequence[StackResource], cfg: Mapping[str, Any]
) -> Iterable[Finding]:
    """A pod gets an API token only if its service account is granted something in the stack.

    "Needs API access" is judged from the stack: some RoleBinding or ClusterRoleBinding names
    the pod's ServiceAccount as a subject. The token is mounted unless the pod, or else its
    ServiceAccount, sets ``automountServiceAccountToken: false`` (the kubelet's precedence).
    One pass indexes bindings and ServiceAccounts, one pass checks workloads: linear.
    """
    bound = bound_service_accounts(resources)
    sa_automount = {
        (_ns(r.props), get(r.props, "metadata", "name")): r.props.get(
            "automountServiceAccountToken"
        )
        for r in resources
        if r.type == SERVICE_ACCOUNT
    }
    for r in resources:
        pod = pod_of(r.type, r.props) if r.type in WORKLOAD_TYPES else None
        if pod is None:
            continue
        sa = pod.spec.get("serviceAccountName") or pod.spec.get("serviceAccount") or "default"
        key = (_ns(r.props), sa)
        if {key, (key[0], "*"), ("*", "*")} & bound:
            continue
        pod_setting = pod.spec.get("automountServiceAccountToken")
        mounted = (
            pod_setting if isinstance(pod_setting, bool) else sa_automount.get(key) is not False
        )
        if mounted:
            yield Finding(
                f"{pod.spec_path}.automountServiceAccountToken",
                f"the pods mount an API token for ServiceAccount {sa!r}, which no "
                "RoleBinding or ClusterRoleBinding in the stack grants anything.",
                "set automountServiceAccountToken: false on the pod spec (or the "
                "ServiceAccount); bind a Role if it does call the API.",
                urn=r.urn,
                subject=r.label,
            )


_rule = functools.partial(resource_rule, _TAGS, types=WORKLOAD_TYPES)


RULES: Sequence[Rule] = (
    _rule(
        "k8s-readonly-rootfs",
        "Containers must run with a read-only root filesystem.",
        "medium",
        2,
        "Set readOnlyRootFilesystem: true; mount emptyDir volumes for scratch space.",
        readonly_rootfs,
    ),
    _rule(
        "k8s-no-plaintext-secret-env",
        "Credentials must not be written as literal environment values.",
        "high",
        2,
        "Move the value into a Secret and reference it with secretKeyRef.",
        no_plaintext_secret_env,
        config={"allowNames": {"type": "array", "items": {"type": "string"}, "default": []}},
    ),
    _rule(
        "k8s-pull-policy-mutable-tag",
        "Images referenced by a mutable tag must be pulled with imagePullPolicy: Always.",
        "low",
        3,
        "Pin images by digest or pull them Always.",
        pull_policy_mutable_tag,
        config={
            "immutableTagRegistries": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "Registry prefixes that lock tags (e.g. ACR with write-"
                "disabled tags); their version tags count as immutable.",
            }
        },
    ),
    stack_rule(
        (*_TAGS, "stack"),
        "k8s-sa-token-automount",
        "Pods must not mount a service-account token unless the account is granted API access.",
        "low",
        3,
        "Set automountServiceAccountToken: false where the pod never calls the API.",
        sa_token_automount,
    ),
)
