"""Benchmark ``aksflow preview``: wall time and peak memory of whole processes.

1. One process previewing the three shipped stacks (target: < 3 s, < 500 MB on 2 cores).
2. The cost curve for a generated stack with 10, 100 and 1,000 user node pools: the time per
   resource should stay flat (linear growth).

Each measurement is a fresh ``python -m aksflow preview`` process, start-up included; peak
memory is the child's maximum resident set size from ``wait4``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PROJECT_PARTS = ("Pulumi.yaml", "environments.yaml", "infra", "apps", "policies")


@dataclass(frozen=True)
class Sample:
    """One whole process: wall seconds, peak memory, CPU seconds (children it waited for too)."""

    seconds: float
    peak_mb: float
    cpu: float


def measure(args: list[str], cwd: Path) -> Sample:
    """Run one process to completion; fail loudly if it did not succeed."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "aksflow", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # 1 = policy violations, still a full preview
        stderr = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"aksflow {' '.join(args)} exited {code}: {stderr}")
    return Sample(seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


def best_of(runs: int, args: list[str], cwd: Path) -> Sample:
    samples = [measure(args, cwd) for _ in range(runs)]
    return min(samples, key=lambda s: s.seconds)


def generated_project(directory: Path, pools: int) -> Path:
    """A copy of the project with a ``bench`` stack (dev profile) holding ``pools`` user pools."""
    directory.mkdir(parents=True)
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, directory / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, directory / part)
    document = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    config = document["config"]
    config["aksflow:environment"] = "dev"
    config["aksflow:nodePools"] = [
        {"name": f"np{i:04d}", "vmSize": "Standard_D4ds_v5", "minCount": 1, "maxCount": 3}
        for i in range(pools)
    ]
    (directory / "Pulumi.bench.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions; the best is reported")
    parser.add_argument("--pools", type=int, nargs="*", default=[10, 100, 1000])
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        three = best_of(options.runs, ["preview", "--quiet", "--out", str(out)], ROOT)
        print("aksflow preview: dev + staging + prod in one process")
        print(
            f"  wall {three.seconds:6.2f} s   peak {three.peak_mb:6.0f} MB"
            f"   (target < 3 s, < 500 MB)"
        )

        print("\ngenerated stack: user node pools -> wall time, peak memory, time per pool")
        rows: list[tuple[int, Sample]] = []
        for pools in options.pools:
            project = generated_project(Path(tmp) / f"p{pools}", pools)
            sample = best_of(
                options.runs if pools < 1000 else 1,
                ["preview", "--quiet", "--stack", "bench", "--out", str(project / "out")],
                project,
            )
            rows.append((pools, sample))
            print(f"  {pools:5d} pools  {sample.seconds:7.2f} s  {sample.peak_mb:6.0f} MB")
        if len(rows) >= 2:
            (n0, s0), (n1, s1) = rows[0], rows[-1]
            per_pool = (s1.seconds - s0.seconds) / (n1 - n0)
            print(
                f"  marginal cost: {per_pool * 1000:.1f} ms per pool "
                f"({n0} -> {n1} pools: x{s1.seconds / s0.seconds:.1f} time, "
                f"x{n1 / n0:.0f} pools)"
            )


if __name__ == "__main__":
    main()
