"""Wall time of ``aksflow diff --base HEAD~1 --head HEAD`` against one ``aksflow preview``.

Target: the diff of every stack costs at most 1.5x one preview of them. By default the
benchmark builds a throwaway git repository from this project (Pulumi.yaml, Pulumi.*.yaml,
infra/, apps/, policies/) with a second commit that touches shared code, the worst case: both
revisions differ, so nothing can be reused and both sides are previewed in full.

    python bench/diff_bench.py [--repo PATH] [--runs N] [--max-ratio 1.5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("Pulumi.yaml", "environments.yaml", "infra", "apps", "policies")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@aksflow.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@aksflow.invalid",
}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, env={**os.environ, **GIT_ENV})


def build_repo(where: Path) -> Path:
    """A two-commit copy of the project; the second commit edits shared program code."""
    repo = where / "repo"
    repo.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, repo / name)
    for stack_file in ROOT.glob("Pulumi.*.yaml"):
        shutil.copy2(stack_file, repo / stack_file.name)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    program = repo / "infra" / "program.py"
    program.write_text(program.read_text() + "\n# benchmark: a change to shared code\n")
    _git(repo, "commit", "-q", "-am", "head")
    return repo


def timed(cmd: list[str], cwd: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, help="benchmark this repository's HEAD~1..HEAD")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--max-ratio", type=float, default=0.0, help="exit 1 above this ratio")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aksflow-diff-bench-") as tmp:
        repo = args.repo.resolve() if args.repo else build_repo(Path(tmp))
        out = Path(tmp) / "out"
        python = [sys.executable, "-m", "aksflow"]
        preview = [*python, "preview", "--project-dir", str(repo), "--out", str(out), "--quiet"]
        diff = [*python, "diff", "--project-dir", str(repo), "--out", str(out)]
        diff += ["--base", "HEAD~1", "--head", "HEAD"]
        preview_s = min(timed(preview, Path(tmp)) for _ in range(args.runs))
        diff_s = min(timed(diff, Path(tmp)) for _ in range(args.runs))
    ratio = diff_s / preview_s
    print(f"aksflow preview (all stacks):              {preview_s:6.2f} s")
    print(f"aksflow diff --base HEAD~1 --head HEAD:    {diff_s:6.2f} s")
    print(f"ratio diff / preview:                      {ratio:6.2f} (target <= 1.5)")
    if args.max_ratio and ratio > args.max_ratio:
        sys.exit(1)


if __name__ == "__main__":
    main()
