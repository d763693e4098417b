"""What the CLI checks before a program runs: stack files, declared types, secure values.

The shipped Pulumi.yaml declares only ``aksflow:environment`` (the settings' defaults are the
program's, in layers: infra/defaults.py, environments.yaml profiles, stack files), so the type
rules of the port (pulumi ``pkg/workspace/config.go``) are exercised with a project that declares
typed keys of its own.
"""

from __future__ import annotations

import re
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


TYPED_PROJECT = """\
name: aksflow
runtime: python
config:
  aksflow:environment:
    type: string
  aksflow:systemPoolMinCount:
    type: integer
    default: 3
    description: Autoscaler minimum of the System pool.
  aksflow:authorizedIpRanges:
    type: array
    items:
      type: string
    default: []
  aksflow:nodePools:
    type: array
    items:
      type: object
    default: []
    description: "User pools, one object each. Example: [{name: npuser01, vmSize: Standard_D4ds_v5}]"
  aksflow:location:
    type: string
    default: westeurope
  other:token:
    value: abc
"""


@pytest.fixture
def typed(tmp_path: Path) -> Path:
    """A project whose Pulumi.yaml declares typed keys with defaults (the port's rules)."""
    (tmp_path / "Pulumi.yaml").write_text(TYPED_PROJECT)
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aksflow:environment: dev\n")
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


def test_wrong_type_names_file_and_key(typed: Path) -> None:
    (typed / "Pulumi.dev.yaml").write_text(
        "config:\n  aksflow:environment: dev\n  aksflow:systemPoolMinCount: three\n"
    )
    with pytest.raises(
        ConfigError,
        match=r"^Pulumi.dev.yaml: aksflow:systemPoolMinCount: must be of type integer "
        r"\(got string\)\naksflow:systemPoolMinCount: Autoscaler minimum",
    ):
        load_stack_config(load_project(typed), "dev")


def test_wrong_item_type(typed: Path) -> None:
    (typed / "Pulumi.dev.yaml").write_text(
        "config:\n  aksflow:environment: dev\n  aksflow:authorizedIpRanges:\n    - {name: a}\n"
    )
    with pytest.raises(
        ConfigError,
        match=r"aksflow:authorizedIpRanges\[0\]: must be of type string \(got object\)",
    ):
        load_stack_config(load_project(typed), "dev")


def test_the_old_node_pool_string_is_a_type_error_that_shows_the_object_form(
    typed: Path,
) -> None:
    (typed / "Pulumi.dev.yaml").write_text(
        "config:\n  aksflow:environment: dev\n  aksflow:nodePools:\n"
        "    - npuser01 vmSize=Standard_D4ds_v5 minCount=2\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_stack_config(load_project(typed), "dev")
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


def test_undeclared_keys_pass_the_cli_unchecked(project: Path) -> None:
    """pkg/workspace/config.go mergeConfig walks only the declared keys: no check of others.

    The program checks its own settings' names instead (tests/infra/test_profiles.py).
    """
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aksflow:environment: dev\n  aksflow:skuTeir: Free\n  other:x: [1]\n"
    )
    config = load_stack_config(load_project(project), "dev")
    assert config.values == {
        "aksflow:environment": "dev",
        "aksflow:skuTeir": "Free",
        "other:x": "[1]",
    }


def test_a_key_of_another_namespace_has_a_value_that_a_stack_may_override(typed: Path) -> None:
    """mergeConfig applies a declared ``value:`` where the stack sets none; only keys of the
    project's own namespace can be missing configuration."""
    config = load_stack_config(load_project(typed), "dev")
    assert config.values["other:token"] == "abc"
    (typed / "Pulumi.dev.yaml").write_text(
        "config:\n  aksflow:environment: dev\n  other:token: xyz\n"
    )
    assert load_stack_config(load_project(typed), "dev").values["other:token"] == "xyz"
    (typed / "Pulumi.yaml").write_text(TYPED_PROJECT + "  aksflow:token:\n    type: string\n")
    with pytest.raises(ConfigError, match=r"^Pulumi.dev.yaml: aksflow:token: missing"):
        load_stack_config(load_project(typed), "dev")


