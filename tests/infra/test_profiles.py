"""The three config layers through the CLI: base defaults <- environment profile <- stack file.

The program merges them (infra/config.py); Pulumi.yaml declares no default, since the CLI merges
declared defaults before the program runs (pulumi pkg/workspace/config.go ``mergeConfig``) and a
profile could then never apply.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aksflow.cli import main
from aksflow.environments import ENVIRONMENTS_FILE, parse
from aksflow.errors import ConfigError, ProjectError
from aksflow.profiles import base_defaults
from infra.defaults import BASE

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
DEV_NEU = "config:\n  aksflow:environment: dev\n  aksflow:vnetAddressSpace: 10.11.0.0/16\n"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def preview(project: Path, out: Path, stack: str) -> tuple[int, str]:
    code, _, err = invoke(
        "preview", "--project-dir", str(project), "--stack", stack, "--out", str(out), "--quiet"
    )
    return code, err


def inputs(out: Path, stack: str, type_token: str) -> list[dict[str, Any]]:
    state = json.loads((out / stack / "state.json").read_text())
    return [r["inputs"] for r in state["deployment"]["resources"] if r["type"] == type_token]


def test_a_second_dev_stack_with_only_its_vnet_previews_dev_shaped(
    project_copy: Path, tmp_path: Path
) -> None:
    (project_copy / "Pulumi.dev-neu.yaml").write_text(DEV_NEU)
    code, err = preview(project_copy, tmp_path / "out", "dev-neu")
    assert code == 0, err
    (cluster,) = inputs(tmp_path / "out", "dev-neu", CLUSTER)
    assert cluster["sku"]["tier"] == "Free"
    assert cluster["apiServerAccessProfile"]["enablePrivateCluster"] is False
    assert cluster["agentPoolProfiles"][0]["vmSize"] == "Standard_D2ds_v5"
    (pool,) = inputs(tmp_path / "out", "dev-neu", POOL)
    assert (pool["vmSize"], pool["minCount"], pool["maxCount"]) == ("Standard_D2ds_v5", 1, 3)
    # The same cluster as the shipped dev stack, but for its own names and address space.
    code, err = preview(project_copy, tmp_path / "dev", "dev")
    assert code == 0, err
    (dev,) = inputs(tmp_path / "dev", "dev", CLUSTER)
    assert dev["sku"] == cluster["sku"]
    assert dev["agentPoolProfiles"][0]["vmSize"] == cluster["agentPoolProfiles"][0]["vmSize"]
    # ... and it is listed in dev's place in the promotion order, in westeurope (the base).
    code, out, err = invoke("stacks", "--json", "--project-dir", str(project_copy))
    assert code == 0, err
    listed = [(s["stack"], s["environment"], s["location"]) for s in json.loads(out)]
    assert listed[:2] == [("dev", "dev", "westeurope"), ("dev-neu", "dev", "westeurope")]


def test_a_stack_value_equal_to_the_base_default_still_overrides_the_profile(
    project_copy: Path, tmp_path: Path
) -> None:
    """What a Pulumi.yaml default could not express: set, to the same value as the base."""
    assert BASE["aksflow:skuTier"] == "Standard"
    (project_copy / "Pulumi.dev-neu.yaml").write_text(DEV_NEU + "  aksflow:skuTier: Standard\n")
    code, err = preview(project_copy, tmp_path / "out", "dev-neu")
    assert code == 0, err
    (cluster,) = inputs(tmp_path / "out", "dev-neu", CLUSTER)
    assert cluster["sku"]["tier"] == "Standard"
    assert cluster["agentPoolProfiles"][0]["vmSize"] == "Standard_D2ds_v5"  # the rest is dev's


def test_a_stack_list_replaces_the_profile_list_whole(project_copy: Path, tmp_path: Path) -> None:
    (project_copy / "Pulumi.dev-neu.yaml").write_text(
        DEV_NEU + "  aksflow:nodePools:\n    - {name: npweb01, vmSize: Standard_D4ds_v5}\n"
    )
    code, err = preview(project_copy, tmp_path / "out", "dev-neu")
    assert code == 0, err
    (pool,) = inputs(tmp_path / "out", "dev-neu", POOL)
    assert (pool["agentPoolName"], pool["vmSize"]) == ("npweb01", "Standard_D4ds_v5")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("old", "new", "headline"),
    [
        (
            "aksflow:skuTier: Free",
            "aksflow:skuTier: Gratis",
            "environments[0].config.aksflow:skuTier: must be one of Free, Standard, Premium "
            "(got 'Gratis')",
        ),
        (
            "          minCount: 1\n          maxCount: 3\n",
            "          minCount: 4\n          maxCount: 3\n",
            "environments[0].config.aksflow:nodePools[0].maxCount: must be >= minCount (4)",
        ),
        (
            "aksflow:systemPoolMaxCount: 2",
            "aksflow:systemPoolMaxCount: 0",
            "environments[0].config.aksflow:systemPoolMaxCount: must be between 1 and 100",
        ),
        (
            "aksflow:skuTier: Free",
            "aksflow:skuTeir: Free",
            "environments[0].config.aksflow:skuTeir: not a setting of this program "
            "(did you mean aksflow:skuTier?",
        ),
        (
            "aksflow:skuTier: Free",
            "azure-native:location: westus",
            "environments[0].config.azure-native:location: a profile holds only aksflow:* settings",
        ),
    ],
    ids=["value", "pool-field", "range", "unknown-key", "provider-key"],
)
def test_a_bad_profile_value_names_environments_yaml_and_its_key(
    project_copy: Path, tmp_path: Path, old: str, new: str, headline: str
) -> None:
    _edit(project_copy / ENVIRONMENTS_FILE, old, new)
    code, err = preview(project_copy, tmp_path / "out", "dev")
    assert code == 2
    first = err.strip().splitlines()[0]
    assert first.startswith(f"error: {ENVIRONMENTS_FILE}: {headline}"), err
    assert "Pulumi.dev.yaml" not in first


def test_a_bad_profile_fails_every_stack_of_its_environment_even_one_overriding_it(
    project_copy: Path, tmp_path: Path
) -> None:
    """Fail closed: a profile must hold over the base by itself, whatever a stack sets."""
    _edit(project_copy / ENVIRONMENTS_FILE, "aksflow:skuTier: Free", "aksflow:skuTier: Gratis")
    (project_copy / "Pulumi.dev-neu.yaml").write_text(DEV_NEU + "  aksflow:skuTier: Free\n")
    code, err = preview(project_copy, tmp_path / "out", "dev-neu")
    assert code == 2
    assert f"{ENVIRONMENTS_FILE}: environments[0].config.aksflow:skuTier" in err


def test_a_stack_value_clashing_with_the_profile_names_the_stack_and_where_the_other_is(
    project_copy: Path, tmp_path: Path
) -> None:
    (project_copy / "Pulumi.dev-neu.yaml").write_text(DEV_NEU + "  aksflow:systemPoolMinCount: 3\n")
    code, err = preview(project_copy, tmp_path / "out", "dev-neu")
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[0] == (
        "error: Pulumi.dev-neu.yaml: aksflow:systemPoolMaxCount: must be >= systemPoolMinCount (3)"
    )
    assert (
        "aksflow:systemPoolMaxCount comes from the dev profile (environments.yaml: "
        "environments[0].config); set it in Pulumi.dev-neu.yaml to change it for this stack only"
    ) in err


def test_a_misspelt_stack_key_is_an_error_with_a_suggestion(
    project_copy: Path, tmp_path: Path
) -> None:
    """The CLI does not check undeclared keys (mergeConfig), so the program does."""
    (project_copy / "Pulumi.dev-neu.yaml").write_text(DEV_NEU + "  aksflow:skuTeir: Standard\n")
    code, err = preview(project_copy, tmp_path / "out", "dev-neu")
    assert code == 2
    assert err.strip().splitlines()[0] == (
        "error: Pulumi.dev-neu.yaml: aksflow:skuTeir: not a setting of this program (did you "
        "mean aksflow:skuTier? every setting and its base value is listed in infra/defaults.py)"
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ([1], "environments[0].config: must be a mapping of stack-config keys"),
        ({"skuTier": "Free"}, "environments[0].config.skuTier: must be a namespaced"),
        ({"aksflow:environment": "a"}, "environments[0].config.aksflow:environment: a profile"),
        ({"aksflow:skuTier": None}, "environments[0].config.aksflow:skuTier: has no value"),
        (
            {"aksflow:skuTier": {"secure": "v1:AAA"}},
            "environments[0].config.aksflow:skuTier: a secret belongs in a stack file",
        ),
    ],
)
def test_the_shape_of_a_profile_is_checked_with_the_environments(
    config: object, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(Path(ENVIRONMENTS_FILE), {"environments": [{"name": "a", "config": config}]})
    assert str(caught.value).startswith(f"{ENVIRONMENTS_FILE}: {message}")
    assert "v1:AAA" not in str(caught.value)


def test_the_tool_reads_the_programs_base_without_running_it() -> None:
    assert base_defaults(ROOT / "infra") == BASE
    assert base_defaults(ROOT / "nowhere") == {}


def test_a_main_entry_file_has_its_folder_as_the_programs(tmp_path: Path) -> None:
    """``main: infra/__main__.py`` runs from infra/ (getPwdMain): its base is infra/defaults.py."""
    program = tmp_path / "infra"
    program.mkdir()
    (program / "__main__.py").write_text("")
    (program / "defaults.py").write_text('BASE = {"aksflow:location": "northeurope"}\n')
    assert base_defaults(program / "__main__.py") == {"aksflow:location": "northeurope"}
    assert base_defaults(program) == {"aksflow:location": "northeurope"}


def test_the_tool_reads_only_a_literal_base(tmp_path: Path) -> None:
    (tmp_path / "defaults.py").write_text("BASE: dict = {'aksflow:x': [1, True]}\n")
    assert base_defaults(tmp_path) == {"aksflow:x": [1, True]}


@pytest.mark.parametrize(
    "source",
    [
        "import os\nBASE = {'aksflow:x': os.getcwd()}\n",  # not a literal: never executed
        "OTHER = {}\n",  # no BASE at all
        "BASE = [1]\n",  # not a dict
        "BASE = {1: 2}\n",  # not string keys
        "BASE = {\n",  # not Python
    ],
)
def test_a_base_the_tool_cannot_read_is_an_error_not_a_guess(tmp_path: Path, source: str) -> None:
    (tmp_path / "defaults.py").write_text(source)
    with pytest.raises(ProjectError) as caught:
        base_defaults(tmp_path)
    assert str(caught.value).startswith(f"{(tmp_path / 'defaults.py').resolve()}:")
    assert "BASE" in str(caught.value).splitlines()[0]


def test_a_violation_of_a_profile_value_points_at_its_line_in_environments_yaml(
    project_copy: Path, tmp_path: Path
) -> None:
    """locate: the value comes from the prod profile, so the fix is there (or in the stack)."""
    envs = project_copy / ENVIRONMENTS_FILE
    _edit(
        envs,
        "        - name: npuser01\n          vmSize: Standard_D4ds_v5\n          minCount: 3\n",
        '        - name: npuser01\n          vmSize: Standard_D4ds_v5\n          zones: ["1"]\n'
        "          minCount: 3\n",
    )
    line = envs.read_text().splitlines().index('          zones: ["1"]') + 1
    code, err = preview(project_copy, tmp_path / "out", "prod")
    assert code in (0, 1), err
    report = json.loads((tmp_path / "out" / "prod" / "policy.json").read_text())
    zonal = [v for v in report["violations"] if v["file"] == ENVIRONMENTS_FILE]
    assert zonal and all(v["line"] == line for v in zonal)
    assert zonal[0]["hint"] == (
        "change `aksflow:nodePools[0].zones` in the prod profile in environments.yaml "
        "(every prod stack), or set it in Pulumi.prod.yaml"
    )


def test_a_pulumi_yaml_default_for_a_setting_is_refused(project_copy: Path, tmp_path: Path) -> None:
    """It would be merged before the program runs (mergeConfig) and beat every profile."""
    project_file = project_copy / "Pulumi.yaml"
    original = project_file.read_text()
    project_file.write_text(original + "  aksflow:skuTier:\n    type: string\n    default: Free\n")
    code, err = preview(project_copy, tmp_path / "out", "prod")
    assert code == 2
    assert (
        err.strip()
        .splitlines()[0]
        .startswith(
            "error: Pulumi.yaml: config.aksflow:skuTier.default: the CLI merges it into every stack"
        )
    )
    # Declared without a default, a setting is merely required of every stack.
    project_file.write_text(original + "  aksflow:location:\n    type: string\n")
    code, err = preview(project_copy, tmp_path / "out", "prod")
    assert code == 2 and "Pulumi.prod.yaml: aksflow:location: missing" in err
    (project_copy / "Pulumi.prod.yaml").write_text(
        (project_copy / "Pulumi.prod.yaml").read_text() + "  aksflow:location: westeurope\n"
    )
    code, err = preview(project_copy, tmp_path / "out", "prod")
    assert code == 0, err


@pytest.mark.parametrize(
    ("declaration", "where"),
    [
        # Shorthand: pulumi sdk/go/common/workspace/project.go RewriteShorthandConfigValues
        # makes a bare value of the project's namespace the declaration's default.
        ("  aksflow:skuTier: Free\n", "config.aksflow:skuTier:"),
        ("  skuTier: Free\n", "config.skuTier:"),
        ("  aksflow:availabilityZones: []\n", "config.aksflow:availabilityZones:"),
        ("  aksflow:skuTier:\n    default: Free\n", "config.aksflow:skuTier.default:"),
        # pkg/workspace/config.go mergeConfig applies `value:` just as it applies `default:`.
        ("  aksflow:skuTier:\n    value: Free\n", "config.aksflow:skuTier.value:"),
    ],
)
def test_every_form_of_a_pulumi_yaml_default_for_a_setting_is_refused(
    tmp_path: Path, declaration: str, where: str
) -> None:
    from infra.config import StackConfigError, check_project_declarations

    (tmp_path / "Pulumi.yaml").write_text(
        (ROOT / "Pulumi.yaml").read_text().split("\nconfig:\n")[0] + "\nconfig:\n" + declaration
    )
    with pytest.raises(StackConfigError) as caught:
        check_project_declarations(tmp_path)
    assert str(caught.value).startswith(f"Pulumi.yaml: {where} the CLI merges it into every stack")


def test_a_pulumi_yaml_default_environment_is_refused(project_copy: Path, tmp_path: Path) -> None:
    """A default would give every stack that forgets its environment this one's profile and
    gates; the shipped Pulumi.yaml declares it without one on purpose."""
    project_file = project_copy / "Pulumi.yaml"
    project_file.write_text(project_file.read_text() + "    default: dev\n")
    code, err = preview(project_copy, tmp_path / "out", "prod")
    assert code == 2
    assert err.startswith(
        "error: Pulumi.yaml: config.aksflow:environment.default: the CLI merges it into every "
        "stack that does not name its environment"
    )


def test_the_base_alone_is_the_secure_production_shape() -> None:
    """An environment without a profile gets the base: private, zonal, Standard, Defender on."""
    from infra.config import load

    envs = parse(Path(ENVIRONMENTS_FILE), {"environments": [{"name": "qa"}]})
    cfg = load("qa", {"aksflow:environment": "qa"}, environments=envs)
    assert cfg.private_cluster and cfg.authorized_ip_ranges == ()
    assert cfg.disable_run_command and cfg.defender
    assert cfg.sku_tier == "Standard"
    assert cfg.availability_zones == ("1", "2", "3")
    assert all(pool.zones == ("1", "2", "3") for pool in cfg.user_pools)
    assert cfg.system_pool.min_count >= 3 and cfg.system_pool.os_disk_type == "Ephemeral"
    assert cfg.log_retention_days >= 90
