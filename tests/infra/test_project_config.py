"""What the CLI checks before a program runs: stack files, declared types, secure values."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aksflow.errors import ConfigError, ProjectError
from aksflow.project import SECRET_PLACEHOLDER, load_project, load_stack_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_unknown_stack_lists_the_known_ones(project: Path) -> None:
    with pytest.raises(
        ProjectError,
        match=r"unknown stack 'nope': Pulumi.nope.yaml not found \(known stacks: dev, prod, staging\)",
    ):
        load_stack_config(load_project(project), "nope")


def test_malformed_yaml_names_file_and_line(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text("config:\n  aksflow:skuTier: [Free\n")
    with pytest.raises(ConfigError, match=r"^Pulumi.dev.yaml: malformed YAML \(line 3"):
        load_stack_config(load_project(project), "dev")


def test_wrong_type_names_file_and_key(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text("config:\n  aksflow:systemPoolMinCount: three\n")
    with pytest.raises(
        ConfigError,
        match=r"^Pulumi.dev.yaml: aksflow:systemPoolMinCount: must be of type integer \(got string\)$",
    ):
        load_stack_config(load_project(project), "dev")


def test_wrong_item_type(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text("config:\n  aksflow:nodePools:\n    - {name: a}\n")
    with pytest.raises(
        ConfigError, match=r"aksflow:nodePools\[0\]: must be of type string \(got object\)"
    ):
        load_stack_config(load_project(project), "dev")


def test_undeclared_key_is_rejected(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text("config:\n  aksflow:skuTeir: Free\n")
    with pytest.raises(ConfigError, match=r"aksflow:skuTeir: not declared in Pulumi\.yaml"):
        load_stack_config(load_project(project), "dev")


def test_config_must_be_a_mapping(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text("config: [1, 2]\n")
    with pytest.raises(ConfigError, match=r"Pulumi\.dev\.yaml: config: must be a mapping"):
        load_stack_config(load_project(project), "dev")


def test_defaults_fill_unset_keys_and_deltas_override(project: Path) -> None:
    config = load_stack_config(load_project(project), "dev")
    assert config.values["aksflow:skuTier"] == "Free"  # the delta
    assert config.values["aksflow:location"] == "westeurope"  # the default
    assert config.values["aksflow:availabilityZones"] == "[]"  # JSON, as Pulumi encodes it


def test_secure_values_become_secret_placeholders(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aksflow:location:\n    secure: v1:c2VjcmV0Y2lwaGVydGV4dA==\n"
    )
    config = load_stack_config(load_project(project), "dev")
    assert config.values["aksflow:location"] == SECRET_PLACEHOLDER
    assert config.secret_keys == {"aksflow:location"}


def test_shipped_stack_files_hold_only_deltas() -> None:
    project = load_project(ROOT)
    for stack in ("dev", "staging", "prod"):
        import yaml

        deltas = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        for key, value in deltas.items():
            assert project.config[key].default != value, (
                f"Pulumi.{stack}.yaml repeats the default of {key}"
            )
