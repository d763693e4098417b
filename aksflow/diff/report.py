"""Write ``out/pr/comment.md`` and ``out/pr/diff.json`` atomically, and the step summary."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from aksflow.diff.model import DiffReport


def run_link(env: Mapping[str, str]) -> dict[str, str]:
    """``{"run": <url of this workflow run>}`` inside GitHub Actions, else ``{}``."""
    keys = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    if not all(env.get(k) for k in keys):
        return {}
    server, repo, run = (env[k] for k in keys)
    return {"run": f"{server.rstrip('/')}/{repo}/actions/runs/{run}"}


def _staged(directory: Path, name: str, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return Path(tmp)


def write_outputs(
    out_dir: Path, report: DiffReport, comment: str, *, env: Mapping[str, str] | None = None
) -> tuple[Path, Path]:
    """Write both files (all or nothing) and append ``comment`` to ``$GITHUB_STEP_SUMMARY``."""
    env = os.environ if env is None else env
    target = out_dir / "pr"
    target.mkdir(parents=True, exist_ok=True)
    files = {
        "comment.md": comment,
        "diff.json": json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n",
    }
    staged: dict[str, Path] = {}
    try:
        for name, text in files.items():
            staged[name] = _staged(target, name, text)
        for name, tmp in staged.items():  # both are complete before either is replaced
            tmp.replace(target / name)
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(comment if comment.endswith("\n") else comment + "\n")
    return target / "comment.md", target / "diff.json"
