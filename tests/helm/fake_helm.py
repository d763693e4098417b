"""A stand-in ``helm`` executable for exercising the pyhelm3 backend without the real binary.

It implements only what the backend calls, in the real CLI's output format:
``helm version --template '{{ .Version }}'`` and ``helm template NAME CHART --namespace NS
--include-crds --no-hooks --values - [--kube-version V]`` (documents printed as
``---\\n# Source: <chart>/<path>\\n<manifest>``, errors as ``Error: ...`` with exit status 1).
Rendering is done by Helm's library (helm_python), so this checks the backend's command line and
output parsing, not Helm; the real-binary comparison is test_parity.py.
Every invocation's arguments are appended to $FAKE_HELM_LOG when set.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if log := os.environ.get("FAKE_HELM_LOG"):
        with Path(log).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(argv) + "\n")
    if argv[:1] == ["version"]:
        sys.stdout.write("v3.17.0")
        return 0
    if argv[:1] != ["template"]:
        sys.stderr.write(f"Error: unsupported command {argv!r}\n")
        return 1
    import helm_python
    from helm_python import _native

    name, chart_path = argv[1], argv[2]
    flags = argv[3:]
    namespace = flags[flags.index("--namespace") + 1] if "--namespace" in flags else "default"
    options = {"name": name, "namespace": namespace, "is_install": True}
    if "--kube-version" in flags:
        options["kube_version"] = flags[flags.index("--kube-version") + 1]
    values = json.loads(sys.stdin.read() or "{}")
    try:
        chart = helm_python.Chart.load(chart_path)
        rendered = json.loads(
            _native.call_string(
                "helm_render", chart._raw(), json.dumps(values), json.dumps(options)
            )
        )
    except helm_python.HelmError as exc:
        sys.stderr.write(f"Error: {exc.detail}\n")
        return 1
    out = []
    if "--include-crds" in flags:
        for crd in chart.crds:
            out.append(f"---\n# Source: {crd['filename']}\n{crd['data']}")
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt") or not text.strip():
            continue
        out.append(f"---\n# Source: {path}\n{text}")
    sys.stdout.write("".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
