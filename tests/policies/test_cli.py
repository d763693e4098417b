"""``aksflow policy analyze`` exit codes and formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from aksflow.errors import AksflowError, ConfigError, PolicyError
from aksflow.policy.cli import policy

from . import fixtures as fx
from .conftest import CONFIGS, PACK

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "pss"


def _run(*args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(policy, ["analyze", *args])
    return result.exit_code, result.output, result.exception


def _state_file(tmp_path: Path, state: dict[str, object]) -> str:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    return str(path)


def test_clean_state_exits_0(tmp_path: Path) -> None:
    code, out, _ = _run(
        "--state",
        _state_file(tmp_path, fx.good_state()),
        "--config",
        str(CONFIGS / "prod.json"),
        "--pack",
        str(PACK),
    )
    assert code == 0 and "5 resource(s) evaluated" in out


def test_mandatory_violation_exits_1_with_json(tmp_path: Path) -> None:
    state = fx.good_state()
    state["deployment"]["resources"][3]["inputs"]["disableLocalAccounts"] = False
    code, out, _ = _run(
        "--state",
        _state_file(tmp_path, state),
        "--config",
        str(CONFIGS / "prod.json"),
        "--pack",
        str(PACK),
        "--format",
        "json",
    )
    assert code == 1
    data = json.loads(out)
    assert (
        data["evaluated"] == 5 and data["violations"][0]["policy"] == "aks-local-accounts-disabled"
    )


def test_manifests_sarif_to_file_and_advisory_only_exits_0(tmp_path: Path) -> None:
    out_file = tmp_path / "out.sarif"
    code, _, _ = _run(
        "--manifests",
        str(CORPUS / "baseline/v1.37/pass/base.yaml"),
        "--config",
        str(CONFIGS / "dev.json"),
        "--pack",
        str(PACK),
        "--format",
        "sarif",
        "-o",
        str(out_file),
    )
    assert code == 0
    assert json.loads(out_file.read_text())["version"] == "2.1.0"


def test_pss_level_override_flips_the_result() -> None:
    args = [
        "--manifests",
        str(CORPUS / "baseline/v1.37/pass/base.yaml"),
        "--config",
        str(CONFIGS / "dev.json"),
        "--pack",
        str(PACK),
    ]
    assert _run(*args)[0] == 0
    assert _run(*args, "--pss-level", "restricted")[0] == 1


def test_stack_selects_env_config_and_pack_from_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: aksflow\nruntime: python\nconfig:\n"
        "  aksflow:environment: {type: string, default: '', description: profile}\n"
    )
    (tmp_path / "Pulumi.ci.yaml").write_text(
        yaml.safe_dump({"config": {"aksflow:environment": "prod"}})
    )
    import shutil

    shutil.copytree(PACK, tmp_path / "policies", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PACK.parent / "environments.yaml", tmp_path / "environments.yaml")
    sub = tmp_path / "deep" / "er"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    state = fx.good_state()
    state["deployment"]["resources"][3]["inputs"]["sku"]["tier"] = "Free"
    state = json.loads(json.dumps(state).replace("urn:pulumi:prod::", "urn:pulumi:ci::"))
    code, out, _ = _run("--state", _state_file(tmp_path, state), "--stack", "ci")
    assert code == 1 and "aks-sku-tier" in out  # prod config: Free tier not allowed


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--config", "x.json"], ConfigError),
        (["--state", "s.json", "--manifests", "m.yaml", "--config", "x.json"], ConfigError),
        (
            [
                "--state",
                "missing.json",
                "--config",
                str(CONFIGS / "prod.json"),
                "--pack",
                str(PACK),
            ],
            ConfigError,
        ),
        (
            ["--manifests", "nope/", "--config", str(CONFIGS / "prod.json"), "--pack", str(PACK)],
            ConfigError,
        ),
    ],
)
def test_errors_raise_aksflow_errors(args: list[str], error: type[AksflowError]) -> None:
    code, _, exc = _run(*args)
    assert isinstance(exc, error) and exc.exit_code == 2 and code != 0


def test_empty_manifest_dir_fails_closed(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("# nothing\n")
    _, _, exc = _run(
        "--manifests", str(tmp_path), "--config", str(CONFIGS / "prod.json"), "--pack", str(PACK)
    )
    assert isinstance(exc, PolicyError)


def test_api_server_ranges_whose_union_is_the_internet_exit_1(tmp_path: Path) -> None:
    state = fx.good_state()
    cluster = state["deployment"]["resources"][3]
    for doc in (cluster["inputs"], cluster["outputs"]):
        doc["apiServerAccessProfile"] = {"authorizedIPRanges": ["0.0.0.0/1", "128.0.0.0/1"]}
    code, out, _ = _run(
        "--state",
        _state_file(tmp_path, state),
        "--config",
        str(CONFIGS / "prod.json"),
        "--pack",
        str(PACK),
        "--format",
        "json",
    )
    (violation,) = json.loads(out)["violations"]
    assert code == 1 and violation["policy"] == "aks-api-server-restricted"
    assert "more than one /16" in violation["message"]
