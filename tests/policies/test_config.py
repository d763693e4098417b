"""Config reconciliation like the Pulumi CLI, and the per-environment levels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aksflow.errors import ConfigError
from aksflow.policy.config import pss_overrides, read_config_file, reconcile
from aksflow.policy.loader import load_pack

from .conftest import CONFIGS, PACK

LEVEL_RANK = {"disabled": 0, "advisory": 1, "mandatory": 2}


@pytest.fixture(scope="module")
def pack():  # type: ignore[no-untyped-def]
    return load_pack(PACK)


def _settings(pack, env: str):  # type: ignore[no-untyped-def]
    path = CONFIGS / f"{env}.json"
    return reconcile(pack, read_config_file(path), source=str(path))


def test_every_env_file_sets_every_policy_level_explicitly(pack) -> None:  # type: ignore[no-untyped-def]
    names = {p.name for p in pack.policies}
    for env in ("dev", "staging", "prod"):
        raw = json.loads((CONFIGS / f"{env}.json").read_text())
        assert set(raw) == names
        assert all(raw[n]["enforcementLevel"] in LEVEL_RANK for n in names)


def test_prod_is_strictest(pack) -> None:  # type: ignore[no-untyped-def]
    dev, staging, prod = (_settings(pack, e) for e in ("dev", "staging", "prod"))
    for name in dev:
        assert (
            LEVEL_RANK[dev[name].level]
            <= LEVEL_RANK[staging[name].level]
            <= LEVEL_RANK[prod[name].level]
        ), name
    assert prod["pss-privileged"].properties["level"] == "restricted"
    assert dev["pss-privileged"].properties["level"] == "baseline"
    assert prod["aks-host-encryption"].properties["required"] is True
    assert all(prod[n].level == "mandatory" for n in prod if n.startswith(("pss-", "aks-")))


def test_missing_level_falls_back_to_policy_default_not_advisory(pack) -> None:  # type: ignore[no-untyped-def]
    s = reconcile(pack, {"pss-privileged": {"level": "baseline"}}, source="x.json")
    assert s["pss-privileged"].level == "mandatory"  # Tier 1 default, not silently advisory
    assert s["pss-privileged"].properties == {
        "level": "baseline",
        "version": "v1.37",
        "exemptImages": [],
    }
    assert s["k8s-probes"].level == "advisory"


def test_all_key_then_per_policy(pack) -> None:  # type: ignore[no-untyped-def]
    s = reconcile(pack, {"all": "disabled", "k8s-probes": "mandatory"}, source="x.json")
    assert s["k8s-probes"].level == "mandatory" and s["pss-privileged"].level == "disabled"


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"no-such-policy": "mandatory"}, "unknown policy id"),
        ({"pss-privileged": "fatal"}, "enforcement level"),
        ({"pss-privileged": {"level": "strict"}}, "pss-privileged.*level"),
        ({"pss-privileged": {"levl": "baseline"}}, "pss-privileged"),
        ({"aks-availability-zones": {"minZones": "three"}}, "minZones"),
        ({"k8s-probes": 3}, "k8s-probes"),
    ],
)
def test_bad_config_errors_name_file_and_policy(pack, raw, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=match) as err:
        reconcile(pack, raw, source="policies/config/prod.json")
    assert "policies/config/prod.json" in str(err.value)


def test_pss_level_override(pack) -> None:  # type: ignore[no-untyped-def]
    path = CONFIGS / "dev.json"
    s = reconcile(
        pack, read_config_file(path), source=str(path), overrides=pss_overrides(pack, "restricted")
    )
    assert s["pss-run-as-non-root"].properties["level"] == "restricted"
    with pytest.raises(ConfigError):
        pss_overrides(pack, "privileged")


def test_config_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        read_config_file(tmp_path / "missing.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(ConfigError, match="JSON object"):
        read_config_file(tmp_path / "list.json")


def test_policies_readme_lists_every_policy_at_its_configured_levels(pack) -> None:  # type: ignore[no-untyped-def]
    rows = {}
    for line in (PACK / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 7:
            rows[cells[0].split("`")[1]] = tuple(cells[3:6])
    configured = {
        env: json.loads((CONFIGS / f"{env}.json").read_text()) for env in ("dev", "staging", "prod")
    }
    assert set(rows) == {p.name for p in pack.policies}
    for name, levels in rows.items():
        assert levels == tuple(configured[e][name]["enforcementLevel"] for e in configured), name
