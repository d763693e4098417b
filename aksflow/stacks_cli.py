"""``aksflow stacks``: the stack list the workflows build their matrices from."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("stacks")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (a workflow matrix).")
@click.option("--environment", metavar="ENV", help="Only the stacks of this environment.")
@click.option(
    "--only",
    metavar="NAME",
    help="Only this environment or stack (deploy.yml's rollback target).",
)
@click.option(
    "--affected",
    "diff_json",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="DIFF_JSON",
    help="Only the stacks whose plan changed in aksflow diff's diff.json "
    "(every stack if the file is missing or unreadable).",
)
@click.option(
    "--group",
    is_flag=True,
    help="With --json: an object of environment -> stacks, every environment in promotion order.",
)
@click.option(
    "--project-dir", metavar="DIR", help="Pulumi project directory (default: nearest Pulumi.yaml)."
)
def stacks(
    as_json: bool,
    environment: str | None,
    only: str | None,
    diff_json: Path | None,
    group: bool,
    project_dir: str | None,
) -> None:
    """List stacks in promotion order with environment, location and policy config."""
    from aksflow.project import find_project_dir
    from aksflow.stacks import affected, list_stacks, select

    root = find_project_dir(Path(project_dir) if project_dir else Path.cwd())
    entries = list_stacks(root, environment)
    if only:
        # An unknown target is an error even when it names a stack of another environment.
        chosen = select(list_stacks(root) if environment else entries, only)
        entries = [e for e in entries if e in chosen]
    if diff_json is not None:
        entries = affected(entries, diff_json)
    if group:
        from aksflow.environments import load_environments

        grouped = {
            env.name: [e.as_json() for e in entries if e.environment.name == env.name]
            for env in load_environments(root)
        }
        click.echo(json.dumps(grouped, separators=(",", ":")))
        return
    if as_json:
        click.echo(json.dumps([e.as_json() for e in entries], separators=(",", ":")))
        return
    rows = [("STACK", "ENVIRONMENT", "LOCATION", "POLICY CONFIG")]
    rows += [(e.stack, e.environment.name, e.location, e.policy_config) for e in entries]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
        )
