"""``aksflow preview`` prints each stack's monthly estimate."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from aksflow.cli import main


def test_preview_prints_the_monthly_estimate(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["preview", "--stack", "prod", "--out", str(tmp_path)])
    assert result.exit_code in (0, 1), result.output
    out = result.stdout
    assert "Cost (prod):" in out and "a month at min to max node count" in out
    assert "node pool npuser01: 3-10 x Standard_D4ds_v5:" in out
    assert "AKS Standard tier (uptime SLA): 73 USD" in out
    assert "Defender for Containers:" in out
    assert "Log Analytics log-aksflow-prod: 90-day retention:" in out
