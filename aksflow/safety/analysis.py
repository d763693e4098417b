"""One stack's change-safety report: cost, upgrade plan, pool rotations, blast radius.

:func:`analyze_stack` is pure over the base and head stack exports and the planned changes;
:func:`cross_stack` adds what needs every head stack at once (promotion order). Findings a
reviewer must see become :class:`~aksflow.diff.model.Risk` objects; everything is also in the
report's JSON (``diff.json`` → ``stacks[].safety``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from datetime import date
from pathlib import Path
from typing import Any

from aksflow.diff.model import Risk, StackPlan
from aksflow.safety import blast, inventory, rotation
from aksflow.safety.cost import CostChange, estimate, money
from aksflow.safety.prices import PriceTable, ReleaseCalendar, price_table, release_calendar
from aksflow.safety.settings import EnvironmentSafety
from aksflow.safety.upgrade import Check, StackVersion, UpgradePlan, plan_upgrade, promotion_checks


@dataclass(frozen=True)
class StackSafety:
    """Everything change safety found for one stack."""

    environment: str
    kubernetes_version: str
    version_changed: bool
    cost: CostChange | None = None
    upgrade: UpgradePlan | None = None
    promotion: tuple[Check, ...] = ()
    rotations: tuple[rotation.RotationPlan, ...] = ()
    blast: tuple[blast.PoolImpact, ...] = ()
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def risks(self, stack: str) -> list[Risk]:
        """The findings a reviewer must see, as risks of ``stack``."""
        out: list[Risk] = []
        cost = self.cost
        if cost is not None and cost.over_limit:
            out.append(
                Risk(
                    "high",
                    stack,
                    "cost",
                    f"raises the monthly estimate by {money(cost.delta_high, cost.head.currency)}"
                    f" at max node count ({money(cost.delta_low, cost.head.currency)} at min), "
                    f"above the {self.environment} limit of "
                    f"{money(cost.limit or 0, cost.head.currency)} in safety.yaml",
                )
            )
        if cost is not None:
            known = set(cost.base.unpriced) if cost.base else set()
            out += [
                Risk("medium", stack, "cost", f"cost unknown: {item}")
                for item in cost.head.unpriced
                if item not in known
            ]
        checks = [*(self.upgrade.checks if self.upgrade else ()), *self.promotion]
        out += [
            Risk(c.level, stack, c.check, c.message, c.urn)
            for c in checks
            if c.level in ("high", "medium")
        ]
        out += [r.risk(stack) for r in self.rotations]
        out += [risk for impact in self.blast if (risk := impact.risk(stack)) is not None]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "kubernetesVersion": self.kubernetes_version,
            "cost": self.cost.to_json() if self.cost else None,
            "upgrade": self.upgrade.to_json() if self.upgrade else None,
            "promotion": [c.to_json() for c in self.promotion],
            "rotations": [r.to_json() for r in self.rotations],
            "blastRadius": [b.to_json() for b in self.blast],
            "data": dict(self.provenance),
        }


def analyze_stack(
    *,
    stack: str,
    environment: str,
    base_state: Mapping[str, Any] | None,
    head_state: Mapping[str, Any],
    plan: StackPlan,
    env: EnvironmentSafety,
    project_dir: Path | None = None,
    table: PriceTable | None = None,
    calendar: ReleaseCalendar | None = None,
    today: date | None = None,
) -> StackSafety:
    """Cost, upgrade plan, rotations and blast radius of one stack's change."""
    table = table or price_table()
    calendar = calendar or release_calendar()
    today = today or date.today()
    head_cluster = inventory.cluster(head_state)
    base_cluster = inventory.cluster(base_state) if base_state else None
    version = head_cluster.kubernetes_version if head_cluster else ""
    old_version = base_cluster.kubernetes_version if base_cluster else None
    changed = bool(version) and version != old_version
    head_cost = estimate(head_state, table, env)
    base_cost = estimate(base_state, table, env) if base_state else None
    cost = (
        CostChange(head_cost, base_cost, env.cost_increase_limit) if head_cost is not None else None
    )
    upgrade = None
    if changed:
        upgrade = plan_upgrade(
            old=old_version,
            new=version,
            head_state=head_state,
            calendar=calendar,
            table=table,
            env=env,
            environment=environment,
            pack_dir=project_dir / "policies" if project_dir else None,
            today=today,
        )
    rotations = rotation.plans(plan, base_state, head_state, project_dir, stack)
    impacts = blast.impacts(plan, base_state, head_state, table)
    return StackSafety(
        environment=environment,
        kubernetes_version=version,
        version_changed=changed,
        cost=cost,
        upgrade=upgrade,
        rotations=tuple(rotations),
        blast=tuple(impacts),
        provenance={"prices": table.provenance(), "aksVersions": calendar.provenance()},
    )


def cross_stack(
    safeties: Mapping[str, StackSafety],
    promotion: Sequence[str],
    others: Sequence[StackVersion] = (),
) -> dict[str, StackSafety]:
    """Add promotion-order findings, which compare every head stack's version.

    ``others`` are the head's stacks this diff did not preview (``--stack``), from their config.
    """
    versions = [
        StackVersion(stack, s.environment, s.kubernetes_version, s.version_changed)
        for stack, s in safeties.items()
        if s.kubernetes_version
    ]
    versions += [v for v in others if v.stack not in safeties]
    found = promotion_checks(versions, promotion)
    return {
        stack: dc_replace(s, promotion=tuple(found.get(stack, ()))) if stack in found else s
        for stack, s in safeties.items()
    }
