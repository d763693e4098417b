"""The diff's fork server: children forked after the third-party floor, each running its own
revision's aksflow; a fresh interpreter whenever a fork would not be faithful."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aksflow.diff import children
from aksflow.diff.children import ForkedChild, ForkServer, SpawnServer
from aksflow.diff.runner import SubprocessPreviewRunner
from aksflow.diff.zygote import FLOOR, fork_hazard, revision_modules, shadowed

# A stand-in for a revision's aksflow: records what the child held when it started.
PROBE = """\
import json, os, sys
out = sys.argv[sys.argv.index("--out") + 1]
loaded = [m for m in sys.modules if m.startswith(("aksflow", "infra", "policies"))]
import yaml
with open(out, "w") as f:
    json.dump({
        "revision_modules": sorted(loaded),
        "aksflow": sys.modules["aksflow"].__file__,
        "yaml": yaml.__file__,
        "floor": "pulumi_policy" in sys.modules,
        "ppid": os.getppid(),
        "cwd": os.getcwd(),
        "path": sys.path[:2],
        "argv": sys.argv[1:],
        "pythonpath": os.environ["PYTHONPATH"],
    }, f)
"""


def code_root(tmp_path: Path, main: str) -> Path:
    """A checkout whose ``aksflow`` is only ``__main__`` (what ``-m aksflow`` runs)."""
    root = tmp_path / "code"
    (root / "aksflow").mkdir(parents=True)
    (root / "aksflow" / "__init__.py").write_text("")
    (root / "aksflow" / "__main__.py").write_text(main)
    return root


def judge(tmp_path: Path, root: Path) -> tuple[Any, dict[str, Any]]:
    runner = SubprocessPreviewRunner()
    probe = tmp_path / "probe.json"
    with runner.session():
        outcome = runner.judge(root, tmp_path / "request.json", probe)
    return outcome, json.loads(probe.read_text()) if probe.exists() else {}


def test_the_gate_is_forked_after_the_floor_and_runs_the_given_revisions_aksflow(
    tmp_path: Path,
) -> None:
    root = code_root(tmp_path, PROBE)
    outcome, seen = judge(tmp_path, root)
    assert outcome.returncode == 0, outcome.message
    # Nothing of any revision came from the fork server: only what this child imported.
    assert seen["revision_modules"] == ["aksflow"]  # its __main__ runs as __main__
    assert seen["aksflow"] == str(root / "aksflow" / "__init__.py")
    assert seen["floor"], "the child did not inherit the fork server's imports"
    assert seen["ppid"] != os.getpid()  # a child of the fork server, not of this process
    assert seen["cwd"] == str(tmp_path)  # neutral: neither checkout (out_dir's parent)
    assert seen["path"] == [str(tmp_path), str(root)]  # as `python -m` with PYTHONPATH
    assert seen["pythonpath"].split(os.pathsep)[0] == str(root)
    assert seen["argv"][:3] == ["policy", "verdict", "--request"]


def test_a_revision_that_shadows_a_floor_module_gets_a_fresh_interpreter(tmp_path: Path) -> None:
    root = code_root(tmp_path, PROBE)
    (root / "yaml").mkdir()
    (root / "yaml" / "__init__.py").write_text("")
    outcome, seen = judge(tmp_path, root)
    assert outcome.returncode == 0, outcome.message
    assert seen["yaml"] == str(root / "yaml" / "__init__.py")  # as `python -m aksflow` would
    assert not seen["floor"]
    assert seen["aksflow"] == str(root / "aksflow" / "__init__.py")


@pytest.mark.parametrize(
    ("main", "code", "message"),
    [
        (
            "import sys\nsys.stderr.write('error: Pulumi.dev.yaml: bad\\n')\nsys.exit(2)\n",
            2,
            "the base's policy gate: Pulumi.dev.yaml: bad",
        ),
        ("import os\nos.kill(os.getpid(), 9)\n", -9, "the base's policy gate: killed by SIGKILL"),
        ("raise SystemExit(3)\n", 3, "the base's policy gate: internal error (exit 3)"),
        ("raise KeyError('x')\n", 1, ""),  # as the interpreter: exit 1, the gate's own verdict
        # An uncaught KeyboardInterrupt: the interpreter ends itself with SIGINT ...
        ("raise KeyboardInterrupt\n", -2, "the base's policy gate: killed by SIGINT"),
        # ... and aksflow's Interrupted (a KeyboardInterrupt) with the signal it carries.
        (
            "class Interrupted(KeyboardInterrupt):\n    signum = 15\nraise Interrupted()\n",
            -15,
            "the base's policy gate: killed by SIGTERM",
        ),
    ],
)
def test_a_forked_childs_exit_is_reported_as_a_fresh_interpreters(
    tmp_path: Path, main: str, code: int, message: str
) -> None:
    outcome, _ = judge(tmp_path, code_root(tmp_path, main))
    assert outcome.returncode == code
    assert message in outcome.message


def test_the_fork_server_ends_when_its_socket_closes_and_takes_children_with_it(
    tmp_path: Path,
) -> None:
    started = tmp_path / "started"
    root = code_root(
        tmp_path,
        f"import os, time\nopen({str(started)!r}, 'w').write(str(os.getpid()))\ntime.sleep(60)\n",
    )
    runner = SubprocessPreviewRunner(timeout=60)
    with runner.session():
        server = runner._server
        assert isinstance(server, ForkServer)
        child = server.start(
            ["policy", "verdict"], cwd=tmp_path, path=[str(root)], pythonpath=str(root)
        )
        while not started.exists() or not started.read_text():
            assert server._process.poll() is None
        pid = int(started.read_text())
    # close() returned: the server is gone, and it ended the child with SIGTERM first
    assert server._process.returncode == 0
    assert child.communicate(5) == (-signal.SIGTERM, "")
    assert not Path(f"/proc/{pid}").exists()


def test_a_fork_server_that_ends_cleanly_without_running_the_child_is_an_internal_error(
    tmp_path: Path,
) -> None:
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\necho 'no fork server here' >&2\nexit 0\n")
    fake_python.chmod(0o755)
    outcome = SubprocessPreviewRunner(python=str(fake_python)).run(
        tmp_path, ["dev"], tmp_path / "out"
    )
    assert outcome.returncode == 3  # never 0 or 1: those would read as the preview's verdict
    assert "preview of stack dev: internal error (exit 3)" in outcome.message
    assert "the fork server ended (exit 0) before the child" in outcome.message


def test_a_child_the_fork_server_could_not_start_reports_why() -> None:
    stderr_r, stderr_w = os.pipe()
    status_r, status_w = os.pipe()
    os.write(status_w, b"error cannot start it: [Errno 11] Resource temporarily unavailable\n")
    for fd in (stderr_w, status_w):
        os.close(fd)
    child = ForkedChild(stderr_r, status_r)
    assert child.communicate(5) == (None, "")
    assert child.pid is None
    assert child.error == "cannot start it: [Errno 11] Resource temporarily unavailable"


@pytest.fixture
def no_fork_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """A platform without the fork server's Linux calls (pidfd_open, SOCK_SEQPACKET)."""
    monkeypatch.setattr(children, "FORK_SERVER", False)


