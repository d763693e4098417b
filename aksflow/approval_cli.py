"""``aksflow plan``: summarise a saved plan, and refuse an apply whose plan changed."""

from __future__ import annotations

from pathlib import Path

import click

_FILE = click.Path(path_type=Path, dir_okay=False)


@click.group("plan")
def plan() -> None:
    """Plan-bound approval: pulumi preview --json files, summarised and compared."""


@plan.command("summary")
@click.argument("plan_file", type=_FILE)
@click.option("--title", default="Plan", show_default=True, help="Heading of the summary.")
def summary_command(plan_file: Path, title: str) -> None:
    """Print a markdown summary of PLAN_FILE (operation counts and one row per resource)."""
    from aksflow.approval import read_preview, summary

    click.echo(summary(read_preview(plan_file), title), nl=False)


@plan.command("check")
@click.argument("approved", type=_FILE)
@click.argument("current", type=_FILE)
@click.pass_context
def check_command(ctx: click.Context, approved: Path, current: Path) -> None:
    """Exit 0 when CURRENT plans the operations of APPROVED; else list the differences, exit 1.

    Both are `pulumi preview --json` outputs. Exit 1 means "do not apply": the plan changed
    since it was approved (another deploy, drift, or a different commit). 2 is an unreadable file.
    """
    from aksflow.approval import compare, read_preview

    differences = compare(read_preview(approved), read_preview(current))
    if not differences:
        click.echo("The plan matches the approved plan.")
        return
    click.echo(
        f"The plan changed since it was approved ({len(differences)} differences); "
        "not applying. Re-run the deploy to plan and approve again."
    )
    for line in differences:
        click.echo(f"  {line}")
    ctx.exit(1)
