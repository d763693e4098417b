"""Kubernetes upgrade planning: what a ``kubernetesVersion`` change will run into.

Checks, each a :class:`Check` with a level:

* the step: AKS upgrades one minor at a time and never downgrades (``aks_versions.json``);
* the support window: the target must be GA and not past end of life on AKS's calendar;
* promotion order: no environment may run ahead of an earlier one (compared across the head's
  stacks by :func:`promotion_checks`);
* removed and deprecated APIs: the project's own ``k8s-deprecated-apis`` policy evaluated on the
  stack's rendered objects at the target version;
* node-pool version skew (kubelet never newer than the API server, at most three minors older);
* surge headroom: every pool's ``maxSurge`` nodes on top of the pools at max count must fit in
  the environment's regional vCPU quota per VM family (``safety.yaml``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from aksflow.safety import inventory
from aksflow.safety.prices import PriceTable, ReleaseCalendar
from aksflow.safety.settings import EnvironmentSafety

Level = Literal["high", "medium", "info"]
DEPRECATED_API_POLICY = "k8s-deprecated-apis"
MAX_KUBELET_SKEW = 3  # kubernetes.io/releases/version-skew-policy (kubelet, since 1.28)
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")


@dataclass(frozen=True)
class Check:
    """One finding of upgrade planning."""

    level: Level
    check: str
    message: str
    urn: str | None = None

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"level": self.level, "check": self.check, "message": self.message}
        if self.urn:
            doc["urn"] = self.urn
        return doc


@dataclass(frozen=True)
class UpgradePlan:
    """A stack's version change and everything checked about it."""

    old: str | None  # None: a new stack
    new: str
    checks: tuple[Check, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"from": self.old, "to": self.new, "checks": [c.to_json() for c in self.checks]}


def minor_of(version: str) -> tuple[int, int] | None:
    """``(1, 34)`` for ``1.34`` or ``1.34.2``; None when it is not a version."""
    match = _VERSION.match(version.strip()) if version else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def _key(version: str) -> tuple[int, ...]:
    match = _VERSION.match(version.strip()) if version else None
    if not match:
        return ()
    return tuple(int(g) for g in match.groups() if g is not None)


