"""Hostile input through the CLI: exit 2 with one clear line, 3 for a bug, never a pass or a crash."""

from __future__ import annotations

import json
import stat
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from aksflow.cli import main
from aksflow.diff.runner import SubprocessPreviewRunner
from tests.conftest import ROOT


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def preview(project: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return invoke("preview", "--project-dir", str(project), "--out", str(out), *extra)


def _one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(("note: ", "warning: "))]
    assert lines and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def _add_stack_line(project: Path, line: str) -> None:
    """A line at the end of dev's ``config:`` (the stack file's own value wins over the profile)."""
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text().rstrip("\n") + "\n  " + line + "\n")


# --- markup, multi-line ------------------------------------------------------------------------


def test_message_text_is_never_rich_markup(project_copy: Path, tmp_path: Path) -> None:
    _add_stack_line(project_copy, 'aksflow:skuTier: "[/x]"')
    code, _, err = preview(project_copy, tmp_path / "out", "--stack", "dev")
    assert code == 2
    assert _one_error(err) == (
        "error: Pulumi.dev.yaml: aksflow:skuTier: must be one of Free, Standard, Premium "
        "(got '[/x]')"
    )


def test_a_secret_placeholder_is_printed_as_is(project_copy: Path, tmp_path: Path) -> None:
    _add_stack_line(project_copy, "aksflow:skuTier: {secure: AAEC}")
    code, _, err = preview(project_copy, tmp_path / "out", "--stack", "dev")
    assert code == 2
    assert _one_error(err).endswith("(got [secret])")


# --- the YAML reader through the CLI -----------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("  1: foo", "error: Pulumi.dev.yaml:{n}: config: key 1 is not a string"),
        (
            "  aksflow:vnetAddressSpace: 10.11.0.0/16",
            "error: Pulumi.dev.yaml:{n}: config.aksflow:vnetAddressSpace: ",
        ),
        ("  aksflow:nested: " + "[" * 1000 + "]" * 1000, "nested deeper than 128 levels"),
        ("  aksflow:nested: " + "[" * 100_000 + "]" * 100_000, "nested deeper than 128 levels"),
    ],
    ids=["non-string-key", "duplicate-key", "1000-deep", "100000-deep"],
)
def test_hostile_stack_files_exit_2(
    project_copy: Path, tmp_path: Path, line: str, expected: str
) -> None:
    path = project_copy / "Pulumi.dev.yaml"
    text = path.read_text().rstrip("\n") + "\n"
    n = text.count("\n") + 1
    path.write_text(text + line + "\n")
    code, _, err = preview(project_copy, tmp_path / "out", "--stack", "dev")
    assert code == 2
    assert expected.format(n=n) in _one_error(err)
    assert not (tmp_path / "out").exists()


