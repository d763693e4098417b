"""Wall-time benchmark: ``aksflow policy analyze --manifests`` vs Checkov on the same manifests.

Two corpora: the PSS v1.37 conformance pods (../shared/conformance/pss) and a generated corpus of
10,000 rendered objects (Deployments, Services, ConfigMaps, ServiceAccounts, PDBs, ...) written
to a temporary directory. Each tool runs as a fresh process, so start-up is included.

Checkov 3.3.30 is not a project dependency (its exact pins clash with ours, policies.md §7): it is
installed into a separate virtualenv ``.venv-bench`` on first use and reused afterwards.

    .venv/bin/python bench/policy_bench.py [--objects 10000] [--skip-checkov]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
BENCH_VENV = REPO / ".venv-bench"
CHECKOV_VERSION = "3.3.30"
PSS_CORPUS = REPO.parent / "shared" / "conformance" / "pss"
TARGET_RATIO = 5.0


def ensure_checkov() -> Path:
    """Path of the checkov executable in .venv-bench, installing it once."""
    exe = BENCH_VENV / "bin" / "checkov"
    if exe.exists():
        return exe
    print(f"installing checkov=={CHECKOV_VERSION} into {BENCH_VENV} (one-off)...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    subprocess.run(
        [
            str(BENCH_VENV / "bin" / "pip"),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"checkov=={CHECKOV_VERSION}",
        ],
        check=True,
    )
    return exe


def _deployment(i: int, ns: str) -> dict[str, Any]:
    name = f"app-{i}"
    insecure = i % 7 == 0  # a realistic minority of findings
    sc: dict[str, Any] = (
        {"privileged": True}
        if insecure
        else {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "securityContext": {
                        "runAsNonRoot": True,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [
                        {
                            "name": "app",
                            "image": f"myacr.azurecr.io/app-{i % 50}:1.{i % 9}.0",
                            "ports": [{"containerPort": 8080}],
                            "securityContext": sc,
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"memory": "256Mi"},
                            },
                            "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
                            "livenessProbe": {"httpGet": {"path": "/live", "port": 8080}},
                        }
                    ],
                },
            },
        },
    }


def _service(i: int, ns: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": f"app-{i}", "namespace": ns}
    spec: dict[str, Any] = {"selector": {"app": f"app-{i}"}, "ports": [{"port": 80}]}
    if i % 11 == 0:
        spec["type"] = "LoadBalancer"
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}


def _others(i: int, ns: str) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"app-{i}", "namespace": ns},
            "data": {"LOG_LEVEL": "info"},
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": f"app-{i}", "namespace": ns},
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": f"app-{i}", "namespace": ns},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": f"app-{i}"}}},
        },
    ]


def generate_corpus(directory: Path, count: int, per_file: int = 100) -> int:
    """Write ``count`` rendered objects as multi-document YAML files; return the count."""
    objects: list[dict[str, Any]] = []
    i = 0
    while len(objects) < count:
        ns = f"team-{i % 20}"
        objects += [_deployment(i, ns), _service(i, ns), *_others(i, ns)]
        i += 1
    objects = objects[:count]
    for n in range(0, len(objects), per_file):
        chunk = objects[n : n + per_file]
        text = "---\n".join(yaml.safe_dump(o, sort_keys=False) for o in chunk)
        (directory / f"rendered-{n // per_file:04d}.yaml").write_text(text, encoding="utf-8")
    return len(objects)


def timed(cmd: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall time (start-up included) and exit code of a command, output discarded."""
    start = time.perf_counter()
    proc = subprocess.run(
        list(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr.decode(errors="replace")[-2000:])
        raise SystemExit(f"{cmd[0]} failed with exit {proc.returncode}")
    return elapsed, proc.returncode


def bench(label: str, directory: Path, checkov: Path | None) -> float | None:
    """Run both tools on one directory and print the times; return the ratio."""
    aksflow_cmd = [
        sys.executable,
        "-m",
        "aksflow.policy",
        "analyze",
        "--manifests",
        str(directory),
        "--config",
        str(REPO / "policies" / "config" / "prod.json"),
        "--pack",
        str(REPO / "policies"),
        "--format",
        "json",
    ]
    ours, _ = timed(aksflow_cmd)
    print(f"[{label}] aksflow policy analyze: {ours:8.2f} s")
    if checkov is None:
        return None
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
    checkov_cmd = [
        str(checkov),
        "-d",
        str(directory),
        "--framework",
        "kubernetes",
        "--quiet",
        "--compact",
        "-o",
        "json",
        "--skip-download",
    ]
    theirs, _ = timed(checkov_cmd, env)
    ratio = theirs / ours
    print(f"[{label}] checkov {CHECKOV_VERSION}:        {theirs:8.2f} s   ratio {ratio:5.1f}x")
    return ratio


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--skip-checkov", action="store_true")
    args = parser.parse_args(argv)
    checkov = None if args.skip_checkov else ensure_checkov()
    ratios = []
    if PSS_CORPUS.is_dir():
        for level in ("baseline", "restricted"):
            r = bench(f"pss-{level}", PSS_CORPUS / level / "v1.37", checkov)
            if r is not None:
                ratios.append(r)
    with tempfile.TemporaryDirectory(prefix="aksflow-bench-") as tmp:
        n = generate_corpus(Path(tmp), args.objects)
        r = bench(f"generated-{n}", Path(tmp), checkov)
        if r is not None:
            ratios.append(r)
    if ratios:
        worst = min(ratios)
        verdict = "meets" if worst >= TARGET_RATIO else "MISSES"
        print(f"worst ratio {worst:.1f}x {verdict} the {TARGET_RATIO:.0f}x target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
