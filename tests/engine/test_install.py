"""``pulumi install`` on a fresh clone installs what the program imports, pinned by the lock.

Upstream (pulumi/pulumi): ``pkg/cmd/pulumi/install/install.go`` builds the program info from
``engine.ProjectInfoContext`` (``getPwdMain``: the program directory is ``main``);
``sdk/python/cmd/pulumi-language-python/main.go`` ``InstallDependencies`` /
``parseOptions`` (``toolchain``, ``virtualenv``); ``sdk/python/toolchain/pip.go``
``InstallDependencies`` (``python -m venv <root>/<virtualenv>``, then
``pip install -r requirements.txt`` with ``cmd.Dir`` = the program directory) and
``resolveVirtualEnvironmentPath`` (the virtualenv is relative to the project root).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import yaml

from tests.conftest import ROOT

REQUIREMENTS = ROOT / "infra" / "requirements.txt"
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split("==", 1)
            pins[_canonical(name)] = version.strip()
    return pins


def _requirements() -> tuple[list[str], list[str]]:
    """(names, option lines) of infra/requirements.txt."""
    names, options = [], []
    for raw in REQUIREMENTS.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-"):
            options.append(line)
            continue
        match = _NAME.match(line)
        assert match, line
        names.append(match.group(1))
    return names, options


def test_requirements_are_where_the_pip_toolchain_looks() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["runtime"]["options"] == {"toolchain": "pip", "virtualenv": ".venv"}
    main = ROOT / project["main"]
    assert main.is_dir() and main / "requirements.txt" == REQUIREMENTS
    assert REQUIREMENTS.is_file()
    # No second list of versions: a root requirements.txt would be ignored by `pulumi install`.
    assert not (ROOT / "requirements.txt").exists()


def test_versions_come_from_the_lock_alone() -> None:
    names, options = _requirements()
    assert options == ["-c ../requirements.lock"]  # pip resolves it beside this file
    assert (REQUIREMENTS.parent / "../requirements.lock").resolve() == ROOT / "requirements.lock"
    lock = _lock()
    for name in names:
        assert not re.search(r"[=<>~!]", name), f"{name}: pin it in pyproject.toml, not here"
        assert _canonical(name) in lock, f"{name} is not in requirements.lock"
        # The venv make builds from the lock has the same version pulumi install would get.
        assert metadata.version(name) == lock[_canonical(name)], name


def _closure(names: list[str]) -> set[str]:
    """The distributions ``names`` install, following their requirements (extras ignored)."""
    seen: set[str] = set()
    todo = [_canonical(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for requirement in metadata.requires(name) or []:
            if "extra ==" in requirement:
                continue
            match = _NAME.match(requirement)
            if match:
                todo.append(_canonical(match.group(1)))
    return seen


IMPORTED = """
import importlib.metadata as md, json, sys
before = set(sys.modules)
sys.path.insert(0, sys.argv[1])
import infra.program
dists = md.packages_distributions()
names = {m.split(".")[0] for m in set(sys.modules) - before}
print(json.dumps(sorted({d for n in names for d in dists.get(n, [])})))
"""


def test_every_distribution_the_program_imports_is_installed_by_it() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORTED, str(ROOT)], capture_output=True, text=True, check=True
    )
    imported = {_canonical(d) for d in json.loads(result.stdout)} - {"aksflow"}
    assert {"pulumi", "pulumi-azure-native", "pulumi-kubernetes"} <= imported
    names, _ = _requirements()
    missing = imported - _closure(names)
    assert not missing, f"infra/requirements.txt does not install {sorted(missing)}"


def test_the_program_finds_aksflow_in_the_checkout_it_runs_from() -> None:
    entry = (ROOT / "infra" / "__main__.py").read_text()
    assert "sys.path.insert(0, str(Path(__file__).resolve().parent.parent))" in entry
    assert Path(ROOT / "aksflow" / "__init__.py").is_file()