def test_a_billion_laughs_stack_file_fails_fast(project_copy: Path, tmp_path: Path) -> None:
    bomb = ['  aksflow:a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, name = chr(96 + i), chr(97 + i)
        bomb.append(f"  aksflow:{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    path = project_copy / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + "\n".join(bomb) + "\n")
    started = time.perf_counter()
    code, _, err = preview(project_copy, tmp_path / "out", "--stack", "dev")
    assert code == 2
    assert "excessive aliasing" in _one_error(err)
    assert time.perf_counter() - started < 10


def test_yaml_12_booleans_are_strings_in_stack_files(project_copy: Path, tmp_path: Path) -> None:
    # go-yaml v3: `off` is the string "off", so a boolean key rejects it as the CLI would.
    _add_stack_line(project_copy, "aksflow:privateCluster: off")
    code, _, err = preview(project_copy, tmp_path / "out", "--stack", "dev")
    assert code == 2
    assert "Pulumi.dev.yaml: aksflow:privateCluster" in _one_error(err)


def test_values_nested_too_deep_name_the_values_file(project_copy: Path, tmp_path: Path) -> None:
    values = project_copy / "apps" / "web" / "values-dev.yaml"
    values.write_text(values.read_text() + "deep: " + "[" * 1000 + "]" * 1000 + "\n")
    code, _, err = preview(project_copy, tmp_path / "out", "--stack", "dev")
    assert code == 2
    line = _one_error(err)
    assert "apps/web/values-dev.yaml:" in line and "nested deeper than 128 levels" in line
    assert "Pulumi.dev.yaml" not in line


# --- other inputs ------------------------------------------------------------------------------


def test_out_pointing_at_a_regular_file_exits_2(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("keep me\n")
    code, _, err = preview(ROOT, target, "--stack", "dev")
    assert code == 2
    assert _one_error(err) == f"error: --out {target}: is a file, not a directory"
    assert target.read_text() == "keep me\n"


def test_out_holding_foreign_files_is_never_replaced(tmp_path: Path) -> None:
    target = tmp_path / "project-like"
    target.mkdir()
    (target / "README.md").write_text("mine\n")
    code, _, err = preview(ROOT, target, "--stack", "dev")
    assert code == 2
    assert "holds README.md, which aksflow did not write" in _one_error(err)
    assert (target / "README.md").read_text() == "mine\n"


def test_binary_files_are_input_errors(tmp_path: Path) -> None:
    binary = tmp_path / "image.yaml"
    binary.write_bytes(bytes(range(256)) * 8)
    code, _, err = invoke("policy", "analyze", "--manifests", str(binary))
    assert code == 2
    assert "not UTF-8 text" in _one_error(err) and "image.yaml" in err
    code, _, err = invoke("comment", "--repo", "o/r", "--pr", "1", "--file", str(binary))
    assert code == 2
    assert _one_error(err).startswith(f"error: --file {binary}: not UTF-8 text")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("[1, 2]", "a stack export must be a JSON object"),
        ('{"version": 99, "deployment": {}}', "version: deployment version 99 is not supported"),
        ('{"version": 3, "deployment": {"resources": {}}}', "deployment.resources: must be"),
        ('{"version": 3, "deployment": {"resources": [1]}}', "deployment.resources[0]: must be"),
        (
            '{"version": 3, "deployment": {"resources": [{"urn": "u", "type": 5}]}}',
            "deployment.resources[0].type: a non-empty string is required",
        ),
        (
            '{"version": 3, "deployment": {"resources": [{"urn": "u", "type": "t", '
            '"inputs": []}]}}',
            "deployment.resources[0].inputs: must be an object",
        ),
        ('{"version": 3, "deployment": ', "invalid JSON"),
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
    ],
)
def test_malformed_stack_exports_exit_2(tmp_path: Path, document: str, message: str) -> None:
    export = tmp_path / "export.json"
    export.write_text(document)
    code, _, err = invoke("policy", "analyze", "--state", str(export))
    assert code == 2
    line = _one_error(err)
    assert str(export) in line and message in line


@pytest.fixture
def github_answering_garbage() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html>not json</html>"
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_invalid_json_from_github_exits_2(
    github_answering_garbage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", github_answering_garbage)
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    body = tmp_path / "comment.md"
    body.write_text("hello\n")
    code, _, err = invoke(
        "comment", "--repo", "o/r", "--pr", "1", "--file", str(body), "--author", "me"
    )
    assert code == 2
    assert "not JSON" in _one_error(err)


# --- bugs, sys.exit, interrupts ----------------------------------------------------------------


def test_an_internal_error_exits_3_with_a_bug_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import aksflow.preview

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(aksflow.preview, "run_preview", broken)
    code, _, err = invoke("preview", "--out", str(tmp_path / "out"))
    assert code == 3
    assert err.splitlines() == [
        "error: internal error: ZeroDivisionError: division by zero",
        "this is a bug in aksflow: please report it with the output of --debug",
    ]
    code, _, err = invoke("--debug", "preview", "--out", str(tmp_path / "out"))
    assert code == 3
    assert err.startswith("Traceback (most recent call last):")
    assert "ZeroDivisionError: division by zero" in err and "this is a bug" in err


def test_a_policy_calling_sys_exit_0_fails_the_preview(project_copy: Path, tmp_path: Path) -> None:
    hygiene = project_copy / "policies" / "aksflow_policies" / "hygiene.py"
    text = hygiene.read_text()
    head = "def no_default_namespace(s: Subject, cfg: Mapping[str, Any]) -> Iterable[Finding]:\n"
    assert head in text
    hygiene.write_text(text.replace(head, head + "    import sys\n\n    sys.exit(0)\n", 1))
    code, _, err = preview(project_copy, tmp_path / "out", "--stack", "dev")
    assert code == 2
    assert "called sys.exit(0)" in _one_error(err)
    assert not (tmp_path / "out").exists()


def test_a_program_calling_sys_exit_0_fails_the_preview(project_copy: Path, tmp_path: Path) -> None:
    program = project_copy / "infra" / "program.py"
    text = program.read_text()
    assert "\ndef main() -> None:\n" in text
    program.write_text(
        text.replace("\ndef main() -> None:\n", "\ndef main() -> None:\n    raise SystemExit(0)\n")
    )
    code, _, err = preview(project_copy, tmp_path / "out", "--stack", "dev")
    assert code == 2
    assert "sys.exit(0)" in _one_error(err) or "SystemExit" in _one_error(err)
    assert not (tmp_path / "out").exists()


# --- diff: a child preview's failure is an error naming its stacks ------------------------------


@pytest.mark.parametrize(
    ("script", "code", "message"),
    [
        (
            "echo 'error: internal error: KeyError: x' >&2; echo 'this is a bug' >&2; exit 3",
            3,
            "preview of stacks dev, prod: internal error (exit 3): internal error: KeyError: x",
        ),
        ("echo 'error: Pulumi.dev.yaml: bad' >&2; exit 2", 2, "stacks dev, prod: Pulumi.dev.yaml"),
        ("kill -9 $$", -9, "preview of stacks dev, prod: killed by SIGKILL"),
        ("echo boom >&2; exit 7", 7, "preview of stacks dev, prod: exit 7: boom"),
    ],
)
def test_a_child_preview_exit_other_than_0_or_1_is_an_error(
    tmp_path: Path, script: str, code: int, message: str
) -> None:
    fake_python = tmp_path / "python"
    fake_python.write_text(f"#!/bin/sh\n{script}\n")
    fake_python.chmod(fake_python.stat().st_mode | stat.S_IEXEC)
    outcome = SubprocessPreviewRunner(python=str(fake_python)).run(
        tmp_path, ["dev", "prod"], tmp_path / "out"
    )
    assert outcome.returncode == code
    assert outcome.failed
    assert message in outcome.message


# --- policy analyze --manifests ----------------------------------------------------------------

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "apps"},
    "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
}


