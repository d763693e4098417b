"""Change safety in the PR comment: the summary's cost cell and the sections under the risks.

Every name and value taken from the PR (pools, workloads, versions) goes through the comment's
``code``/``escape``, so nothing from a pull request can become markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aksflow.diff.model import DiffReport, StackDiff
from aksflow.safety.analysis import StackSafety
from aksflow.safety.cost import money, span

MAX_ROWS = 25  # workloads per pool, checks per stack
LEVEL_ICON = {"high": "🔴", "medium": "🟠", "info": "⚪"}


def _fence(lines: Sequence[str], lang: str) -> str:
    body = "\n".join(lines)
    runs = [len(r) for r in re.findall(r"`{3,}", body)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}{lang}\n{body}\n{fence}"


def cost_cell(stack: StackDiff) -> str:
    """``1,539 to 5,914 USD (+605 max)`` for the summary table; ``-`` without a cluster."""
    cost = stack.safety.cost if stack.safety else None
    if cost is None:
        return "-"
    text = span(cost.head.low, cost.head.high, cost.head.currency)
    if cost.base is not None and (round(cost.delta_low) or round(cost.delta_high)):
        text += f" ({span(cost.delta_low, cost.delta_high, cost.head.currency, signed=True)})"
    elif cost.base is None:
        text += " (new)"
    return text.replace("|", "\\|")


def _rotation(stack: str, safety: StackSafety) -> list[str]:
    from aksflow.diff.comment import code, escape

    out: list[str] = []
    for plan in safety.rotations:
        title = "System pool" if plan.system else "node pool"
        out += [
            f"**Rotate {title} {code(plan.pool)} → {code(plan.new_name)}** ({code(stack)}): "
            f"{escape('; '.join(plan.reasons))}",
            "",
            f"_Why not in place:_ {escape(plan.to_json()['why'])}",
            "",
            *[f"{i}. {escape(step)}" for i, step in enumerate(plan.steps, 1)],
            "",
        ]
        where = f"{code(plan.stack_file)}:" if plan.stack_file else "Commands:"
        out += [where, "", _fence(plan.config.splitlines(), plan.config_lang), ""]
        if plan.commands:
            out += ["Drain:", "", _fence(list(plan.commands), "shell"), ""]
    return out


def _blast(stack: str, safety: StackSafety) -> list[str]:
    from aksflow.diff.comment import code, escape

    out: list[str] = []
    for impact in safety.blast:
        out += [
            f"**Blast radius of node pool {code(impact.pool)}** ({code(stack)}, "
            f"{escape(impact.change)}: {escape(impact.detail)})",
            "",
        ]
        if impact.capacity:
            out += [f"Capacity: {escape(impact.capacity)}", ""]
        if not impact.placements:
            out += ["No rendered workload can land on it.", ""]
            continue
        out += [
            "| Workload | Replicas | Requests per pod | PDB | Can also run on |",
            "|---|--:|---|---|---|",
        ]
        for p in impact.placements[:MAX_ROWS]:
            w = p.workload
            replicas = "per node" if w.kind == "DaemonSet" else str(w.replicas)
            pdb = code(p.budget, cell=True) if p.budget else "none"
            where = ", ".join(code(n, cell=True) for n in p.elsewhere) or (
                "❌ **nowhere**" if p.stranded else "-"
            )
            if p.stranded and p.elsewhere:
                where += " ❌ **not enough room**"
            out.append(
                f"| {code(w.label, cell=True)} | {replicas} | "
                f"{code(w.requests.shown(), cell=True)} | {pdb} | {where} |"
            )
        if len(impact.placements) > MAX_ROWS:
            out.append(f"\n… and {len(impact.placements) - MAX_ROWS} more (see diff.json)")
        out.append("")
    return out


def _upgrade(stack: str, safety: StackSafety) -> list[str]:
    from aksflow.diff.comment import code, escape

    plan = safety.upgrade
    if plan is None and not safety.promotion:
        return []
    old = plan.old if plan else None
    new = plan.new if plan else safety.kubernetes_version
    head = f"**Kubernetes {code(old or 'new stack')} → {code(new)}** ({code(stack)})"
    checks = [*(plan.checks if plan else ()), *safety.promotion]
    lines = [head, ""]
    if not checks:
        lines.append("- ✅ one minor step, inside AKS's support window, no API removals found")
    for c in checks[:MAX_ROWS]:
        lines.append(f"- {LEVEL_ICON[c.level]} {code(c.check)}: {escape(c.message)}")
    return [*lines, ""]


def _cost(stack: str, safety: StackSafety) -> list[str]:
    from aksflow.diff.comment import code, escape

    cost = safety.cost
    if cost is None:
        return []
    changes = cost.changed_lines()
    if not changes and not cost.head.unpriced:
        return []
    cur = cost.head.currency
    total = span(cost.head.low, cost.head.high, cur)
    delta = span(cost.delta_low, cost.delta_high, cur, signed=True)
    lines = [
        f"**Monthly cost of {code(stack)}**: {escape(total)} (min to max node count), "
        f"change {escape(delta)}",
        "",
    ]
    lines += [
        f"- {escape(item)}: {escape(span(low, high, cur, signed=True))}"
        for item, low, high in changes[:MAX_ROWS]
    ]
    lines += [f"- not priced: {escape(item)}" for item in cost.head.unpriced]
    if cost.limit is not None:
        lines.append(
            f"- limit for {escape(safety.environment)}: {escape(money(cost.limit, cur))} "
            "a month (safety.yaml)"
        )
    return [*lines, ""]


def sections(report: DiffReport) -> list[str]:
    """The change-safety block: rotations, blast radius, upgrades, cost; empty when quiet."""
    body: list[str] = []
    provenance = None
    for stack in report.stacks:
        safety = stack.safety
        if safety is None:
            continue
        provenance = provenance or safety.provenance
        body += _rotation(stack.stack, safety)
        body += _blast(stack.stack, safety)
        body += _upgrade(stack.stack, safety)
        body += _cost(stack.stack, safety)
    if not body:
        return []
    prices = (provenance or {}).get("prices") or {}
    versions = (provenance or {}).get("aksVersions") or {}
    estimates = "" if prices.get("refreshed") else " (estimates, not yet refreshed from the API)"
    note = (
        f"<sub>Prices: {prices.get('region')} {prices.get('currency')}, price table of "
        f"{prices.get('date')}{estimates}"
        f"; AKS release calendar of {versions.get('date')}. "
        "Model and refresh: docs/change-safety.md.</sub>"
    )
    return ["#### 🛟 Change safety", "", *body, note]
