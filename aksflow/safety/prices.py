"""The shipped price table (``data/prices.json``) and the AKS release calendar
(``data/aks_versions.json``): data with their source and date, loaded and checked once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from aksflow.errors import AksflowError


@dataclass(frozen=True)
class VmSize:
    """Facts and hourly prices of one VM size."""

    name: str
    family: str
    vcpus: int
    memory_gib: float
    gpus: int
    hourly: float
    spot_hourly: float


@dataclass(frozen=True)
class PriceTable:
    """Prices of one region in one currency."""

    region: str
    currency: str
    source: str
    date: str
    refreshed: bool
    hours_per_month: float
    vm_sizes: Mapping[str, VmSize]
    tier_hourly: Mapping[str, float]
    defender_per_vcore_month: float
    log_free_retention_days: int
    log_retention_per_gb_month: float

    def provenance(self) -> dict[str, Any]:
        """Where the figures come from, for reports."""
        return {
            "region": self.region,
            "currency": self.currency,
            "source": self.source,
            "date": self.date,
            "refreshed": self.refreshed,
        }


def _data(name: str) -> dict[str, Any]:
    text = resources.files("aksflow.safety").joinpath("data", name).read_text(encoding="utf-8")
    doc = json.loads(text)
    if not isinstance(doc, dict):
        raise AksflowError(f"aksflow/safety/data/{name}: must be a JSON object")
    return doc


def parse_prices(doc: Mapping[str, Any], where: str = "prices.json") -> PriceTable:
    """A :class:`PriceTable` from the JSON document; AksflowError naming the bad key."""
    try:
        sizes = {
            name: VmSize(
                name=name,
                family=str(row["family"]),
                vcpus=int(row["vcpus"]),
                memory_gib=float(row["memoryGiB"]),
                gpus=int(row.get("gpus", 0)),
                hourly=float(row["hourly"]),
                spot_hourly=float(row.get("spotHourly", row["hourly"])),
            )
            for name, row in doc["vmSizes"].items()
        }
        logs = doc["logAnalytics"]
        return PriceTable(
            region=str(doc["region"]),
            currency=str(doc["currency"]),
            source=str(doc["source"]),
            date=str(doc["date"]),
            refreshed=bool(doc.get("refreshed", False)),
            hours_per_month=float(doc.get("hoursPerMonth", 730)),
            vm_sizes=sizes,
            tier_hourly={str(k): float(v) for k, v in doc["clusterTierHourly"].items()},
            defender_per_vcore_month=float(doc["defenderPerVcoreMonthly"]),
            log_free_retention_days=int(logs["freeRetentionDays"]),
            log_retention_per_gb_month=float(logs["retentionPerGbMonth"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AksflowError(f"{where}: malformed price table: {exc!r}") from None


@cache
def price_table() -> PriceTable:
    """The shipped price table."""
    return parse_prices(_data("prices.json"), "aksflow/safety/data/prices.json")


@dataclass(frozen=True)
class Release:
    """One Kubernetes minor on AKS (months as ``YYYY-MM``)."""

    minor: str
    preview: str
    ga: str
    end_of_life: str


@dataclass(frozen=True)
class ReleaseCalendar:
    """AKS's release calendar with its source and date."""

    source: str
    source_date: str
    releases: Mapping[str, Release]

    def provenance(self) -> dict[str, str]:
        return {"source": self.source, "date": self.source_date}


@cache
def release_calendar() -> ReleaseCalendar:
    """The shipped AKS release calendar."""
    doc = _data("aks_versions.json")
    try:
        releases = {
            minor: Release(minor, str(row["preview"]), str(row["ga"]), str(row["endOfLife"]))
            for minor, row in doc["versions"].items()
        }
        return ReleaseCalendar(str(doc["source"]), str(doc["sourceDate"]), releases)
    except (KeyError, TypeError, AttributeError) as exc:
        raise AksflowError(f"aksflow/safety/data/aks_versions.json: malformed: {exc!r}") from None