def _month_end(month: str) -> date:
    year, mon = (int(p) for p in month.split("-"))
    return date(year + mon // 12, mon % 12 + 1, 1)  # exclusive: first day after the month


def _month_start(month: str) -> date:
    year, mon = (int(p) for p in month.split("-"))
    return date(year, mon, 1)


def step_checks(old: str | None, new: str) -> list[Check]:
    """Downgrade and skipped minors."""
    a, b = minor_of(old or ""), minor_of(new)
    if a is None or b is None:
        return []
    if _key(new) < _key(old or ""):
        return [
            Check(
                "high",
                "downgrade",
                f"downgrades Kubernetes {old} → {new}: AKS does not support downgrades "
                "(the deploy fails, or a re-created cluster loses its workloads)",
            )
        ]
    if a[0] == b[0] and b[1] - a[1] > 1:
        skipped = ", ".join(f"{a[0]}.{m}" for m in range(a[1] + 1, b[1]))
        path = " → ".join(f"{a[0]}.{m}" for m in range(a[1], b[1] + 1))
        return [
            Check(
                "high",
                "skippedMinor",
                f"skips Kubernetes {skipped}: AKS upgrades one minor version at a time "
                f"(upgrade {path}, one PR per step, each promoted dev → staging → prod)",
            )
        ]
    return []


def window_checks(version: str, calendar: ReleaseCalendar, today: date) -> list[Check]:
    """The target must be GA on AKS and not past end of life, on the shipped calendar."""
    minor = minor_of(version)
    if minor is None:
        return []
    name = f"{minor[0]}.{minor[1]}"
    where = f"(AKS release calendar, {calendar.source_date})"
    release = calendar.releases.get(name)
    if release is None:
        known = sorted(calendar.releases, key=lambda v: minor_of(v) or (0, 0))
        span = f"{known[0]} to {known[-1]}" if known else "none"
        return [
            Check(
                "high",
                "supportWindow",
                f"Kubernetes {name} is not on AKS's release calendar (known: {span}) {where}",
            )
        ]
    if today < _month_start(release.ga):
        return [
            Check(
                "high",
                "supportWindow",
                f"Kubernetes {name} is not GA on AKS until {release.ga} (preview from "
                f"{release.preview}) {where}",
            )
        ]
    if today >= _month_end(release.end_of_life):
        return [
            Check(
                "high",
                "supportWindow",
                f"Kubernetes {name} reached end of life on AKS in {release.end_of_life} {where}",
            )
        ]
    return [
        Check(
            "info",
            "supportWindow",
            f"Kubernetes {name} is supported on AKS until the end of {release.end_of_life} {where}",
        )
    ]


def skew_checks(
    pools: Mapping[str, inventory.Pool], cluster_version: str, old_version: str | None
) -> list[Check]:
    """Pools pinned to an orchestrator version the control plane cannot serve."""
    control = minor_of(cluster_version)
    if control is None:
        return []
    out = []
    previous = minor_of(old_version or "")
    for pool in pools.values():
        if not pool.orchestrator_version:
            out += _unpinned(pool, control, cluster_version, previous, old_version)
            continue
        node = minor_of(pool.orchestrator_version)
        if node is None:
            continue
        if node > control:
            out.append(
                Check(
                    "high",
                    "nodeSkew",
                    f"node pool {pool.name} runs {pool.orchestrator_version}, newer than the "
                    f"control plane {cluster_version}: a kubelet must not be newer than the "
                    "API server",
                    pool.urn,
                )
            )
        elif node[0] == control[0] and control[1] - node[1] > MAX_KUBELET_SKEW:
            out.append(
                Check(
                    "high",
                    "nodeSkew",
                    f"node pool {pool.name} stays at {pool.orchestrator_version}, more than "
                    f"{MAX_KUBELET_SKEW} minors behind the control plane {cluster_version}",
                    pool.urn,
                )
            )
        elif node < control and old_version is not None:
            out.append(
                Check(
                    "medium",
                    "nodeSkew",
                    f"node pool {pool.name} stays at {pool.orchestrator_version} while the "
                    f"control plane moves to {cluster_version}: upgrade its "
                    "orchestratorVersion in a follow-up PR",
                    pool.urn,
                )
            )
    return out


def _unpinned(
    pool: inventory.Pool,
    control: tuple[int, int],
    cluster_version: str,
    previous: tuple[int, int] | None,
    old_version: str | None,
) -> list[Check]:
    """A separate pool without orchestratorVersion keeps the version it runs (reference aks.md
    5.6: bump kubernetesVersion first, then each AgentPool's orchestratorVersion)."""
    if pool.inline or previous is None or previous >= control or previous[0] != control[0]:
        return []
    behind = control[1] - previous[1]
    level: Level = "high" if behind > MAX_KUBELET_SKEW else "info"
    return [
        Check(
            level,
            "nodeSkew",
            f"node pool {pool.name} sets no orchestratorVersion: it stays at {old_version} "
            f"({behind} minor{'s' if behind > 1 else ''} behind {cluster_version}; kubelets may "
            f"lag at most {MAX_KUBELET_SKEW}) until its orchestratorVersion is raised in a "
            "follow-up PR",
            pool.urn,
        )
    ]


def surge_nodes(max_surge: str, nodes: int) -> int:
    """Extra nodes an upgrade adds: ``33%`` of the node count rounded up, or an absolute number."""
    text = max_surge.strip()
    if text.endswith("%"):
        try:
            return max(1, math.ceil(nodes * float(text[:-1]) / 100)) if nodes else 0
        except ValueError:
            return 1
    try:
        return max(1, int(text))
    except ValueError:
        return 1


def surge_checks(
    pools: Mapping[str, inventory.Pool],
    table: PriceTable,
    env: EnvironmentSafety,
    environment: str,
) -> list[Check]:
    """Surge nodes on top of every pool at max count, against the vCPU quota per family.

    Conservative: all pools surge at once, each from its maximum node count.
    """
    if not env.vcpu_quota:
        return [
            Check(
                "info",
                "surgeQuota",
                f"surge headroom not checked: no vcpuQuota for {environment} in safety.yaml",
            )
        ]
    steady: dict[str, int] = {}
    surge: dict[str, int] = {}
    unknown = []
    for pool in pools.values():
        size = table.vm_sizes.get(pool.vm_size)
        if size is None:
            unknown.append(pool.vm_size)
            continue
        steady[size.family] = steady.get(size.family, 0) + pool.max_count * size.vcpus
        extra = 0 if pool.spot else surge_nodes(pool.max_surge, pool.max_count)
        surge[size.family] = surge.get(size.family, 0) + extra * size.vcpus
    out = []
    for family in sorted(steady):
        quota = env.vcpu_quota.get(family)
        need = steady[family] + surge[family]
        if quota is None:
            out.append(
                Check(
                    "info",
                    "surgeQuota",
                    f"{family}: no quota in safety.yaml; the upgrade peaks at {need} vCPUs",
                )
            )
        elif need > quota:
            out.append(
                Check(
                    "high",
                    "surgeQuota",
                    f"{family}: pools at max count use {steady[family]} vCPUs and maxSurge adds "
                    f"{surge[family]}: {need} > quota {quota}; lower maxSurge or raise the quota",
                )
            )
        else:
            out.append(
                Check(
                    "info",
                    "surgeQuota",
                    f"{family}: upgrade peaks at {need} of {quota} vCPUs "
                    f"({steady[family]} at max count + {surge[family]} surge)",
                )
            )
    out += [
        Check("info", "surgeQuota", f"{size}: not in the price table, surge not checked")
        for size in sorted(set(unknown))
    ]
    return out


def deprecated_api_checks(
    state: Mapping[str, Any], pack_dir: Path, old: str | None, new: str
) -> list[Check]:
    """The pack's deprecated-API policy on this stack at ``new`` (and at ``old`` to compare).

    A finding that the current version does not have yet is what the upgrade introduces.
    """
    from aksflow.policy.config import reconcile
    from aksflow.policy.engine import FastAnalyzer, Outcome
    from aksflow.policy.gate import resources_from_state
    from aksflow.policy.loader import load_pack

    pack = load_pack(pack_dir)
    if not any(p.name == DEPRECATED_API_POLICY for p in pack.policies):
        return [Check("info", "deprecatedApis", f"pack has no {DEPRECATED_API_POLICY} policy")]
    resources, _, _ = resources_from_state(state)

    def messages(version: str) -> dict[tuple[str, str], str]:
        raw = {
            "all": "disabled",
            DEPRECATED_API_POLICY: {"enforcementLevel": "advisory", "kubernetesVersion": version},
        }
        settings = reconcile(pack, raw, source=f"upgrade check at {version}")
        analyzer = FastAnalyzer(pack, settings)
        out = Outcome()
        analyzer.analyze_stack(resources, out)
        return {(d.urn, _state_word(d.message)): d.message for d in out.diagnostics}

    before = messages(old) if old else {}
    checks = []
    for (urn, word), message in messages(new).items():
        if (urn, word) in before:
            continue
        detail = next((ln for ln in reversed(message.splitlines()) if ln.strip()), message)
        checks.append(
            Check(
                "high" if word == "removed" else "medium",
                "deprecatedApis",
                f"at Kubernetes {new}: {detail.strip()}",
                urn,
            )
        )
    if not checks:
        checks.append(
            Check(
                "info",
                "deprecatedApis",
                f"no rendered object uses an API removed or newly deprecated at {new} "
                f"({DEPRECATED_API_POLICY} evaluated at the target version)",
            )
        )
    return checks


def _state_word(message: str) -> str:
    return "removed" if " is removed at " in message else "deprecated"


def plan_upgrade(
    *,
    old: str | None,
    new: str,
    head_state: Mapping[str, Any],
    calendar: ReleaseCalendar,
    table: PriceTable,
    env: EnvironmentSafety,
    environment: str,
    pack_dir: Path | None,
    today: date,
) -> UpgradePlan:
    """Every check of one stack's version change (``old`` None: a new stack)."""
    checks = step_checks(old, new) + window_checks(new, calendar, today)
    pools = inventory.pools(head_state)
    checks += skew_checks(pools, new, old)
    if old is not None:
        checks += surge_checks(pools, table, env, environment)
        if pack_dir is not None and (pack_dir / "PulumiPolicy.yaml").is_file():
            checks += deprecated_api_checks(head_state, pack_dir, old, new)
    return UpgradePlan(old, new, tuple(checks))


@dataclass(frozen=True)
class StackVersion:
    """One head stack's environment and Kubernetes version, and whether this PR changed it."""

    stack: str
    environment: str
    version: str
    changed: bool


def promotion_checks(
    stacks: Sequence[StackVersion], promotion: Sequence[str]
) -> dict[str, list[Check]]:
    """Per stack: environments running ahead of an earlier environment in ``promotion``.

    Reported on the later stack, when this PR changed either side.
    """
    rank = {env: i for i, env in enumerate(promotion)}
    out: dict[str, list[Check]] = {}
    for later in stacks:
        behind = [
            earlier
            for earlier in stacks
            if earlier.environment in rank
            and later.environment in rank
            and rank[earlier.environment] < rank[later.environment]
            and (later.changed or earlier.changed)
            and minor_of(earlier.version)
            and _key(later.version) > _key(earlier.version)
        ]
        if not behind:
            continue
        behind.sort(key=lambda s: -rank[s.environment])
        names = ", ".join(f"{_named(s)} at {s.version}" for s in behind)
        out[later.stack] = [
            Check(
                "high",
                "promotionOrder",
                f"{_named(later)} would run Kubernetes {later.version}, ahead of {names}: "
                f"upgrades are promoted {' → '.join(promotion)}; upgrade "
                f"{behind[-1].stack} first",
            )
        ]
    return out


def _named(stack: StackVersion) -> str:
    if stack.stack == stack.environment:
        return stack.stack
    return f"{stack.environment} (stack {stack.stack})"
