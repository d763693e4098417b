"""Ingress TLS (policies.md §3.2 row 24): every host an Ingress serves is covered by TLS.

A host is covered when a ``spec.tls[*].hosts`` entry equals it or is a wildcard one label
above it (``*.example.com`` covers ``a.example.com``, not ``a.b.example.com``: RFC 6125 §6.4.3,
the rule ingress-nginx follows). A rule without a host answers any name and cannot be covered
by a certificate, so it is reported too. ingress-nginx redirects HTTP to HTTPS once TLS is set;
``nginx.ingress.kubernetes.io/ssl-redirect: "false"`` turns that off and is reported.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .model import Finding, Rule, Subject, get, items, resource_rule

INGRESS_TYPES = frozenset(
    {
        "kubernetes:networking.k8s.io/v1:Ingress",
        "kubernetes:networking.k8s.io/v1beta1:Ingress",
        "kubernetes:extensions/v1beta1:Ingress",
    }
)
SSL_REDIRECT = "nginx.ingress.kubernetes.io/ssl-redirect"


def covered(host: str, tls_hosts: set[str]) -> bool:
    """True when ``host`` matches a TLS host exactly or through a one-label wildcard."""
    host = host.lower()
    if host in tls_hosts:
        return True
    _, dot, parent = host.partition(".")
    return bool(dot) and f"*.{parent}" in tls_hosts


def ingress_tls(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    """TLS configured for every rule's host; the HTTP->HTTPS redirect not disabled."""
    tls_hosts = {
        h.lower()
        for _, entry in items(get(s.props, "spec", "tls"))
        for _, h in items(get(entry, "hosts"))
        if isinstance(h, str)
    }
    rules = list(items(get(s.props, "spec", "rules")))
    if not rules and get(s.props, "spec", "defaultBackend", "service") is not None:
        yield Finding(
            "spec.defaultBackend",
            "the Ingress serves every host name without TLS.",
            "route named hosts in spec.rules and list them in spec.tls.",
        )
    for i, rule in rules:
        host = get(rule, "host")
        if not isinstance(host, str) or not host:
            yield Finding(
                f"spec.rules[{i}].host",
                "the rule has no host: it answers any name over plain HTTP.",
                "set rules[].host and list it in spec.tls[].hosts with a certificate secret.",
            )
        elif not covered(host, tls_hosts):
            yield Finding(
                f"spec.rules[{i}].host",
                f"host {host!r} is served without TLS.",
                "add the host to spec.tls[].hosts with a secretName (e.g. a cert-manager "
                "Certificate).",
            )
    if get(s.props, "metadata", "annotations", SSL_REDIRECT) == "false":
        yield Finding(
            f"metadata.annotations[{SSL_REDIRECT}]",
            "the HTTP to HTTPS redirect is turned off.",
            f"remove the {SSL_REDIRECT} annotation.",
        )


RULES: Sequence[Rule] = (
    functools.partial(resource_rule, ("security", "kubernetes", "ingress"))(
        "k8s-ingress-tls",
        "Every host an Ingress serves must be covered by TLS.",
        "medium",
        2,
        "List every rule host in spec.tls with a certificate secret.",
        ingress_tls,
        INGRESS_TYPES,
    ),
)
