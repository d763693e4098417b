"""RBAC (policies.md §3.1, Tier 1 rows 10-12): wildcards, cluster-admin, escalation paths.

Rules are read the way the RBAC authorizer reads them (``plugin/pkg/auth/authorizer/rbac/rbac.go``
``RuleAllows``): a rule grants verb *v* on resource *r* in API group *g* when each list holds the
value or ``*``. So ``verbs: ["*"]`` grants ``escalate`` and ``resources: ["*"]`` grants
``secrets``; both are reported by the escalation policy as what they allow, and by the wildcard
policy as wildcards. A rule narrowed by ``resourceNames`` does not grant *all* Secrets, but it
still grants ``escalate``/``bind``/``impersonate`` on the objects it names.

Aggregated ClusterRoles (``aggregationRule``) get their rules from the controller at run time;
only the rules present in the manifest are visible here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .model import Finding, Rule, Subject, get, items, resource_rule

_GROUP = "rbac.authorization.k8s.io"
ROLE_TYPES = frozenset(
    f"kubernetes:{_GROUP}/{v}:{k}" for v in ("v1", "v1beta1") for k in ("Role", "ClusterRole")
)
BINDING_TYPES = frozenset(
    f"kubernetes:{_GROUP}/{v}:{k}"
    for v in ("v1", "v1beta1")
    for k in ("RoleBinding", "ClusterRoleBinding")
)
# Subjects that are everyone, or the break-glass group that bypasses RBAC entirely.
PRIVILEGED_GROUPS = frozenset({"system:masters", "system:anonymous", "system:unauthenticated"})
ESCALATION_VERBS = ("escalate", "bind", "impersonate")
READ_VERBS = ("get", "list", "watch")
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
_TAGS = ("security", "kubernetes", "rbac")


@dataclass(frozen=True)
class RbacRule:
    """One ``rules[i]`` entry with its field path."""

    path: str
    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    resource_names: tuple[str, ...]
    non_resource_urls: tuple[str, ...]

    def grants(self, verb: str, group: str, resource: str) -> bool:
        """RuleAllows: verb, API group and resource each listed or wildcarded."""
        return (
            _has(self.verbs, verb)
            and _has(self.api_groups, group)
            and (_has(self.resources, resource) or _subresource_wildcard(self.resources, resource))
        )


def _has(values: tuple[str, ...], wanted: str) -> bool:
    return "*" in values or wanted in values


def _subresource_wildcard(resources: tuple[str, ...], wanted: str) -> bool:
    """``*/exec`` grants ``pods/exec`` (rbac.go ResourceMatches); ``pods`` alone does not."""
    if "/" not in wanted:
        return False
    return f"*/{wanted.split('/', 1)[1]}" in resources


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for _, v in items(value) if isinstance(v, str))


def rules_of(props: Mapping[str, Any]) -> Iterator[RbacRule]:
    """Every rule of a Role/ClusterRole."""
    for i, rule in items(props.get("rules")):
        yield RbacRule(
            f"rules[{i}]",
            _strings(get(rule, "apiGroups")),
            _strings(get(rule, "resources")),
            _strings(get(rule, "verbs")),
            _strings(get(rule, "resourceNames")),
            _strings(get(rule, "nonResourceURLs")),
        )


def _is_cluster_role(s: Subject) -> bool:
    return s.type.endswith(":ClusterRole")


def no_wildcards(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """No ``*`` in apiGroups, resources, verbs or nonResourceURLs of any rule (not just [0])."""
    for rule in rules_of(s.props):
        for field, values in (
            ("apiGroups", rule.api_groups),
            ("resources", rule.resources),
            ("verbs", rule.verbs),
            ("nonResourceURLs", rule.non_resource_urls),
        ):
            if "*" in values:
                yield Finding(
                    f"{rule.path}.{field}",
                    f"the rule grants every {field[:-1] if field != 'nonResourceURLs' else 'URL'}"
                    " ('*'), including ones added in later Kubernetes versions.",
                    f"list the {field} the component needs explicitly.",
                )


def cluster_admin_binding(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """Nothing binds ``cluster-admin``, ``system:masters`` or the anonymous groups."""
    role_ref = s.props.get("roleRef")
    if get(role_ref, "kind") == "ClusterRole" and get(role_ref, "name") == "cluster-admin":
        yield Finding(
            "roleRef.name",
            "the binding grants cluster-admin (every verb on every resource).",
            "bind a ClusterRole that lists only the permissions the subjects need.",
        )
    for i, subject in items(s.props.get("subjects")):
        name = get(subject, "name")
        if isinstance(name, str) and name in PRIVILEGED_GROUPS:
            yield Finding(
                f"subjects[{i}].name",
                f"the binding's subject is {name!r}.",
                "bind named users, groups or service accounts instead.",
            )


# (verb, API group, resource, why) grants that lead to cluster takeover or code execution.
_DANGEROUS_GRANTS: tuple[tuple[str, str, str, str], ...] = (
    ("create", "", "pods/exec", "runs commands in any selected pod"),
    # A WebSocket exec/attach is an HTTP GET: before Kubernetes 1.31's
    # AuthorizePodWebsocketUpgradeCreatePermission, get on pods/exec was enough.
    ("get", "", "pods/exec", "runs commands in pods over WebSocket (GET upgrade)"),
    ("create", "", "pods/attach", "attaches to the processes of any selected pod"),
    ("get", "", "nodes/proxy", "reaches the kubelet API (exec in any pod on the node)"),
    ("create", "", "nodes/proxy", "reaches the kubelet API (exec in any pod on the node)"),
    (
        "update",
        "certificates.k8s.io",
        "certificatesigningrequests/approval",
        "approves client certificates (any identity)",
    ),
)
_WEBHOOKS = ("validatingwebhookconfigurations", "mutatingwebhookconfigurations")


def escalation_paths(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """No escalate/bind/impersonate, exec/attach, kubelet proxy, CSR approval, webhook writes,
    and no cluster-wide read of Secrets."""
    for rule in rules_of(s.props):
        for verb in ESCALATION_VERBS:
            if _has(rule.verbs, verb):
                yield Finding(
                    f"{rule.path}.verbs",
                    f"the rule grants {verb!r}"
                    + (" (through '*')" if verb not in rule.verbs else "")
                    + ", a privilege-escalation path.",
                    f"remove {verb!r}; grant the concrete permissions instead.",
                )
        for verb, group, resource, why in _DANGEROUS_GRANTS:
            if rule.grants(verb, group, resource):
                yield Finding(
                    f"{rule.path}.resources",
                    f"the rule grants {verb} on {resource}: {why}.",
                    f"drop {resource} from the rule (use a break-glass role for debugging).",
                )
        for webhook in _WEBHOOKS:
            if any(rule.grants(v, "admissionregistration.k8s.io", webhook) for v in WRITE_VERBS):
                yield Finding(
                    f"{rule.path}.resources",
                    f"the rule may write {webhook}: it can intercept or disable admission.",
                    "let only the platform's own controllers manage webhook configurations.",
                )
        if (
            _is_cluster_role(s)
            and not rule.resource_names
            and any(rule.grants(v, "", "secrets") for v in READ_VERBS)
        ):
            yield Finding(
                f"{rule.path}.resources",
                "the ClusterRole reads Secrets in every namespace.",
                "grant Secret access with a namespaced Role (or name the Secrets in "
                "resourceNames).",
            )


_rule = functools.partial(resource_rule, _TAGS)


RULES: Sequence[Rule] = (
    _rule(
        "k8s-rbac-no-wildcards",
        "RBAC rules must not use '*' for API groups, resources, verbs or URLs.",
        "high",
        1,
        "List API groups, resources and verbs explicitly.",
        no_wildcards,
        ROLE_TYPES,
    ),
    _rule(
        "k8s-rbac-no-cluster-admin-binding",
        "Nothing may bind cluster-admin or the system:masters/anonymous groups.",
        "high",
        1,
        "Bind a least-privilege role to named subjects.",
        cluster_admin_binding,
        BINDING_TYPES,
    ),
    _rule(
        "k8s-rbac-no-escalation-paths",
        "RBAC must not grant escalate/bind/impersonate, pods/exec, nodes/proxy, CSR approval, "
        "webhook writes or cluster-wide Secret reads.",
        "high",
        1,
        "Remove the escalation grant or narrow it to a namespaced Role.",
        escalation_paths,
        ROLE_TYPES,
    ),
)
