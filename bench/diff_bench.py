"""Wall time of ``aksflow diff --base HEAD~1 --head HEAD`` against one ``aksflow preview``.

Target: the diff of every stack costs at most 1.5x one preview of them. By default the
benchmark builds a throwaway git repository from this project (Pulumi.yaml, Pulumi.*.yaml,
infra/, apps/, policies/) with a second commit that touches shared code, the worst case: both
revisions differ, so nothing can be reused and both sides are previewed in full.

    python bench/diff_bench.py [--repo PATH] [--runs N] [--max-ratio 1.5] [--baseline REV]

Runs alternate (preview, diff, preview, diff, ...) and the best of each is kept: the machine is
shared and noisy. ``--baseline REV`` also measures this repository at REV (a ``git archive`` of
it: its aksflow previewing and diffing its own project) in the same alternating runs, for a
before/after in one measurement.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
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


def build_repo(where: Path, root: Path = ROOT) -> Path:
    """A two-commit copy of ``root``'s project; the second commit edits shared program code."""
    repo = where / "repo"
    repo.mkdir(parents=True)
    for name in COPIED:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.is_file():
            shutil.copy2(source, repo / name)
    for stack_file in root.glob("Pulumi.*.yaml"):
        shutil.copy2(stack_file, repo / stack_file.name)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    program = repo / "infra" / "program.py"
    program.write_text(program.read_text() + "\n# benchmark: a change to shared code\n")
    _git(repo, "commit", "-q", "-am", "head")
    return repo


def export_revision(rev: str, where: Path) -> Path:
    """This repository's tree at ``rev`` (its aksflow is what the baseline diff runs)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev], capture_output=True, check=True
    )
    target = where / "baseline"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target


def timed(cmd: list[str], cwd: Path, code: Path = ROOT) -> tuple[float, float]:
    """Wall seconds and CPU seconds (the process and every process under it)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        code_ = os.waitstatus_to_exitcode(status)
        if code_ not in (0, 1):
            stderr.seek(0)
            sys.exit(f"{' '.join(cmd)} failed ({code_}):\n{stderr.read().decode()}")
    return elapsed, usage.ru_utime + usage.ru_stime


@dataclass
class Subject:
    """One revision of aksflow with the benchmark repository built from its own project."""

    label: str
    code: Path
    repo: Path
    preview: list[tuple[float, float]] = field(default_factory=list)
    diff: list[tuple[float, float]] = field(default_factory=list)

    def run_once(self, cwd: Path) -> None:
        python = [sys.executable, "-m", "aksflow"]
        out = cwd / "out"
        project = ["--project-dir", str(self.repo), "--out", str(out)]
        preview = [*python, "preview", *project, "--quiet"]
        diff = [*python, "diff", *project, "--base", "HEAD~1", "--head", "HEAD"]
        self.preview.append(timed(preview, cwd, self.code))
        self.diff.append(timed(diff, cwd, self.code))

    def report(self, runs: int) -> float:
        (preview_s, preview_cpu), (diff_s, diff_cpu) = min(self.preview), min(self.diff)
        print(f"{self.label}:")
        print(f"  aksflow preview (all stacks):   {preview_s:5.2f} s  {preview_cpu:5.2f} s CPU")
        print(f"  aksflow diff HEAD~1..HEAD:      {diff_s:5.2f} s  {diff_cpu:5.2f} s CPU")
        print(f"  ratio diff / preview:           {diff_s / preview_s:5.2f} (target <= 1.5)")
        return diff_s / preview_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, help="benchmark this repository's HEAD~1..HEAD")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-ratio", type=float, default=0.0, help="exit 1 above this ratio")
    parser.add_argument("--baseline", metavar="REV", help="also measure this revision")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aksflow-diff-bench-") as tmp:
        work = Path(tmp)
        repo = args.repo.resolve() if args.repo else build_repo(work / "this")
        subjects = [Subject("this tree", ROOT, repo)]
        if args.baseline:
            code = export_revision(args.baseline, work)
            baseline_repo = args.repo.resolve() if args.repo else build_repo(work / "base", code)
            subjects.append(Subject(f"aksflow at {args.baseline}", code, baseline_repo))
        for _ in range(args.runs):
            for subject in subjects:
                subject.run_once(work)
    print(f"best of {args.runs} alternating runs (wall, CPU of the whole process tree)")
    ratio = subjects[0].report(args.runs)
    for subject in subjects[1:]:
        subject.report(args.runs)
    if args.max_ratio and ratio > args.max_ratio:
        sys.exit(1)


if __name__ == "__main__":
    main()
