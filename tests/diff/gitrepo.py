"""Temporary git repositories for the diff tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "aksflow tests",
    "GIT_AUTHOR_EMAIL": "tests@aksflow.invalid",
    "GIT_COMMITTER_NAME": "aksflow tests",
    "GIT_COMMITTER_EMAIL": "tests@aksflow.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "HOME": str(repo.parent)}
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout


def init(repo: Path) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "commit.gpgsign", "false")


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def copy_project(source: Path, repo: Path, names: tuple[str, ...]) -> None:
    """Copy ``names`` (files or folders) and every ``Pulumi.<stack>.yaml`` of ``source`` in."""
    for name in names:
        path = source / name
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(path, repo / name, ignore=ignore)
        else:
            shutil.copy2(path, repo / name)
    for stack_file in source.glob("Pulumi.*.yaml"):
        shutil.copy2(stack_file, repo / stack_file.name)


def commit_scenarios(repo: Path, scenarios: Iterable[tuple[str, Callable[[Path], None]]]) -> None:
    """Apply each scenario to ``repo`` in turn, committing and tagging it with its name."""
    for name, apply in scenarios:
        apply(repo)
        commit(repo, name)
        git(repo, "tag", name)
