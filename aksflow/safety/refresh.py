"""``make prices``: rewrite ``data/prices.json`` from the public Azure Retail Prices API.

Run by hand (``python -m aksflow.safety.refresh``), never by the tool or the tests: it is the one
place aksflow reaches the network outside a deploy. The API needs no credentials
(https://learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices); the
table keeps its region, currency and list of VM sizes, and every price the API answers for is
replaced. What the API does not answer for is kept and reported, never dropped.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

API = "https://prices.azure.com/api/retail/prices"
Fetch = Callable[[str, Mapping[str, str]], Mapping[str, Any]]


def _items(fetch: Fetch, currency: str, query: str) -> list[Mapping[str, Any]]:
    params = {"currencyCode": currency, "$filter": query}
    page = fetch(API, params)
    items = list(page.get("Items") or ())
    while page.get("NextPageLink"):
        page = fetch(str(page["NextPageLink"]), {})
        items += list(page.get("Items") or ())
    return items


def _linux(item: Mapping[str, Any]) -> bool:
    return "Windows" not in str(item.get("productName", "")) and item.get("type") == "Consumption"


def vm_prices(items: Iterable[Mapping[str, Any]]) -> tuple[float | None, float | None]:
    """(pay-as-you-go, Spot) hourly Linux prices of one VM size from its API items."""
    regular = spot = None
    for item in items:
        if not _linux(item) or item.get("unitOfMeasure") != "1 Hour":
            continue
        sku = str(item.get("skuName", ""))
        price = float(item.get("retailPrice", 0.0))
        if sku.endswith(" Spot"):
            spot = price
        elif not sku.endswith(" Low Priority"):
            regular = price
    return regular, spot


def refresh(doc: dict[str, Any], fetch: Fetch, today: date) -> tuple[dict[str, Any], list[str]]:
    """The refreshed table and a line per change (or per price the API did not answer)."""
    region, currency = doc["region"], doc["currency"]
    notes: list[str] = []
    for name, row in doc["vmSizes"].items():
        query = (
            f"serviceName eq 'Virtual Machines' and armRegionName eq '{region}' "
            f"and armSkuName eq '{name}'"
        )
        regular, spot = vm_prices(_items(fetch, currency, query))
        for key, value in (("hourly", regular), ("spotHourly", spot)):
            if value is None:
                notes.append(f"{name} {key}: no Linux consumption price in {region}; kept")
            elif value != row.get(key):
                notes.append(f"{name} {key}: {row.get(key)} → {value}")
                row[key] = value
    doc["date"] = today.isoformat()
    doc["refreshed"] = True
    return doc, notes


def _http_fetch(url: str, params: Mapping[str, str]) -> Mapping[str, Any]:
    import httpx

    response = httpx.get(url, params=dict(params), timeout=30.0)
    response.raise_for_status()
    body = response.json()
    return body if isinstance(body, Mapping) else {}


def main() -> int:
    """Refresh the shipped table in place and print what changed."""
    path = Path(str(resources.files("aksflow.safety").joinpath("data", "prices.json")))
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc, notes = refresh(doc, _http_fetch, date.today())
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    for line in notes or ["no price changed"]:
        print(line)
    print(f"wrote {path}: review the diff, then commit it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