def test_files_without_kubernetes_objects_are_skipped_and_counted(tmp_path: Path) -> None:
    manifests = tmp_path / "m"
    (manifests / "chart").mkdir(parents=True)
    (manifests / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [pod.yaml]\n"
    )
    (manifests / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 1.0.0\n")
    (manifests / "POD.YML").write_text(json.dumps(POD))
    (manifests / "pod2.JSON").write_text(json.dumps({**POD, "metadata": {"name": "web2"}}))
    (manifests / "notes.txt").write_text("not scanned\n")
    code, out, err = invoke("policy", "analyze", "--manifests", str(manifests), "--format", "json")
    assert code in (0, 1), err
    assert json.loads(out)["evaluated"] == 2
    assert "kustomization.yaml: no Kubernetes object; skipped" in err
    assert "Chart.yaml: no Kubernetes object; skipped" in err
    assert "warning: skipped 2 file(s) without a Kubernetes object" in err
    assert "note: no --stack or --config: using the strictest shipped config" in err


def test_zero_objects_in_total_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: x\nversion: 1.0.0\n")
    code, _, err = invoke("policy", "analyze", "--manifests", str(tmp_path))
    assert code == 2
    assert "no Kubernetes object found (1 file(s) without one skipped)" in err


def test_a_file_mixing_objects_and_other_documents_is_an_error(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.yaml"
    mixed.write_text(json.dumps(POD) + "\n---\nname: not-an-object\n")
    code, _, err = invoke("policy", "analyze", "--manifests", str(mixed))
    assert code == 2
    assert "mixed.yaml:3: not a Kubernetes object" in _one_error(err)


# --- policy analyze defaults -------------------------------------------------------------------


def test_analyze_outside_a_project_uses_the_shipped_pack_and_strictest_config(
    previewed: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    state = Path(str(previewed["out"])) / "dev" / "state.json"
    code, _, err = invoke("policy", "analyze", "--state", str(state), "--format", "json")
    assert code in (0, 1)
    assert f"using the strictest shipped config {ROOT / 'policies' / 'config' / 'prod.json'}" in err
    code, _, err = invoke("policy", "analyze", "--state", str(state), "--stack", "prod")
    assert code == 2
    assert _one_error(err) == f"error: {state}: the export is of stack 'dev', not --stack 'prod'"


def test_manifest_booleans_are_read_as_kubectl_reads_them(tmp_path: Path) -> None:
    # sigs.k8s.io/yaml (go-yaml v2) makes `on` true: the cluster would run this Pod privileged.
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: apps}\nspec:\n"
        "  containers:\n  - name: web\n    image: nginx:1.25\n"
        "    securityContext: {privileged: on}\n"
    )
    code, out, _ = invoke("policy", "analyze", "--manifests", str(pod), "--format", "json")
    assert code == 1
    assert "pss-privileged" in {v["policy"] for v in json.loads(out)["violations"]}


def test_diff_out_pointing_at_a_regular_file_exits_2_before_any_preview(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("keep me\n")
    code, _, err = invoke("diff", "--base", "HEAD", "--out", str(target))
    assert code == 2
    assert _one_error(err) == f"error: --out {target}: {target} is a file, not a directory"
    assert target.read_text() == "keep me\n"
