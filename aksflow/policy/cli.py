"""``aksflow policy analyze``: run the gate on a stack export or on plain manifests.

Exit 0 clean or advisory only, 1 on a mandatory violation (``ctx.exit(1)``), 2 on any error
(raised as AksflowError for the top-level CLI to map). Skipped manifest files and a defaulted
policy config are said on stderr.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import click

import aksflow
from aksflow.environments import load_environments
from aksflow.errors import ConfigError, ProjectError
from aksflow.locate import Locator, refine_report
from aksflow.project import find_project_dir, load_project, load_stack_config

from .exceptions import FILE_NAME, load_exceptions
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
@click.option(
    "--exceptions",
    "exceptions_file",
    type=click.Path(path_type=Path),
    help=f"Policy exceptions (default: <pack>/{FILE_NAME} when it exists).",
)
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
    exceptions_file: Path | None,
) -> None:
    """Evaluate a stack export (--state) or manifests (--manifests); exit 1 on mandatory.

    Works outside a project with the pack that ships with aksflow. The policy config is
    --config, else the environment's config of --stack (or of the stack the export belongs
    to), else the strictest shipped config, which is then named on stderr.
    """
    # Imported here: they load the Pulumi SDK, which other commands (diff) never need.
    from .export import read_export, stack_of
    from .gate import analyze_manifests, evaluate_state

    if bool(state_file) == bool(manifest_paths):
        raise ConfigError("policy analyze: give exactly one of --state or --manifests")
    if stack and config_file:
        raise ConfigError("policy analyze: give at most one of --stack or --config")
    project = _project_or_none()
    pack = pack_dir or _default_pack(project)
    state = read_export(state_file) if state_file is not None else None
    export_stack = stack_of(state) if state is not None else ""
    if stack and export_stack and stack != export_stack:
        raise ConfigError(
            f"{state_file}: the export is of stack {export_stack!r}, not --stack {stack!r}"
        )
    in_project = project is not None and (project / f"Pulumi.{export_stack}.yaml").is_file()
    if not stack and not config_file and export_stack and in_project:
        stack = export_stack
    located = None
    if config_file is None and stack:
        if project is None:
            raise ConfigError(
                f"--stack {stack}: needs a Pulumi project (no Pulumi.yaml in {Path.cwd()} or "
                "above); give --config instead"
            )
        loaded = load_project(project)
        stack_config = load_stack_config(loaded, stack)
        declared = load_environments(project).require(
            stack_config.environment, f"{stack_config.file.name}: {loaded.name}:environment"
        )
        config_file = declared.policy_config_file(project)
        located = (loaded, stack_config)
    defaulted = config_file is None
    if config_file is None:
        config_file = strictest_config(pack)
    # Exceptions select by stack and environment: the stack's, else the config's name.
    environment = located[1].environment if located else config_file.stem
    exceptions_path = exceptions_file or pack / FILE_NAME
    if exceptions_file is not None and not exceptions_file.is_file():
        raise ConfigError(f"{exceptions_file}: exceptions file not found")
    exceptions = load_exceptions(exceptions_path, source=_shown(exceptions_path, project))
    report: PolicyReport
    if state is not None:
        report = evaluate_state(
            state,
            policy_config=config_file,
            pack_dir=pack,
            project_dir=project,
            pss_level=pss_level,
            source=str(state_file),
            exceptions=exceptions,
            environment=environment,
        )
        if located is not None and project is not None and stack:
            loaded, stack_config = located  # point at the stack/values file line that sets it
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
            exceptions=exceptions,
            environment=environment,
        )
        for name in skipped:
            click.echo(f"warning: {name}: no Kubernetes object; skipped", err=True)
        if skipped:
            click.echo(
                f"warning: skipped {len(skipped)} file(s) without a Kubernetes object", err=True
            )
    if defaulted:  # said once the inputs are read: an input error's headline stays line 1
        click.echo(
            f"note: no --stack or --config: using the strictest shipped config {config_file}",
            err=True,
        )
    _emit(report, fmt, output)
    if report.mandatory:
        ctx.exit(1)


def _shown(path: Path, project: Path | None) -> str:
    """``path`` relative to the project when inside it (as findings and SARIF show files)."""
    if project is not None:
        try:
            return path.resolve().relative_to(project.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def _project_or_none() -> Path | None:
    try:
        return find_project_dir(Path.cwd())
    except ProjectError:
        return None


def shipped_pack() -> Path:
    """The policy pack that ships with aksflow (``policies/`` beside the package)."""
    pack = Path(aksflow.__file__).resolve().parent.parent / "policies"
    if not (pack / "PulumiPolicy.yaml").is_file():
        raise ConfigError(f"{pack}: this installation ships no policy pack; give --pack DIR")
    return pack


def _default_pack(project: Path | None) -> Path:
    if project is not None and (project / "policies" / "PulumiPolicy.yaml").is_file():
        return project / "policies"
    return shipped_pack()


def strictest_config(pack_dir: Path) -> Path:
    """The pack's config with the most mandatory policies (then the most enabled ones)."""
    from .config import read_config_file, reconcile
    from .loader import load_pack

    configs = sorted((pack_dir / "config").glob("*.json"))
    if not configs:
        raise ConfigError(f"{pack_dir}/config: no policy config (*.json); give --config")
    pack = load_pack(pack_dir)

    def strictness(path: Path) -> tuple[int, int]:
        settings = reconcile(pack, read_config_file(path), source=str(path))
        levels = [s.level for s in settings.values()]
        mandatory = sum(1 for level in levels if level in ("mandatory", "remediate"))
        return mandatory, sum(1 for level in levels if level != "disabled")

    return max(configs, key=strictness)


def _emit(report: PolicyReport, fmt: str, output: Path | None) -> None:
    if fmt == "text":
        from rich.console import Console

        if output is None:
            render_text(report, Console(soft_wrap=True))
            return
        buffer = io.StringIO()
        render_text(report, Console(file=buffer, width=120, no_color=True))
        text = buffer.getvalue()
    else:
        render = {"json": render_json, "sarif": render_sarif, "markdown": render_markdown}[fmt]
        text = render(report)
        if output is None:
            click.echo(text)
            return
    _write_replacing(output, text + ("" if text.endswith("\n") else "\n"))


def _write_replacing(output: Path, text: str) -> None:
    """Write ``output`` whole or not at all: a temporary file beside it, renamed over it."""
    if output.is_dir():
        raise ConfigError(f"--output {output}: is a directory, not a file")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    except OSError as exc:
        raise ConfigError(f"--output {output}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(output)
    finally:
        Path(tmp).unlink(missing_ok=True)


@policy.command("verdict")
@click.option(
    "--request",
    "request_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The request aksflow diff writes (base project, head states and reports).",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Writes <out>/<stack>/policy.json and <out>/verdict.json.",
)
@click.pass_context
def verdict(ctx: click.Context, request_file: Path, out_dir: Path) -> None:
    """Judge a PR head's states with this (the base's) pack; exit 1 on mandatory.

    Run by ``aksflow diff`` in a process of its own with the base revision's aksflow: see
    docs/pipeline.md, "The gate a pull request cannot weaken".
    """
    from .trusted import judge

    if judge(request_file, out_dir):
        ctx.exit(1)