@pytest.mark.usefixtures("no_fork_server")
def test_without_a_fork_server_each_child_is_the_same_command_in_a_fresh_interpreter(
    tmp_path: Path,
) -> None:
    root = code_root(tmp_path, PROBE)
    outcome, seen = judge(tmp_path, root)
    assert outcome.returncode == 0, outcome.message
    assert seen["revision_modules"] == ["aksflow"]
    assert seen["aksflow"] == str(root / "aksflow" / "__init__.py")
    assert not seen["floor"]  # nothing shared: its own imports
    assert seen["ppid"] == os.getpid()  # started by this process itself
    assert seen["cwd"] == str(tmp_path)
    assert seen["path"] == [str(tmp_path), str(root)]  # what the forked child gets
    assert seen["argv"][:3] == ["policy", "verdict", "--request"]


@pytest.mark.usefixtures("no_fork_server")
@pytest.mark.parametrize(
    ("main", "code", "message"),
    [
        (
            "import sys\nsys.stderr.write('error: Pulumi.dev.yaml: bad\\n')\nsys.exit(2)\n",
            2,
            "the base's policy gate: Pulumi.dev.yaml: bad",
        ),
        ("import os\nos.kill(os.getpid(), 9)\n", -9, "the base's policy gate: killed by SIGKILL"),
    ],
)
def test_without_a_fork_server_exits_are_reported_alike(
    tmp_path: Path, main: str, code: int, message: str
) -> None:
    outcome, _ = judge(tmp_path, code_root(tmp_path, main))
    assert outcome.returncode == code
    assert message in outcome.message


def test_a_spawned_child_that_cannot_start_reports_why(tmp_path: Path) -> None:
    child = SpawnServer(str(tmp_path / "no-python")).start(
        ["preview"], cwd=tmp_path, path=[], pythonpath=""
    )
    assert child.communicate(5) == (None, "")
    assert child.pid is None
    assert child.error.startswith("could not start a child: [Errno 2]")


def test_fork_hazards() -> None:
    # This test process has aksflow loaded: it must never fork a revision's child.
    assert "aksflow" in (fork_hazard([]) or "")
    assert revision_modules(["aksflow.cli", "infra.program", "policies", "pulumi", "yaml"]) == [
        "aksflow.cli",
        "infra.program",
        "policies",
    ]


def test_shadowed_names_a_path_entry_that_provides_a_loaded_module(tmp_path: Path) -> None:
    (tmp_path / "yaml").mkdir()
    (tmp_path / "grpc.py").write_text("")
    (tmp_path / "docs").mkdir()
    assert shadowed([str(tmp_path), str(tmp_path / "missing")], {"yaml", "grpc", "click"}) == [
        f"{tmp_path}/grpc.py",
        f"{tmp_path}/yaml",
    ]


def test_the_floor_is_third_party_only() -> None:
    assert revision_modules(FLOOR) == []


def test_every_floor_module_is_one_a_preview_and_a_gate_load(project_copy: Path) -> None:
    """No dead weight: the fork server imports nothing the children would not import anyway."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from aksflow.cli import main\n"
        "import aksflow.policy.trusted\n"
        "from aksflow.preview import run_preview\n"
        f"run_preview(Path({str(project_copy)!r}), ['dev'], Path({str(project_copy / 'out')!r}),"
        " jobs=1)\n"
        "print('\\n'.join(sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    loaded = set(done.stdout.split())
    assert [name for name in FLOOR if name not in loaded] == []
