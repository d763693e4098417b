"""Benchmark the pack's stack policies: cost per resource must not grow with the stack.

Builds stacks of N resources (a Deployment, its ServiceAccount, a RoleBinding, a
ResourceQuota, a LimitRange, a NetworkPolicy and a PodDisruptionBudget per app, ten apps per
namespace) and times every stack policy at 1x, 4x and 16x that size, best of three runs each.
A linear policy shows the same microseconds per resource at every size; the ratio column
compares the largest size with the smallest and must stay under ``--max-ratio``.

    .venv/bin/python bench/stack_policy_bench.py [--base 2000] [--max-ratio 2.0]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "policies"))

from aksflow_policies.model import StackResource  # type: ignore[import-not-found]  # noqa: E402
from aksflow_policies.pack import ALL_RULES  # type: ignore[import-not-found]  # noqa: E402

K8S = "kubernetes:"


def _app(i: int) -> list[tuple[str, dict[str, Any]]]:
    ns, name = f"ns{i // 10}", f"app{i}"
    labels = {"app": name}
    meta = {"name": name, "namespace": ns}
    pod = {
        "metadata": {"labels": labels},
        "spec": {
            "serviceAccountName": name,
            "automountServiceAccountToken": False,
            "containers": [{"name": "c", "image": f"reg.example/{name}:1.0"}],
        },
    }
    return [
        (
            f"{K8S}apps/v1:Deployment",
            {
                "metadata": meta,
                "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": pod},
            },
        ),
        (f"{K8S}core/v1:ServiceAccount", {"metadata": meta}),
        (
            f"{K8S}rbac.authorization.k8s.io/v1:RoleBinding",
            {"metadata": meta, "subjects": [{"kind": "ServiceAccount", "name": name}]},
        ),
        (f"{K8S}core/v1:ResourceQuota", {"metadata": meta}),
        (f"{K8S}core/v1:LimitRange", {"metadata": meta}),
        (
            f"{K8S}networking.k8s.io/v1:NetworkPolicy",
            {"metadata": meta, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
        ),
        (
            f"{K8S}policy/v1:PodDisruptionBudget",
            {"metadata": meta, "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}}},
        ),
    ]


def stack(size: int) -> list[Any]:
    """About ``size`` resources."""
    objs = [o for i in range(max(1, size // 7)) for o in _app(i)]
    return [StackResource(t, f"urn:b::{t}::r{i}", f"r{i}", o) for i, (t, o) in enumerate(objs)]


def best_of(rule: Any, resources: list[Any], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        rule.run_stack(resources)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=int, default=2000, help="smallest stack size")
    parser.add_argument("--max-ratio", type=float, default=2.0)
    args = parser.parse_args(argv)
    sizes = (args.base, args.base * 4, args.base * 16)
    stacks = {n: stack(n) for n in sizes}
    header = "".join(f"{f'µs/res @{len(stacks[n])}':>16}" for n in sizes)
    print(f"{'stack policy':32}{header}{'ratio':>8}")
    failed = False
    for rule in (r for r in ALL_RULES if r.is_stack):
        per = [best_of(rule, stacks[n]) / len(stacks[n]) * 1e6 for n in sizes]
        ratio = per[-1] / per[0] if per[0] else 1.0
        failed |= ratio > args.max_ratio
        cells = "".join(f"{p:16.2f}" for p in per)
        print(f"{rule.name:32}{cells}{ratio:8.2f}")
    print("FAIL: a stack policy grows faster than linearly" if failed else "OK: all linear")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
