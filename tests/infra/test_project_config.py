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
    for name in (
        "Pulumi.yaml",
        "Pulumi.dev.yaml",
        "Pulumi.prod.yaml",
        "Pulumi.staging.yaml",
        "environments.yaml",
    ):
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
    with pytest.raises(
        ConfigError, match=r"^Pulumi.dev.yaml:3: config.aksflow:skuTier\[1\]: invalid YAML"
    ):
        load_stack_config(load_project(project), "dev")


def test_wrong_type_names_file_and_key(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aksflow:environment: dev\n  aksflow:systemPoolMinCount: three\n"
    )
    with pytest.raises(
        ConfigError,
        match=r"^Pulumi.dev.yaml: aksflow:systemPoolMinCount: must be of type integer "
        r"\(got string\)\naksflow:systemPoolMinCount: Autoscaler minimum",
    ):
        load_stack_config(load_project(project), "dev")


def test_wrong_item_type(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aksflow:environment: dev\n  aksflow:authorizedIpRanges:\n    - {name: a}\n"
    )
    with pytest.raises(
        ConfigError,
        match=r"aksflow:authorizedIpRanges\[0\]: must be of type string \(got object\)",
    ):
        load_stack_config(load_project(project), "dev")


def test_the_old_node_pool_string_is_a_type_error_that_shows_the_object_form(
    project: Path,
) -> None:
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aksflow:environment: dev\n  aksflow:nodePools:\n"
        "    - npuser01 vmSize=Standard_D4ds_v5 minCount=2\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_stack_config(load_project(project), "dev")
    headline, detail = str(caught.value).split("\n", 1)
    assert headline == (
        "Pulumi.dev.yaml: aksflow:nodePools[0]: must be of type object (got string)"
    )
    assert "name: npuser01, vmSize: Standard_D4ds_v5" in detail


def test_a_stack_without_an_environment_is_an_error(project: Path) -> None:
    """No default in Pulumi.yaml: Pulumi itself refuses such a stack ("missing configuration")."""
    (project / "Pulumi.dev.yaml").write_text("config:\n  aksflow:skuTier: Free\n")
    with pytest.raises(ConfigError, match=r"^Pulumi.dev.yaml: aksflow:environment: missing"):
        load_stack_config(load_project(project), "dev")


def test_a_secure_environment_is_refused_without_echo(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aksflow:environment:\n    secure: v1:c2VjcmV0\n"
    )
    with pytest.raises(ConfigError, match=r"must be plain text") as caught:
        load_stack_config(load_project(project), "dev")
    assert "c2VjcmV0" not in str(caught.value)


def test_undeclared_key_is_rejected(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aksflow:environment: dev\n  aksflow:skuTeir: Free\n"
    )
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
        "config:\n  aksflow:environment: dev\n"
        "  aksflow:location:\n    secure: v1:c2VjcmV0Y2lwaGVydGV4dA==\n"
    )
    config = load_stack_config(load_project(project), "dev")
    assert config.values["aksflow:location"] == SECRET_PLACEHOLDER
    assert config.secret_keys == {"aksflow:location"}


def test_shipped_stack_files_hold_only_deltas() -> None:
    project = load_project(ROOT)
    for stack in ("dev", "staging", "prod"):
        import yaml

        deltas = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        assert deltas["aksflow:environment"] == stack  # named explicitly, never inferred
        for key, value in deltas.items():
            assert project.config[key].default != value, (
                f"Pulumi.{stack}.yaml repeats the default of {key}"
            )
