"""The git operations ``aksflow diff`` needs: resolve revisions, compare trees, worktrees.

Worktrees are detached, live in a temporary directory and are always removed, so the user's
working tree, index and branches are never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from aksflow.diff.model import Revision
from aksflow.errors import GitError

WORKING_TREE = "working tree"


def git(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run ``git -C repo args`` and return stdout; a failure is a :class:`GitError`."""
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **env} if env else None,
        )
    except FileNotFoundError:
        raise GitError("git is not installed (needed by aksflow diff)") from None
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()
        raise GitError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return done.stdout


def toplevel(path: Path) -> Path:
    """The root of the git repository holding ``path``."""
    try:
        return Path(git(path, "rev-parse", "--show-toplevel").strip()).resolve()
    except GitError:
        raise GitError(f"{path}: not inside a git repository") from None


def resolve(repo: Path, rev: str, option: str = "--base/--head") -> Revision:
    """``rev`` (given as ``option``) as a full commit SHA; an unknown one is a :class:`GitError`."""
    if not rev or rev.startswith("-"):
        raise GitError(f"{option}: {rev!r} is not a git revision")
    try:
        sha = git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    except GitError:
        raise GitError(
            f"{option} {rev}: unknown git revision {rev!r} in {repo} (in CI, fetch it first: a "
            "shallow clone lacks the base; use actions/checkout with fetch-depth: 0)"
        ) from None
    return Revision(rev, sha.strip())


def snapshot(repo: Path) -> Revision:
    """The working tree as a commit: tracked changes and untracked files (not ignored ones).

    Built in a throw-away index, so the user's index, HEAD and branches are untouched; the
    commit is dangling (git gc removes it). A clean tree is HEAD itself.
    """
    try:
        head = git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").strip()
    except GitError:
        raise GitError(
            f"{repo}: no commit yet, so the working tree has nothing to be compared with; "
            "commit once, or pass --head REV"
        ) from None
    with tempfile.TemporaryDirectory(prefix="aksflow-index-") as tmp:
        # A fresh index from HEAD's tree, never a copy of the user's: a copied index is newer
        # than its entries, which defeats git's racy-clean check, and a file rewritten within
        # the same second at the same size would be taken as unchanged. Every file is hashed.
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git(repo, "read-tree", head, env=env)
        git(repo, "add", "--all", "--", ".", env=env)
        tree = git(repo, "write-tree", env=env).strip()
    if git(repo, "rev-parse", f"{head}^{{tree}}").strip() == tree:
        return Revision(WORKING_TREE, head)
    sha = git(
        repo,
        "commit-tree",
        tree,
        "-p",
        head,
        "-m",
        "aksflow diff: the working tree",
        env={
            "GIT_AUTHOR_NAME": "aksflow",
            "GIT_AUTHOR_EMAIL": "aksflow@localhost",
            "GIT_COMMITTER_NAME": "aksflow",
            "GIT_COMMITTER_EMAIL": "aksflow@localhost",
        },
    ).strip()
    return Revision(WORKING_TREE, sha, uncommitted=True)


def tree_hash(repo: Path, sha: str, subdir: str) -> str:
    """The tree hash of ``subdir`` ("" or "." for the whole commit) at ``sha``."""
    spec = f"{sha}^{{tree}}" if subdir in ("", ".") else f"{sha}:{subdir}"
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", spec).strip()
    except GitError:
        return ""  # the directory does not exist at that revision


def changed_files(repo: Path, base: str, head: str, subdir: str) -> list[str]:
    """Paths (relative to ``subdir``) that differ between two commits."""
    spec = [] if subdir in ("", ".") else ["--relative=" + subdir.rstrip("/") + "/"]
    out = git(repo, "diff", "--name-only", "--no-renames", *spec, base, head, "--")
    return [line for line in out.splitlines() if line]


@contextmanager
def worktree(repo: Path, sha: str, where: Path) -> Iterator[Path]:
    """A detached worktree of ``sha`` at ``where``; removed on exit, even after an error."""
    try:
        git(repo, "worktree", "add", "--detach", "--quiet", str(where), sha)
        yield where
    finally:  # also when interrupted half-way through `worktree add`
        try:
            git(repo, "worktree", "remove", "--force", str(where))
        except GitError:
            shutil.rmtree(where, ignore_errors=True)
            _quiet(repo, ["worktree", "prune"])


def _quiet(repo: Path, args: Sequence[str]) -> None:
    with suppress(GitError):
        git(repo, *args)
