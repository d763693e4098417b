"""Monthly cost of a stack, offline, from the shipped price table.

The model (docs/change-safety.md): every node pool at its minimum and at its maximum node
count (Spot pools at the Spot price), the control-plane tier (the uptime SLA), Defender for
Containers per vCore of those nodes, and Log Analytics retention beyond the free days at the
environment's assumed ingestion. Managed OS disks, egress, load balancers and log ingestion
itself are not priced; sizes missing from the table are listed as unpriced, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aksflow.safety import inventory
from aksflow.safety.prices import PriceTable
from aksflow.safety.settings import EnvironmentSafety


@dataclass(frozen=True)
class CostLine:
    """One priced item: its monthly cost at minimum and at maximum node count."""

    key: str  # stable id for comparing base and head: "pool:npuser01", "tier", ...
    item: str
    low: float
    high: float
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"item": self.item, "min": round(self.low, 2)}
        doc["max"] = round(self.high, 2)
        if self.note:
            doc["note"] = self.note
        return doc


@dataclass(frozen=True)
class StackCost:
    """A stack's monthly estimate."""

    lines: tuple[CostLine, ...]
    unpriced: tuple[str, ...]
    currency: str

    @property
    def low(self) -> float:
        return sum(line.low for line in self.lines)

    @property
    def high(self) -> float:
        return sum(line.high for line in self.lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "min": round(self.low, 2),
            "max": round(self.high, 2),
            "lines": [line.to_json() for line in self.lines],
            "unpriced": list(self.unpriced),
        }


def _pool_line(pool: inventory.Pool, table: PriceTable) -> tuple[CostLine | None, str | None]:
    size = table.vm_sizes.get(pool.vm_size)
    if size is None:
        return None, f"node pool {pool.name}: {pool.vm_size} is not in the price table"
    hourly = size.spot_hourly if pool.spot else size.hourly
    month = hourly * table.hours_per_month
    spot = ", spot (evictable; Spot prices move daily)" if pool.spot else ""
    gpu = f", {size.gpus} GPU each" if size.gpus else ""
    return (
        CostLine(
            key=f"pool:{pool.name}",
            item=f"node pool {pool.name}: {pool.min_count}-{pool.max_count} x {pool.vm_size}",
            low=pool.min_count * month,
            high=pool.max_count * month,
            note=f"{hourly:g} {table.currency}/h per node{gpu}{spot}",
        ),
        None,
    )


def estimate(
    state: Mapping[str, Any], table: PriceTable, env: EnvironmentSafety | None = None
) -> StackCost | None:
    """The monthly estimate of a stack export, or None when it declares no cluster."""
    cluster = inventory.cluster(state)
    if cluster is None:
        return None
    env = env or EnvironmentSafety()
    lines: list[CostLine] = []
    unpriced: list[str] = []
    pools = list(inventory.pools(state).values())
    for pool in pools:
        line, missing = _pool_line(pool, table)
        if line:
            lines.append(line)
        if missing:
            unpriced.append(missing)
    tier = table.tier_hourly.get(cluster.sku_tier)
    if cluster.location and cluster.location.lower() != table.region.lower():
        unpriced.append(
            f"region: priced at {table.region} rates, the stack runs in {cluster.location} "
            "(prices differ by region)"
        )
    if tier is None:
        unpriced.append(f"control-plane tier {cluster.sku_tier} is not in the price table")
    else:
        sla = "no uptime SLA" if tier == 0 else "uptime SLA"
        month = tier * table.hours_per_month
        lines.append(CostLine("tier", f"AKS {cluster.sku_tier} tier ({sla})", month, month))
    if cluster.defender:
        low = high = 0.0
        for pool in pools:
            size = table.vm_sizes.get(pool.vm_size)
            if size:
                low += pool.min_count * size.vcpus * table.defender_per_vcore_month
                high += pool.max_count * size.vcpus * table.defender_per_vcore_month
        note = f"{table.defender_per_vcore_month:g} {table.currency} per vCore-month"
        lines.append(CostLine("defender", "Defender for Containers", low, high, note))
    for workspace, days in inventory.log_retention_days(state):
        extra = max(0, days - table.log_free_retention_days)
        if env.log_ingestion_gb_per_day is None:
            if extra:
                unpriced.append(
                    f"Log Analytics {workspace}: {days}-day retention (no logIngestionGbPerDay "
                    "in safety.yaml for this environment)"
                )
            continue
        stored = env.log_ingestion_gb_per_day * extra
        month = stored * table.log_retention_per_gb_month
        lines.append(
            CostLine(
                f"logs:{workspace}",
                f"Log Analytics {workspace}: {days}-day retention",
                month,
                month,
                f"{env.log_ingestion_gb_per_day:g} GB/day kept {extra} days beyond the free "
                f"{table.log_free_retention_days}",
            )
        )
    return StackCost(tuple(lines), tuple(unpriced), table.currency)


@dataclass(frozen=True)
class CostChange:
    """Base and head estimates of one stack and what changed."""

    head: StackCost
    base: StackCost | None
    limit: float | None

    @property
    def delta_low(self) -> float:
        return self.head.low - (self.base.low if self.base else 0.0)

    @property
    def delta_high(self) -> float:
        return self.head.high - (self.base.high if self.base else 0.0)

    @property
    def over_limit(self) -> bool:
        return self.limit is not None and self.delta_high > self.limit

    def changed_lines(self) -> list[tuple[str, float, float]]:
        """``(item, delta at min, delta at max)`` of every line that moved."""
        base = {line.key: line for line in (self.base.lines if self.base else ())}
        head = {line.key: line for line in self.head.lines}
        out = []
        for key in [*head, *(k for k in base if k not in head)]:
            new, old = head.get(key), base.get(key)
            low = (new.low if new else 0.0) - (old.low if old else 0.0)
            high = (new.high if new else 0.0) - (old.high if old else 0.0)
            if abs(low) >= 0.005 or abs(high) >= 0.005:
                item = (new or old).item if (new or old) else key  # type: ignore[union-attr]
                out.append((item if new else f"{item} (removed)", low, high))
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.head.currency,
            "head": self.head.to_json(),
            "base": self.base.to_json() if self.base else None,
            "delta": {"min": round(self.delta_low, 2), "max": round(self.delta_high, 2)},
            "changes": [
                {"item": item, "min": round(low, 2), "max": round(high, 2)}
                for item, low, high in self.changed_lines()
            ],
            "increaseLimit": self.limit,
            "overLimit": self.over_limit,
        }


def _number(amount: float, signed: bool) -> str:
    whole = round(amount)
    if not signed or whole == 0:
        return f"{abs(whole) if signed else whole:,}"
    return f"{'+' if whole > 0 else '-'}{abs(whole):,}"


def money(amount: float, currency: str, *, signed: bool = False) -> str:
    """``1,234 USD`` in whole units (``+``/``-`` when ``signed``)."""
    return f"{_number(amount, signed)} {currency}".strip()


def span(low: float, high: float, currency: str, *, signed: bool = False) -> str:
    """``191 to 1,361 USD``, or one figure when both ends round alike."""
    if round(low) == round(high):
        return money(high, currency, signed=signed)
    return f"{_number(low, signed)} to {_number(high, signed)} {currency}".strip()


def summary_lines(cost: StackCost) -> Sequence[str]:
    """Plain-text lines for ``aksflow preview``."""
    lines = [f"{line.item}: {span(line.low, line.high, cost.currency)}" for line in cost.lines]
    lines += [f"not priced: {item}" for item in cost.unpriced]
    return lines
