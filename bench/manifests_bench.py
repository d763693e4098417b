"""Scaling of ``aksflow policy analyze --manifests``: time must grow linearly with the objects.

Writes one multi-document file of N Pods for each size, runs the CLI on each as a fresh
process (start-up included) and prints wall and CPU time with the per-object ratio to the
smallest size side by side. Linear means a ratio near 1.0 for every size.

    .venv/bin/python bench/manifests_bench.py [--sizes 5000 10000 20000]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

POD = """apiVersion: v1
kind: Pod
metadata:
  name: pod-{i}
  namespace: ns-{ns}
  labels: {{app: web, tier: frontend}}
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile: {{type: RuntimeDefault}}
  containers:
  - name: app
    image: nginx:1.25
    resources:
      limits: {{cpu: 100m, memory: 128Mi}}
      requests: {{cpu: 50m, memory: 64Mi}}
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {{drop: [ALL]}}
"""


def write_pods(path: Path, count: int) -> None:
    """``count`` Pods in one file, ten namespaces."""
    path.write_text("---\n".join(POD.format(i=i, ns=i % 10) for i in range(count)))


def run(manifest: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one CLI run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [
            *(sys.executable, "-m", "aksflow", "policy", "analyze", "--manifests", str(manifest)),
            *("--config", str(REPO / "policies/config/prod.json"), "--format", "json"),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"policy analyze failed ({done.returncode}): {done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 10000, 20000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for size in args.sizes:
            manifest = Path(tmp) / f"pods-{size}.yaml"
            write_pods(manifest, size)
            wall, cpu = run(manifest)
            rows.append((size, manifest.stat().st_size, wall, cpu))
    base_size, _, _, base_cpu = rows[0]
    print(f"{'objects':>8} {'MB':>6} {'wall s':>8} {'CPU s':>8} {'CPU/object vs first':>20}")
    for size, nbytes, wall, cpu in rows:
        ratio = (cpu / size) / (base_cpu / base_size)
        print(f"{size:>8} {nbytes / 1e6:>6.1f} {wall:>8.2f} {cpu:>8.2f} {ratio:>20.2f}")


if __name__ == "__main__":
    main()
