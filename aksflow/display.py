"""Terminal output shaped like ``pulumi preview``: a resource tree with a plan per row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

OP_STYLE = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red")}


def _short_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _visible(resource: Mapping[str, Any]) -> bool:
    # Like the CLI, default providers are not shown in the tree.
    return not (
        resource["type"].startswith("pulumi:providers:")
        and _short_name(resource["urn"]).startswith("default")
    )


def _kind(type_token: str) -> str:
    """``azure-native:containerservice:AgentPool`` -> ``AgentPool`` (for narrow terminals)."""
    if type_token.startswith("pulumi:providers:"):
        return "providers:" + type_token.rsplit(":", 1)[-1]
    return type_token.rsplit(":", 1)[-1]


def resource_tree(state: Mapping[str, Any], op: str = "create", width: int | None = None) -> Table:
    """One row per resource, children indented under their parent with box-drawing guides.

    When the full type tokens do not fit in ``width`` columns, types are shown by their last
    segment (``AgentPool``), so the operation, the name and the plan always stay readable.
    """
    resources = [r for r in state["deployment"]["resources"] if _visible(r)]
    children: dict[str | None, list[Mapping[str, Any]]] = {}
    known = {r["urn"] for r in resources}
    for resource in resources:
        parent = resource.get("parent")
        children.setdefault(parent if parent in known else None, []).append(resource)

    rows: list[tuple[str, str, str]] = []  # (tree prefix, type token, name)

    def walk(parent: str | None, prefix: str) -> None:
        siblings = children.get(parent, [])
        for index, resource in enumerate(siblings):
            last = index == len(siblings) - 1
            guide = "" if parent is None else ("└─ " if last else "├─ ")
            rows.append((prefix + guide, resource["type"], _short_name(resource["urn"])))
            walk(resource["urn"], prefix + ("" if parent is None else ("   " if last else "│  ")))

    walk(None, "")
    symbol, style = OP_STYLE[op]
    widest = max((len(a) + len(b) + len(c) for a, b, c in rows), default=0)
    compact = width is not None and widest + len(op) + 2 + 6 > width
    table = Table(
        box=None, show_edge=False, pad_edge=False, header_style="bold", collapse_padding=compact
    )
    table.add_column(" ", width=1, no_wrap=True)
    table.add_column("Type", no_wrap=True, overflow="ellipsis")
    table.add_column("Name", overflow="fold")
    table.add_column("Plan", no_wrap=True, min_width=len(op))
    for prefix, type_token, name in rows:
        table.add_row(
            Text(symbol, style=style),
            Text(prefix + (_kind(type_token) if compact else type_token)),
            Text(name),
            Text(op, style=style),
        )
    return table


def count_resources(state: Mapping[str, Any]) -> int:
    """Resources a real preview would count (default providers excluded)."""
    return sum(1 for r in state["deployment"]["resources"] if _visible(r))


def print_stack(
    console: Console, stack: str, state: Mapping[str, Any], seconds: float, op: str = "create"
) -> None:
    """The tree and the ``Resources:`` summary of one stack."""
    console.print(f"\n[bold]Previewing update ({escape(stack)}):[/bold]")
    console.print(resource_tree(state, op, width=console.width))
    symbol, style = OP_STYLE[op]
    counts = Counter(
        r["type"].split(":")[0] for r in state["deployment"]["resources"] if _visible(r)
    )
    total = count_resources(state)
    console.print("\n[bold]Resources:[/bold]")
    console.print(f"    [{style}]{symbol} {total} to {op}[/{style}]")
    detail = ", ".join(f"{n} {pkg}" for pkg, n in sorted(counts.items()))
    console.print(f"    [dim]({detail}; {seconds:.2f}s)[/dim]")


def print_diagnostics(console: Console, stack: str, messages: Sequence[str]) -> None:
    if messages:
        console.print(f"\n[bold]Diagnostics ({escape(stack)}):[/bold]")
        for message in messages:
            console.print(f"    {message}", markup=False)
