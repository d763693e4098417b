"""Every input error is one headline naming the file and the key, then its detail (issue 12).

One case per kind of input aksflow reads, each broken the way a user breaks it, run through the
CLI. Each asserts exit 2 (an input error), that stderr's first line is ``error: `` with the file
and the key (or object, field, template expression) in it, no traceback, and, where the error
has one, that its detail (the parser's report, Helm's words) follows on a later line.

The cases before "the other inputs" are the errors that used to lead with a generic line
("while parsing a flow sequence", "values don't meet the specifications", a template position
without its expression, pyhelm3's "command failed: <helm command line>", a repr) and named the
file or key on a later line, or not at all. Of "the other inputs", most held already; some were
sharpened to a key path (values schema, policy config property, exception policy, verdict
request, JSON lines; the commit messages name each). Below them: Helm repositories, the GitHub
API, `aksflow diff` and command-line usage errors.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aksflow.cli import main
from tests.conftest import ROOT
from tests.diff import gitrepo
from tests.helm.helm_v3 import helm_v3


def _replace(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / rel
        text = path.read_text()
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, 1))

    return edit


def _append(rel: str, text: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / rel
        path.write_text(path.read_text() + text)

    return edit


def _write(rel: str, text: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    return edit


def _write_bytes(rel: str, data: bytes) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        (project / rel).write_bytes(data)

    return edit


def _both(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        for one in edits:
            one(project)

    return edit


def _preview(project: Path, tmp: Path) -> list[str]:
    return ["preview", "--project-dir", str(project), "--out", str(tmp / "out"), "--stack", "dev"]


def _preview_helm_v3(project: Path, tmp: Path) -> list[str]:
    return [*_preview(project, tmp), "--helm", str(helm_v3())]


def _analyze_state(project: Path, tmp: Path) -> list[str]:
    pack = str(project / "policies")
    return ["policy", "analyze", "--pack", pack, "--stack", "dev", "--state", str(tmp / "s.json")]


def _analyze_manifests(project: Path, tmp: Path) -> list[str]:
    pack = str(project / "policies")
    return ["policy", "analyze", "--pack", pack, "--stack", "dev", "--manifests", str(tmp / "m")]


def _verdict(project: Path, tmp: Path) -> list[str]:
    return ["policy", "verdict", "--request", str(tmp / "req.json"), "--out", str(tmp / "v")]


def _request(*stacks: dict[str, str]) -> Callable[[Path], None]:
    """A verdict request (what `aksflow diff` hands the base's gate) beside the project."""

    def edit(project: Path) -> None:
        doc = {"version": 1, "project": str(project), "stacks": list(stacks)}
        (project.parent / "req.json").write_text(json.dumps(doc))
        (project.parent / "state.json").write_text("{}")
        (project.parent / "head.json").write_text('{"violations": [{"level": "mandatory"}]}')

    return edit


def _analyze_manifests_defaulted(project: Path, tmp: Path) -> list[str]:
    """No --stack or --config: the strictest config is said, after an input error if any."""
    pack = str(project / "policies")
    return ["policy", "analyze", "--pack", pack, "--manifests", str(tmp / "m")]


def _plan_summary(project: Path, tmp: Path) -> list[str]:
    return ["plan", "summary", str(tmp / "plan.json")]


@dataclass(frozen=True)
class Case:
    id: str
    edit: Callable[[Path], None]
    headline: tuple[str, ...]
    """Each is in the first line: the file, then the key (or object, field, expression)."""
    detail: str = ""
    """On a later line: the parser's or Helm's own report."""
    args: Callable[[Path, Path], list[str]] = _preview


STACK = "Pulumi.dev.yaml"
SCHEMA = "apps/web/chart/values.schema.json"
SERVICE = "apps/web/chart/templates/service.yaml"
WORKLOADS = "infra/components/workloads.py"
NIL_POINTER = "{{ .Values.nope.deeper }}\n"
MUTATION = "config.kubernetes.io/apply-time-mutation"
EXCEPTION = """exceptions:
  - policy: pss-privileged
    environment: dev
    resource: {kind: Deployment}
    owner: "@contoso/web"
    reason: a reason long enough to be one
    expires: 2099-01-01
"""


CASES = [
    # --- the errors that put the key on their third line (fixed) -----------------------------
    Case(
        "template-nil-pointer",
        _append(SERVICE, NIL_POINTER),
        (f"{SERVICE}:17:10: <.Values.nope.deeper>: template error: nil pointer",),
        detail='executing "web/templates/service.yaml" at <.Values.nope.deeper>',
    ),
    Case(
        "template-nil-pointer-in-include",
        _both(
            _append(
                "apps/web/chart/templates/_helpers.tpl",
                '{{- define "web.broken" -}}{{ .Values.nope.deeper }}{{- end -}}\n',
            ),
            _append(SERVICE, '{{ include "web.broken" . }}\n'),
        ),
        ("apps/web/chart/templates/_helpers.tpl:", "<.Values.nope.deeper>", "nil pointer"),
        detail="error calling include",
    ),
    Case(
        "template-nil-pointer-helm-v3",  # pyhelm3 logged "command failed: <argv>" above it
        _append(SERVICE, NIL_POINTER),
        (f"{SERVICE}:17:10: <.Values.nope.deeper>: template error: nil pointer",),
        args=_preview_helm_v3,
    ),
    Case(
        "chart-dependency-missing",  # the in-process library rendered without it, silently
        _append(
            "apps/web/chart/Chart.yaml",
            "dependencies:\n  - {name: redis, version: 1.0.0, repository: https://charts.example.com}\n",
        ),
        ("apps/web/chart/Chart.yaml: dependencies: redis: declared but missing",),
    ),
    Case(
        "chart-library-type",  # the in-process library rendered it as nothing, silently
        _append("apps/web/chart/Chart.yaml", "type: library\n"),
        ("apps/web/chart/Chart.yaml: type: library charts are not installable",),
    ),
    Case(
        "chart-library-type-helm-v3",
        _append("apps/web/chart/Chart.yaml", "type: library\n"),
        ("apps/web/chart/Chart.yaml", "library charts are not installable"),
        args=_preview_helm_v3,
    ),
    Case(
        "chart-dependency-missing-helm-v3",
        _append(
            "apps/web/chart/Chart.yaml",
            "dependencies:\n  - {name: redis, version: 1.0.0, repository: https://charts.example.com}\n",
        ),
        ("apps/web/chart/Chart.yaml: dependencies: redis: declared but missing",),
        detail="helm dependency build",
        args=_preview_helm_v3,
    ),
    Case(
        "rendered-template-yaml",
        _append(SERVICE, "  broken: [\n"),
        (f"{SERVICE} (rendered):", "broken", "invalid YAML: did not find expected node content"),
        detail="while parsing a flow node",
    ),
    Case(
        "values-schema-json-not-json",
        _replace(SCHEMA, '"title": "web chart values",', '"title": "web chart values"'),
        (f"{SCHEMA}:4: invalid JSON: Expecting ',' delimiter",),
        detail="values don't meet the specifications",
    ),
    Case(
        "values-schema-json-not-a-schema",
        _replace(SCHEMA, '"type": "object",', '"type": "objet",'),
        (f"{SCHEMA}: /type: 'anyOf' failed (not a valid JSON Schema)",),
        detail="is not valid against metaschema",
    ),
    Case(
        "apply-time-mutation-annotation-yaml",
        _replace(
            SERVICE, "metadata:\n", f'metadata:\n  annotations:\n    {MUTATION}: "[a: b: c"\n'
        ),
        (SERVICE, "/namespaces/web/Service/web", f"annotation {MUTATION}", "invalid YAML"),
        detail="cli-utils DependencyGraph",
    ),
    Case(
        "safety-yaml-yaml",
        _replace("safety.yaml", "standardDDSv5Family: 240", "standardDDSv5Family: [240"),
        ("safety.yaml:17: environments.prod.vcpuQuota.standardDDSv5Family[1]: invalid YAML",),
    ),
    Case(
        "pulumi-policy-yaml-yaml",
        _replace("policies/PulumiPolicy.yaml", "version: 0.1.0", "version: [0.1.0"),
        ("policies/PulumiPolicy.yaml:7: version[1]: invalid YAML",),
    ),
    Case(
        "value-yaml-files-yaml",
        _both(
            _replace(
                WORKLOADS,
                "values=dict(release.values),",
                'values=dict(release.values), value_yaml_files=[pulumi.FileAsset("extra.yaml")],',
            ),
            _write("infra/extra.yaml", "image:\n  tag: [1\n"),
        ),
        ("valueYamlFiles[0]: extra.yaml:3: image.tag[1]: invalid YAML",),
        detail="while parsing a flow sequence",
    ),
    Case(
        "chart-lock-yaml",
        _both(
            _write(
                "apps/colours/app.yaml",
                "chart: {repository: 'https://charts.example.com', name: colours, version: 1.2.3}\n"
                "namespace: colours\nenvironments: [dev]\n",
            ),
            _write("apps/colours/chart.lock.yaml", "name: [colours\n"),
        ),
        ("apps/colours/chart.lock.yaml:2: name[1]: invalid YAML",),
        detail="while parsing a flow sequence",
    ),
    Case(
        "chart-yaml-yaml",
        _replace("apps/web/chart/Chart.yaml", "version: 1.0.0", "version: [1"),
        ("apps/web/chart/Chart.yaml:", "version[1]: invalid YAML"),
        detail="cannot load Chart.yaml",
    ),
    Case(
        "chart-yaml-version",
        _replace("apps/web/chart/Chart.yaml", "version: 1.0.0", "version: notsemver"),
        ('apps/web/chart/Chart.yaml: version: "notsemver" is invalid',),
    ),
    Case(
        # Also: charts render with the stack's effective Kubernetes version (the base default
        # here, which the stack file does not repeat), so the constraint is checked at all.
        "chart-yaml-kube-version",
        _replace(
            "apps/web/chart/Chart.yaml", 'kubeVersion: ">=1.29.0-0"', 'kubeVersion: ">=1.99.0-0"'
        ),
        ("apps/web/chart/Chart.yaml: kubeVersion: chart requires kubeVersion: >=1.99.0-0",),
    ),
    Case(
        "chart-values-yaml",
        _append("apps/web/chart/values.yaml", "extra: [\n"),
        ("apps/web/chart/values.yaml:", "extra[0]: invalid YAML"),
        detail="cannot load values.yaml",
    ),
    Case(
        "policy-pack-syntax-error",
        _append("policies/aksflow_policies/rbac.py", "\ndef (:\n"),
        ("policies/aksflow_policies/rbac.py:", "the policy pack failed to load: SyntaxError"),
    ),
    Case(
        "policy-pack-raises",
        _append("policies/aksflow_policies/rbac.py", '\nraise ValueError("bad\\nsecond line")\n'),
        ("policies/aksflow_policies/rbac.py:", "failed to load: ValueError: bad"),
        detail="second line",
    ),
    Case(
        "policy-raises",
        _replace(
            "policies/aksflow_policies/hygiene.py",
            "def resources(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:\n",
            "def resources(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:\n"
            '    raise ValueError("policy bug\\nsecond line")\n',
        ),
        (
            "policies/aksflow_policies/hygiene.py:",
            "policy 'k8s-resources' raised on urn:pulumi:dev::",
            "ValueError: policy bug",
        ),
        detail="second line",
    ),
    Case(
        "policy-calls-sys-exit",
        _replace(
            "policies/aksflow_policies/hygiene.py",
            "def resources(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:\n",
            "def resources(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:\n"
            "    import sys; sys.exit(0)\n",
        ),
        ("policies/aksflow_policies/hygiene.py:", "called sys.exit(0)"),
    ),
    Case(
        "program-calls-sys-exit-in-a-worker",  # every stack, forked: was exit 3, WorkerCrashError
        _replace(
            WORKLOADS,
            "        charts: list[k8s.helm.v4.Chart] = []\n",
            "        charts: list[k8s.helm.v4.Chart] = []\n        import sys; sys.exit(0)\n",
        ),
        (f"{WORKLOADS}:", "called sys.exit(0)"),
        args=lambda project, tmp: [*_preview(project, tmp)[:-2], "--jobs", "2"],
    ),
    Case(
        "program-raises",
        _replace(
            WORKLOADS,
            "        charts: list[k8s.helm.v4.Chart] = []\n",
            "        charts: list[k8s.helm.v4.Chart] = []\n"
            '        raise ValueError("bad input\\nsecond line")\n',
        ),
        (f"{STACK}: the program failed: ValueError: bad input ({WORKLOADS}:",),
        detail="second line",
    ),
    Case(
        "program-syntax-error",
        _append(WORKLOADS, "\ndef (:\n"),
        (f"{STACK}: the program failed: SyntaxError: invalid syntax ({WORKLOADS}:",),
    ),
    # --- the other inputs: already one headline, kept so -------------------------------------
    Case(
        "stack-file-type",
        _append(STACK, "  aksflow:logRetentionDays: abc\n"),
        (f"{STACK}: aksflow:logRetentionDays: must be an integer (got 'abc')",),
    ),
    Case(
        "stack-file-yaml",
        _append(STACK, "  aksflow:defender: [false\n"),
        (f"{STACK}:", "config.aksflow:defender[1]: invalid YAML"),
    ),
    Case(
        "stack-file-node-pool",
        _append(
            STACK,
            "  aksflow:nodePools:\n    - {name: np1, vmSize: Standard_D4ds_v5, minCount: x}\n",
        ),
        (f"{STACK}: aksflow:nodePools[0].minCount: must be an integer",),
    ),
    Case(
        "stack-file-unknown-key",
        _append(STACK, "  aksflow:bogus: 1\n"),
        (f"{STACK}: aksflow:bogus: not a setting of this program",),
    ),
    Case(
        "pulumi-yaml-declaration",
        _replace(
            "Pulumi.yaml",
            "  aksflow:environment:\n    type: string",
            "  aksflow:environment:\n    type: text",
        ),
        ("Pulumi.yaml: config.aksflow:environment.type: must be one of",),
    ),
    Case(
        "environments-yaml-profile",
        _replace("environments.yaml", "aksflow:skuTier: Free", "aksflow:skuTier: Gratis"),
        ("environments.yaml: environments[0].config.aksflow:skuTier: must be one of",),
    ),
    Case(
        "environments-yaml-profile-yaml",
        _replace("environments.yaml", "aksflow:defender: false", "aksflow:defender: [false"),
        ("environments.yaml:", "environments[0].config.aksflow:defender[1]: invalid YAML"),
    ),
    Case(
        "environments-yaml-policy-config-missing",
        _replace(
            "environments.yaml",
            "podSecurity: baseline\n",
            "podSecurity: baseline\n    policyConfig: policies/config/nope.json\n",
        ),
        ("environments.yaml: environments[0].policyConfig: policies/config/nope.json not found",),
    ),
    Case(
        "environments-yaml",
        _replace("environments.yaml", "podSecurity: baseline", "podSecurity: bogus"),
        ("environments.yaml: environments[0].podSecurity: must be one of",),
    ),
    Case(
        "app-yaml",
        _replace("apps/web/app.yaml", "namespace: web", "namespace: [web]"),
        ("apps/web/app.yaml: namespace:",),
    ),
    Case(
        "values-file-yaml",
        _append("apps/web/values-dev.yaml", "extra: [1\n"),
        ("apps/web/values-dev.yaml:", "extra[1]: invalid YAML"),
    ),
    Case(
        "values-file-breaks-schema",
        _replace("apps/web/values-dev.yaml", "replicaCount: 1", "replicaCount: one"),
        ("apps/web/values-dev.yaml:2: replicaCount: got string, want integer", SCHEMA),
    ),
    Case(
        "values-file-unknown-key",
        _replace("apps/web/values-dev.yaml", "    cpu: 50m", "    cpu: 50m\n    gpu: 1"),
        (
            "apps/web/values-dev.yaml:8: resources.requests.gpu: additional properties 'gpu'",
            SCHEMA,
        ),
    ),
    Case(
        "policy-config-json",
        _replace(
            "policies/config/dev.json",
            '"enforcementLevel": "mandatory",',
            '"enforcementLevel": "mandatory"',
        ),
        ("policies/config/dev.json:4: policy config (keyed by policy name) is not valid JSON",),
    ),
    Case(
        "policy-config-binary",  # was exit 3: a UnicodeDecodeError escaped
        _write_bytes("policies/config/dev.json", bytes(range(256))),
        ("policies/config/dev.json: cannot read the policy config",),
    ),
    Case(
        "policy-config-level",
        _replace(
            "policies/config/dev.json",
            '"enforcementLevel": "mandatory",',
            '"enforcementLevel": "mandatry",',
        ),
        ("policies/config/dev.json: pss-windows-host-process.enforcementLevel:",),
    ),
    Case(
        "policy-config-property",
        _replace("policies/config/dev.json", '"level": "baseline",', '"level": "baselin",'),
        ("policies/config/dev.json: pss-windows-host-process.level: 'baselin' is not one of",),
    ),
    Case(
        "exceptions-yaml-entry",
        _replace("policies/exceptions.yaml", "exceptions: []", EXCEPTION + "    bogus: 1\n"),
        ("policies/exceptions.yaml: exceptions[0]: Additional properties",),
    ),
    Case(
        "exceptions-yaml-policy",
        _replace(
            "policies/exceptions.yaml",
            "exceptions: []",
            EXCEPTION.replace("policy: pss-privileged", "policy: no-such-policy"),
        ),
        ("policies/exceptions.yaml:", "exceptions[0].policy: unknown policy 'no-such-policy'"),
    ),
    Case(
        "safety-yaml-value",
        _replace("safety.yaml", "costIncreaseLimit: 150", "costIncreaseLimit: lots"),
        ("safety.yaml: environments.dev.costIncreaseLimit: must be a number",),
    ),
    Case(
        "state-export-shape",
        _write(
            "../s.json", '{"version": 3, "deployment": {"resources": [{"urn": "u", "type": 5}]}}'
        ),
        ("s.json: deployment.resources[0].type: a non-empty string is required",),
        args=_analyze_state,
    ),
    Case(
        "verdict-request-entry",
        _request({"stack": "dev"}),
        ("req.json: stacks[0].environment: missing or not a string",),
        args=_verdict,
    ),
    Case(
        "verdict-head-report",
        lambda project: _request(
            {
                "stack": "dev",
                "environment": "dev",
                "state": str(project.parent / "state.json"),
                "headReport": str(project.parent / "head.json"),
            }
        )(project),
        ("head.json: violations[0].policy: missing",),
        args=_verdict,
    ),
    Case(
        "manifests-yaml",
        _write("../m/pod.yaml", "kind: Pod\nspec:\n  containers: [\n"),
        ("m/pod.yaml:", "spec.containers[0]: invalid YAML"),
        args=_analyze_manifests,
    ),
    Case(
        "manifests-json",
        _write(
            "../m/pod.json", '{"apiVersion": "v1", "kind": "Pod",\n  "metadata": {"name": "x",}}'
        ),
        ("m/pod.json:2: invalid JSON",),
        args=_analyze_manifests,
    ),
    Case(
        "plan-json-shape",
        _write("../plan.json", '{"steps": [{"op": "create", "urn": 5}]}'),
        ("plan.json: steps[0].urn: must be a string",),
        args=_plan_summary,
    ),
    Case(
        "manifests-yaml-default-config",  # the "note: ... strictest config" line came first
        _write("../m/pod.yaml", "kind: Pod\nspec:\n  containers: [\n"),
        ("m/pod.yaml:", "spec.containers[0]: invalid YAML"),
        args=_analyze_manifests_defaulted,
    ),
]


def _first_line_and_rest(err: str) -> tuple[str, list[str]]:
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    return lines[0], lines[1:]


def _assert_headline(args: list[str], headline: tuple[str, ...], detail: str = "") -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr
    first, rest = _first_line_and_rest(result.stderr)
    assert first.startswith("error: "), result.stderr
    for part in headline:
        assert part in first, f"{part!r} not in the headline:\n{result.stderr}"
    if detail:
        assert any(detail in line for line in rest), result.stderr


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_an_error_is_one_headline_naming_file_and_key(
    case: Case, tmp_path: Path, project_copy: Path
) -> None:
    shutil.copy(ROOT / "safety.yaml", project_copy / "safety.yaml")
    case.edit(project_copy)
    _assert_headline(case.args(project_copy, tmp_path), case.headline, case.detail)
    assert not (tmp_path / "out").exists()


# --- `aksflow charts vendor`: what a Helm repository serves ------------------------------------


@pytest.fixture
def repository() -> Iterator[tuple[str, dict[str, Any]]]:
    """A server on 127.0.0.1: its ``/repo`` URL and what it serves (path -> body, or status)."""
    files: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = files.get(self.path)
            status, body = found if isinstance(found, tuple) else (200, found)
            self.send_response(404 if body is None else status)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/repo", files
    httpd.shutdown()
    httpd.server_close()


def _declare_remote(project: Path, url: str) -> list[str]:
    _write(
        "apps/colours/app.yaml",
        f"chart: {{repository: '{url}', name: colours, version: 1.2.3}}\n"
        "namespace: colours\nenvironments: [dev]\n",
    )(project)
    return ["charts", "vendor", "--project-dir", str(project), "--app", "colours"]


def _archive(chart_yaml: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        member = tarfile.TarInfo("colours/Chart.yaml")
        member.size = len(chart_yaml)
        archive.addfile(member, io.BytesIO(chart_yaml))
    return buffer.getvalue()


def test_vendor_index_yaml_error_names_the_index_and_key(
    repository: tuple[str, dict[str, Any]], project_copy: Path
) -> None:
    url, files = repository
    files["/repo/index.yaml"] = b"apiVersion: v1\nentries:\n  colours: [\n"
    _assert_headline(
        _declare_remote(project_copy, url),
        ("apps/colours/app.yaml", f"{url}/index.yaml:4: entries.colours[0]: invalid YAML"),
        detail="while parsing a flow node",
    )


def test_vendor_archive_chart_yaml_error_names_the_file_and_key(
    repository: tuple[str, dict[str, Any]], project_copy: Path
) -> None:
    url, files = repository
    data = _archive(b"apiVersion: v2\nname: colours\nversion: [1.2.3\n")
    entry = (
        "apiVersion: v1\nentries:\n  colours:\n  - name: colours\n    version: 1.2.3\n"
        f"    urls: [charts/colours-1.2.3.tgz]\n    digest: {hashlib.sha256(data).hexdigest()}\n"
    )
    files["/repo/index.yaml"] = entry.encode()
    files["/repo/charts/colours-1.2.3.tgz"] = data
    _assert_headline(
        _declare_remote(project_copy, url),
        ("colours/Chart.yaml in the download:4: version[1]: invalid YAML",),
        detail="while parsing a flow sequence",
    )


# --- `aksflow comment`: what the GitHub API answers --------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "detail"),
    [
        (422, b'["not", "an", "object"]', '["not", "an", "object"]'),
        (400, b"<html>\n<body>\nBad gateway\n</body>\n</html>\n", "<html> <body> Bad gateway"),
    ],
    ids=["json-of-another-shape", "html-page"],
)
def test_a_github_error_answer_is_one_headline(
    repository: tuple[str, dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    body: bytes,
    detail: str,
) -> None:
    url, files = repository
    files["/repo/repos/o/r/issues/1/comments?per_page=100"] = (status, body)
    monkeypatch.setenv("GITHUB_API_URL", url)
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    comment = tmp_path / "comment.md"
    comment.write_text("hello\n")
    args = ["comment", "--repo", "o/r", "--pr", "1", "--file", str(comment), "--author", "me"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith(f"error: GET {url}/repos/o/r/issues/1/comments")
    assert f"HTTP {status}: {detail}" in line


# --- `aksflow diff`: a child preview's error, whole, under one headline ------------------------


def test_diff_keeps_the_childs_headline_first(project_copy: Path, tmp_path: Path) -> None:
    shutil.copy(ROOT / "safety.yaml", project_copy / "safety.yaml")
    gitrepo.init(project_copy)
    gitrepo.commit(project_copy, "base")
    _append(SERVICE, NIL_POINTER)(project_copy)
    out = tmp_path / "out"
    args = ["diff", "--project-dir", str(project_copy), "--base", "main", "--stack", "dev"]
    _assert_headline(
        [*args, "--out", str(out)],
        ("preview of stack dev", f"{SERVICE}:17:10: <.Values.nope.deeper>: template error"),
        detail='executing "web/templates/service.yaml" at <.Values.nope.deeper>',
    )


def test_diff_names_the_option_of_an_unknown_revision(project_copy: Path, tmp_path: Path) -> None:
    gitrepo.init(project_copy)
    gitrepo.commit(project_copy, "base")
    args = ["diff", "--project-dir", str(project_copy), "--out", str(tmp_path / "out")]
    _assert_headline(
        [*args, "--base", "no-such-rev"], ("--base no-such-rev: unknown git revision",)
    )
    _assert_headline(
        [*args, "--base", "main", "--head", "no-such-rev"],
        ("--head no-such-rev: unknown git revision",),
    )


# --- command-line usage: click printed "Usage:" and a hint first, the error on line 4 -----------


@pytest.mark.parametrize(
    ("args", "headline"),
    [
        (["preview", "--jobs", "0"], "Invalid value for '--jobs': 0 is not in the range x>=1."),
        (
            ["policy", "analyze", "--format", "x"],
            "Invalid value for '--format': 'x' is not one of",
        ),
        (
            ["comment", "--repo", "o/r", "--pr", "1", "--file", "/no/such/comment.md"],
            "Invalid value for '--file': File '/no/such/comment.md' does not exist.",
        ),
        (["plan", "summary"], "Missing argument 'PLAN_FILE'."),
        (["no-such-command"], "No such command 'no-such-command'."),
    ],
    ids=["option-range", "option-choice", "missing-file", "missing-argument", "unknown-command"],
)
def test_a_usage_error_leads_with_its_message(args: list[str], headline: str) -> None:
    _assert_headline(args, (headline,), detail="Usage: ")


def test_a_group_without_a_subcommand_still_prints_its_help() -> None:
    result = CliRunner().invoke(main, ["policy"])
    assert result.output.startswith("Usage: main policy [OPTIONS] COMMAND [ARGS]...")
    assert "error:" not in result.output
