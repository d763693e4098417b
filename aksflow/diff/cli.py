"""``aksflow diff`` and ``aksflow comment`` (wired into the top-level group by aksflow/cli.py).

Both raise :class:`~aksflow.errors.AksflowError` subclasses for the top-level CLI to map to exit
status 2; ``diff`` exits 1 through ``ctx.exit(1)`` when the head has a mandatory violation.
Tests may pass ``obj={"diff_runner": <PreviewRunner>}`` to replace the preview subprocess.
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from aksflow.diff.model import DiffReport
from aksflow.errors import ConfigError

if TYPE_CHECKING:
    from aksflow.diff.replace import ReplaceTable
    from aksflow.diff.runner import PreviewRunner

OUTCOME_STYLE = {
    "failed": "bold red",
    "blocked": "bold red",
    "high risk": "red",
    "changes": "green",
    "no changes": "green",
}


def _print_summary(console: Console, report: DiffReport) -> None:
    """Verdict first, then the per-stack table, the risks and every blocking violation."""
    outcome = report.outcome
    console.print(
        Text.assemble(
            f"aksflow diff {report.base.label} → {report.head.label}: ",
            (outcome, OUTCOME_STYLE[outcome]),
        ),
        soft_wrap=True,
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("stack", "verdict", "+", "~", "±", "-", "policies (head)"):
        table.add_column(column, justify="right" if column in "+~±-" else "left", no_wrap=True)
    for stack in report.stacks:
        counts = stack.plan.counts()
        policy = stack.head_policy
        style = OUTCOME_STYLE[stack.outcome]
        table.add_row(
            Text(stack.stack),
            Text(stack.outcome, style=style),
            *(str(counts[op]) for op in ("create", "update", "replace", "delete")),
            Text(
                f"{policy.mandatory} mandatory, {policy.advisory} advisory",
                style="red" if policy.mandatory else "",
            ),
        )
    console.print(table)
    console.print("[dim]+ create  ~ update  ± replace  - delete[/dim]")
    for risk in report.risks:
        style = "bold red" if risk.level == "high" else "yellow"
        console.print(
            Text.assemble((risk.level, style), f" {risk.stack}: {risk.message}"), soft_wrap=True
        )
    blocking = [
        (s.stack, v)
        for s in report.stacks
        for v in s.head_policy.violations
        if v.level == "mandatory"
    ]
    if blocking:
        console.print(Text(f"\nBlocking violations ({len(blocking)}):", style="bold red"))
        for stack_name, v in blocking:
            resource = v.urn.rsplit("::", 1)[-1] if v.urn else "(stack)"
            where = f" ({v.file}:{v.line})" if v.file and v.line else ""
            message = "\n    ".join(v.message.strip().splitlines())
            if v.hint:
                message += f"\n    fix: {v.hint}"
            console.print(
                Text.assemble(
                    ("  " + v.policy, "bold"), f"  {stack_name}  {resource}{where}\n    {message}"
                )
            )


@dataclass(frozen=True)
class DiffArgs:
    """The revisions and stacks ``aksflow diff`` was asked about."""

    base: str
    head: str
    stacks: tuple[str, ...]
    project_dir: str | None


def _run(runner: PreviewRunner, args: DiffArgs, *, quiet: bool) -> tuple[DiffReport, ReplaceTable]:
    """The diff itself, with a spinner on a terminal."""
    from aksflow.diff.replace import ReplaceTable
    from aksflow.diff.report import run_link
    from aksflow.diff.service import DiffRequest, run_diff
    from aksflow.project import find_project_dir

    root = find_project_dir(Path(args.project_dir) if args.project_dir else Path.cwd())
    table = ReplaceTable.load()
    err = Console(stderr=True, highlight=False)
    status = (
        err.status(f"Previewing {args.base} and {args.head or 'the working tree'} offline…")
        if err.is_terminal and not quiet
        else nullcontext()
    )
    with status:
        report = run_diff(
            DiffRequest(root, args.base, args.head, args.stacks),
            runner,
            table=table,
            links=run_link(os.environ),
        )
    return report, table


@click.command("diff")
@click.option("--base", required=True, metavar="REV", help="Base revision (e.g. origin/main).")
@click.option(
    "--head",
    default="",
    metavar="REV",
    help="Head revision (default: the working tree, uncommitted changes included).",
)
@click.option(
    "--stack", "stacks", multiple=True, metavar="NAME", help="Stack to diff (repeatable)."
)
@click.option(
    "--out",
    "out_dir",
    default="out",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Writes <out>/pr/comment.md and <out>/pr/diff.json.",
)
@click.option("--project-dir", metavar="DIR", help="Pulumi project (default: nearest Pulumi.yaml).")
@click.option("--helm", "helm_binary", metavar="PATH", help="Render charts with this helm binary.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@click.pass_context
def diff(
    ctx: click.Context,
    base: str,
    head: str,
    stacks: tuple[str, ...],
    out_dir: Path,
    project_dir: str | None,
    helm_binary: str | None,
    quiet: bool,
) -> None:
    """Preview BASE and HEAD offline and diff them per stack; write the PR comment.

    Without --head the working tree is the head, uncommitted and untracked (not ignored) files
    included, so the local loop needs no commit.
    """
    from aksflow.diff.runner import PreviewFailed, SubprocessPreviewRunner

    for where in (out_dir, out_dir / "pr"):  # checked before two previews, not after them
        if where.exists() and not where.is_dir():
            raise ConfigError(f"--out {out_dir}: {where} is a file, not a directory")
    runner = (ctx.obj or {}).get("diff_runner") or SubprocessPreviewRunner(helm=helm_binary)
    # The children's fork server starts first: it imports their floor while this process
    # imports the rest of the diff and checks out the revisions.
    with runner.session():
        report, table = _run(runner, DiffArgs(base, head, stacks, project_dir), quiet=quiet)

    from aksflow.diff.comment import render_comment
    from aksflow.diff.report import write_outputs

    comment = render_comment(report, provenance=table.provenance())
    if not out_dir.is_absolute():
        out_dir = Path.cwd() / out_dir
    comment_path, json_path = write_outputs(out_dir, report, comment)
    if report.error:
        raise PreviewFailed(f"{report.error}\n(also in {comment_path})")
    if not quiet:
        _print_summary(Console(highlight=False), report)
        click.echo(f"Wrote {comment_path} and {json_path}")
    if report.exit_status == 1:
        ctx.exit(1)


@click.command("comment")
@click.option("--repo", required=True, metavar="OWNER/NAME", help="Repository of the PR.")
@click.option("--pr", "number", required=True, type=click.IntRange(min=1), help="PR number.")
@click.option(
    "--file",
    "file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Markdown body (e.g. out/pr/comment.md).",
)
@click.option(
    "--author",
    metavar="LOGIN",
    help="Login the sticky comment is written by (default: the token's own; "
    "github-actions[bot] for GITHUB_TOKEN).",
)
def comment(repo: str, number: int, file: Path, author: str | None) -> None:
    """Create or update the sticky aksflow comment on a PR (GITHUB_TOKEN, GITHUB_API_URL).

    Only a comment that starts with the marker and was written by the same account is updated;
    mentions, images and raw HTML in the body are neutralised before it is posted.
    """
    from aksflow.github import client_from_env, upsert_comment

    try:
        body = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"--file {file}: not UTF-8 text (byte {exc.start}); is it a binary file?"
        ) from None
    with client_from_env() as client:
        result = upsert_comment(client, repo, number, body, author=author)
    click.echo(f"{result.action} comment {result.id} {result.url}".rstrip())
