"""``aksflow preview``'s resource tree keeps the operation, names and plan at 80 columns."""

from __future__ import annotations

from rich.console import Console

from aksflow import display
from tests.diff.builders import POOL_T, pool, res, state


def _sample() -> dict[str, object]:
    parent = res("aksflow:cluster:Cluster", "cluster", {})
    children = [
        res(
            "azure-native:containerservice:MaintenanceConfiguration",
            "aksManagedNodeOSUpgradeSchedule",
            {},
            parent=parent["urn"],
        ),
        res(POOL_T, "npuser01", pool(), parent=parent["urn"]),
        res(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "platform-baseline:web/allow-dns-egress",
            {},
            parent=parent["urn"],
        ),
    ]
    return state(parent, *children)


def _render(width: int) -> list[str]:
    console = Console(width=width, record=True, force_terminal=False)
    display.print_stack(console, "dev", _sample(), 0.5)
    return console.export_text().splitlines()


def test_80_columns_keep_the_operation_the_names_and_the_plan() -> None:
    rows = [line for line in _render(80) if line.startswith("+ ")]
    assert len(rows) == 5  # the stack, the component and its three children
    assert all(len(line) <= 80 and line.rstrip().endswith("create") for line in rows)
    text = "\n".join(rows)
    for name in ("aksManagedNodeOSUpgradeSchedule", "platform-baseline:web/allow-dns-egress"):
        assert name in text
    assert "MaintenanceConfiguration" in text and "AgentPool" in text


def test_wide_terminals_show_full_type_tokens() -> None:
    text = "\n".join(_render(160))
    assert "azure-native:containerservice:MaintenanceConfiguration" in text
    assert "kubernetes:networking.k8s.io/v1:NetworkPolicy" in text
