"""Benchmark ``aksflow preview`` of a fleet: 12 stacks against the 3 shipped ones.

A copy of the project gets nine more stack files, each a copy of a shipped stack that names
the same environment (``aksflow:environment``) with its own VNet range, the way a platform team
adds regions and business-unit clusters. Both previews run as whole processes, alternating
run by run so that the shared machine's noise hits both sides alike, and the best of each is
compared:

- 12 stacks take at most 1.5x the wall time of the 3 shipped ones (2 cores);
- the 3-stack preview costs at most 2.5 s of CPU (the process and its workers).

    python bench/fleet_bench.py [--runs N] [--stacks 12]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

import yaml
from preview_bench import Sample, measure  # the sibling script: one way to time a process

ROOT = Path(__file__).resolve().parents[1]
PROJECT_PARTS = ("Pulumi.yaml", "environments.yaml", "infra", "apps", "policies")
SHIPPED = ("dev", "staging", "prod")


def fleet_project(directory: Path, stacks: int) -> list[str]:
    """Copy the project into ``directory`` with ``stacks`` stacks in all; returns their names."""
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, directory / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, directory / part)
    names = list(SHIPPED)
    for stack in SHIPPED:
        shutil.copy(ROOT / f"Pulumi.{stack}.yaml", directory / f"Pulumi.{stack}.yaml")
    for extra in range(stacks - len(SHIPPED)):
        environment = SHIPPED[extra % len(SHIPPED)]
        name = f"{environment}-{extra // len(SHIPPED) + 2:02d}"
        document = yaml.safe_load((ROOT / f"Pulumi.{environment}.yaml").read_text()) or {}
        config = document.setdefault("config", {})
        config["aksflow:environment"] = environment
        config["aksflow:vnetAddressSpace"] = f"10.{100 + extra}.0.0/16"
        (directory / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        names.append(name)
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="alternating repetitions; best kept")
    parser.add_argument("--stacks", type=int, default=12, help="stacks in the fleet")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="aksflow-fleet-") as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        names = fleet_project(project, options.stacks)
        three_args = ["preview", "--quiet", "--out", str(Path(tmp) / "out3")]
        for stack in SHIPPED:
            three_args += ["--stack", stack]
        fleet_args = ["preview", "--quiet", "--out", str(Path(tmp) / "outN")]
        three: list[Sample] = []
        fleet: list[Sample] = []
        for _ in range(options.runs):
            three.append(measure(three_args, project))
            fleet.append(measure(fleet_args, project))

    best3 = min(three, key=lambda s: s.seconds)
    bestn = min(fleet, key=lambda s: s.seconds)
    cpu3 = min(s.cpu for s in three)
    ratio = bestn.seconds / best3.seconds
    print(f"aksflow preview, {os.cpu_count()} cores, best of {options.runs} alternating runs")
    print(f"  3 shipped stacks:   wall {best3.seconds:6.2f} s   cpu {cpu3:6.2f} s  (cpu <= 2.5 s)")
    print(
        f"  {len(names):2d} stacks (fleet):  wall {bestn.seconds:6.2f} s   cpu {bestn.cpu:6.2f} s"
    )
    print(f"  ratio fleet / shipped wall: {ratio:.2f}  (target <= 1.5)")


if __name__ == "__main__":
    main()