def test_shorthand_and_untyped_declarations_read_as_the_cli_reads_them(typed: Path) -> None:
    """pulumi sdk/go/common/workspace/project.go RewriteShorthandConfigValues: a bare value is
    the default of a key of the project's namespace and the value of another's; an untyped
    declaration is not type-checked (mergeConfig checks IsExplicitlyTyped ones only)."""
    (typed / "Pulumi.yaml").write_text(
        TYPED_PROJECT
        + "  retries: 3\n"  # aksflow:retries, default 3
        + "  azure-native:location: westeurope\n"  # another namespace: its value
        + "  aksflow:tags:\n    default: [a]\n    description: untyped\n"
    )
    (typed / "Pulumi.dev.yaml").write_text(
        "config:\n  aksflow:environment: dev\n  aksflow:tags: {any: shape}\n"
    )
    project = load_project(typed)
    assert project.config["aksflow:retries"].default == 3
    assert not project.config["aksflow:tags"].type
    config = load_stack_config(project, "dev")
    assert config.values["aksflow:retries"] == "3"
    assert config.values["azure-native:location"] == "westeurope"
    assert config.values["aksflow:tags"] == '{"any": "shape"}'


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        # pulumi sdk/go/common/workspace/project.go Project.Validate, rule for rule.
        ("  aksflow:x:\n    default: 1\n    value: 2\n", "config.aksflow:x: cannot have both"),
        ("  other:x:\n    type: string\n    value: a\n", "config.other:x.type: not namespaced"),
        ("  other:x:\n    default: a\n", "config.other:x.default: not namespaced"),
        ("  other:x:\n    description: no value\n", "config.other:x.value: namespaced"),
    ],
)
def test_invalid_declarations_are_refused_as_the_cli_refuses_them(
    typed: Path, declaration: str, message: str
) -> None:
    (typed / "Pulumi.yaml").write_text(TYPED_PROJECT + declaration)
    with pytest.raises(ConfigError, match=rf"^Pulumi\.yaml: {re.escape(message)}"):
        load_project(typed)


def test_config_must_be_a_mapping(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text("config: [1, 2]\n")
    with pytest.raises(ConfigError, match=r"Pulumi\.dev\.yaml: config: must be a mapping"):
        load_stack_config(load_project(project), "dev")


def test_defaults_fill_unset_keys_and_deltas_override(typed: Path) -> None:
    (typed / "Pulumi.dev.yaml").write_text(
        "config:\n  aksflow:environment: dev\n  aksflow:location: northeurope\n"
    )
    config = load_stack_config(load_project(typed), "dev")
    assert config.values["aksflow:location"] == "northeurope"  # the delta
    assert config.values["aksflow:systemPoolMinCount"] == "3"  # the default, as Pulumi encodes it
    assert config.values["aksflow:authorizedIpRanges"] == "[]"  # JSON, as Pulumi encodes it


def test_the_shipped_stacks_get_only_their_own_values_from_the_cli(project: Path) -> None:
    """No Pulumi.yaml default reaches a stack: the profile layer stays the program's to apply."""
    config = load_stack_config(load_project(project), "dev")
    assert config.values == {
        "aksflow:environment": "dev",
        "aksflow:vnetAddressSpace": "10.10.0.0/16",
    }


def test_secure_values_become_secret_placeholders(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aksflow:environment: dev\n"
        "  aksflow:location:\n    secure: v1:c2VjcmV0Y2lwaGVydGV4dA==\n"
    )
    config = load_stack_config(load_project(project), "dev")
    assert config.values["aksflow:location"] == SECRET_PLACEHOLDER
    assert config.secret_keys == {"aksflow:location"}


def test_pulumi_yaml_declares_only_the_environment_and_no_default() -> None:
    """A declared default is merged before the program runs (mergeConfig), hiding the profile."""
    project = load_project(ROOT)
    assert list(project.config) == ["aksflow:environment"]
    assert project.config["aksflow:environment"].required


def test_shipped_stack_files_hold_only_deltas() -> None:
    """Each stack value differs from what its environment's profile over the base gives it."""
    import yaml

    from aksflow.environments import load_environments
    from infra.defaults import BASE

    envs = load_environments(ROOT)
    for stack in ("dev", "staging", "prod"):
        deltas = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        assert deltas["aksflow:environment"] == stack  # named explicitly, never inferred
        profile = envs.require(stack, stack).config
        for key, value in deltas.items():
            if key == "aksflow:environment":
                continue
            inherited = profile.get(key, BASE[key])
            assert inherited != value, f"Pulumi.{stack}.yaml repeats what {stack} gives {key}"
        for key, value in profile.items():  # and each profile only what differs from the base
            assert BASE[key] != value, f"the {stack} profile repeats the base value of {key}"
