"""``aksflow charts``: chart maintenance commands (wired into the top-level CLI by the lead)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def charts() -> None:
    """Manage the apps' Helm charts."""


@charts.command()
@click.option(
    "--project-dir", metavar="DIR", help="Pulumi project directory (default: nearest Pulumi.yaml)."
)
@click.option("--app", "apps", multiple=True, metavar="APP", help="Only this app (repeatable).")
@click.option("--force", is_flag=True, help="Download again even when the lock is up to date.")
def vendor(project_dir: str | None, apps: tuple[str, ...], force: bool) -> None:
    """Download pinned remote charts into apps/<app>/charts/ and record their sha256.

    Local charts (chart.path) need nothing. Remote charts (chart.repository, name, version) are
    fetched from their Helm repository or OCI registry once; previews then read the vendored
    archive offline and refuse it if its digest no longer matches apps/<app>/chart.lock.yaml.
    """
    from aksflow.helm.vendor import vendor_charts
    from aksflow.project import find_project_dir

    root = find_project_dir(Path(project_dir) if project_dir else Path.cwd())
    results = vendor_charts(root, apps=apps, force=force)
    if not results:
        click.echo("no remote charts to vendor")
    for result in results:
        lock = result.lock
        click.echo(
            f"{result.app}: {lock.name} {lock.version} {result.action} "
            f"(apps/{result.app}/{lock.archive}, {lock.digest})"
        )
