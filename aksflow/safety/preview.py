"""``aksflow preview``: each stack's monthly cost estimate under its policy summary."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from aksflow.safety import settings
from aksflow.safety.cost import estimate, span, summary_lines
from aksflow.safety.prices import price_table


def print_estimate(
    console: Console, stack: str, state: Mapping[str, Any], project_dir: Path, environment: str
) -> None:
    """The ``Cost (<stack>)`` block: total at min and max node count, then one line per item."""
    table = price_table()
    env = settings.load(project_dir).get(environment, settings.EnvironmentSafety())
    cost = estimate(state, table, env)
    if cost is None:
        return
    total = span(cost.low, cost.high, cost.currency)
    estimated = "" if table.refreshed else ", estimates"
    console.print(
        f"\n[bold]Cost ({stack}):[/bold] {total} a month at min to max node count "
        f"(prices {table.region}, {table.date}{estimated})",
        highlight=False,
    )
    for line in summary_lines(cost):
        console.print(f"    {line}", markup=False, highlight=False)
