"""``aksflow policy analyze``: run the gate on a stack export or on plain manifests.

Exit 0 clean or advisory only, 1 on a mandatory violation (``ctx.exit(1)``), 2 on any error
(raised as AksflowError for the top-level CLI to map).
"""

from __future__ import annotations

from pathlib import Path

import click

from aksflow.environments import load_environments
from aksflow.errors import ConfigError
from aksflow.locate import Locator, refine_report
from aksflow.project import find_project_dir, load_project, load_stack_config

from .config import read_json_object
from .gate import analyze_manifests, evaluate_state
from .render import render_json, render_markdown, render_sarif, render_text
from .report import PolicyReport


@click.group("policy")
def policy() -> None:
    """Policy gate: evaluate the CrossGuard pack offline."""


@policy.command("analyze")
@click.option("--state", "state_file", type=click.Path(path_type=Path), help="Stack export JSON.")
@click.option(
    "--manifests",
    "manifest_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Manifest file or directory (repeatable).",
)
@click.option("--stack", help="Stack whose environment selects policies/config/<env>.json.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="Policy config.")
@click.option("--pss-level", type=click.Choice(["baseline", "restricted"]), help="Override.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "markdown"]),
    default="text",
    show_default=True,
)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write here, not stdout.")
@click.option("--pack", "pack_dir", type=click.Path(path_type=Path), help="Pack directory.")
@click.pass_context
def analyze(
    ctx: click.Context,
    state_file: Path | None,
    manifest_paths: tuple[Path, ...],
    stack: str | None,
    config_file: Path | None,
    pss_level: str | None,
    fmt: str,
    output: Path | None,
    pack_dir: Path | None,
) -> None:
    """Evaluate a stack export (--state) or manifests (--manifests); exit 1 on mandatory."""
    if bool(state_file) == bool(manifest_paths):
        raise ConfigError("policy analyze: give exactly one of --state or --manifests")
    if bool(stack) == bool(config_file):
        raise ConfigError("policy analyze: give exactly one of --stack or --config")
    project: Path | None = None
    if pack_dir is None or stack:
        project = find_project_dir(Path.cwd())
    pack = pack_dir or (project / "policies")  # type: ignore[operator]
    if config_file is None:
        assert project is not None and stack is not None
        loaded = load_project(project)
        stack_config = load_stack_config(loaded, stack)
        environment = load_environments(project).require(
            stack_config.environment, f"{stack_config.file.name}: {loaded.name}:environment"
        )
        config_file = project / environment.policy_config
        if not config_file.is_file():
            raise ConfigError(f"{config_file}: no policy config for stack {stack!r}")
    report: PolicyReport
    if state_file is not None:
        state = read_json_object(state_file, "stack export")
        report = evaluate_state(
            state,
            policy_config=config_file,
            pack_dir=pack,
            project_dir=project,
            pss_level=pss_level,
            source=str(state_file),
        )
        if stack and project is not None:  # point at the stack/values file line that sets it
            locator = Locator.for_state(
                state,
                root=project,
                main=loaded.main,
                stack=stack,
                environment=stack_config.environment,
                project=loaded.name,
            )
            report = refine_report(report, locator)
    else:
        skipped: list[str] = []
        report = analyze_manifests(
            list(manifest_paths),
            policy_config=config_file,
            pack_dir=pack,
            pss_level=pss_level,
            root=project,
            on_skip=skipped.append,
        )
        for name in skipped:
            click.echo(f"warning: {name}: no Kubernetes object; skipped", err=True)
        if skipped:
            click.echo(
                f"warning: skipped {len(skipped)} file(s) without a Kubernetes object", err=True
            )
    _emit(report, fmt, output)
    if report.mandatory:
        ctx.exit(1)


def _emit(report: PolicyReport, fmt: str, output: Path | None) -> None:
    if fmt == "text":
        from rich.console import Console

        if output is not None:
            with output.open("w", encoding="utf-8") as fh:
                render_text(report, Console(file=fh, width=120, no_color=True))
        else:
            render_text(report, Console(soft_wrap=True))
        return
    text = {"json": render_json, "sarif": render_sarif, "markdown": render_markdown}[fmt](report)
    if output is not None:
        output.write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
    else:
        click.echo(text)
