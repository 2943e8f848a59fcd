"""Commissioners' downloads (homes, concentration, the gap as CSV and Excel) and owner groups counted
under one name whatever the provider called it."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from rcc.db import transaction
from rcc.db.models import Provider
from tests.api.helpers import home_body


def _home(client, world, provider_id: int, postcode: str, places: int) -> int:
    body = home_body(provider_id, urn=None, postcode=postcode, registered_places=places, name=f"H{postcode}")
    r = client.post("/api/v1/homes", json=body, headers=world.h("admin"))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_council_providers_count_as_one_owner_group(client, world, factory):
    with transaction(factory) as s:
        council = Provider(name="Middlesbrough Council homes", sector="local_authority",
                           owner_group="Middlesbrough Borough Council")  # fmt: skip
        fostering = Provider(
            name="Middlesbrough fostering", sector="local_authority", owner_group="Middlesbrough"
        )
        s.add_all([council, fostering])
        s.flush()
        ids = (council.id, fostering.id)
    _home(client, world, ids[0], "TS1 1", 3)
    _home(client, world, ids[1], "TS1 2", 2)
    r = client.get(
        "/api/v1/commissioning/concentration", params={"rcc": world.rcc_id}, headers=world.h("commissioner")
    )
    assert r.status_code == 200, r.text
    rcc_all = next(a for a in r.json()["areas"] if a["area_code"] == "rcc" and a["category"] == "all")
    groups = {g["owner_group"]: g["places"] for g in rcc_all["top_groups"]}
    assert groups.get("Middlesbrough") == 5 and "Middlesbrough Borough Council" not in groups


def test_homes_and_concentration_as_csv_and_excel(client, world):
    _home(client, world, world.provider_a, "NE1 4", 4)
    _home(client, world, world.provider_b, "TS1 1", 2)
    h = world.h("commissioner")
    r = client.get("/api/v1/commissioning/homes", params={"rcc": world.rcc_id}, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0].startswith("# homes located in")
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))
    assert sorted(int(x["registered_places"]) for x in rows) == [2, 4]
    assert {x["owner_group"] for x in rows} == {"Acme Group", "Beta Trust"}
    r = client.get("/api/v1/commissioning/homes", params={"rcc": world.rcc_id, "format": "xlsx"}, headers=h)
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    book = load_workbook(io.BytesIO(r.content))
    sheet = [list(x) for x in book["homes"].iter_rows(values_only=True)]
    assert sheet[0][0] == "home_id" and len(sheet) == 3
    r = client.get(
        "/api/v1/commissioning/concentration", params={"rcc": world.rcc_id, "format": "xlsx"}, headers=h
    )
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["concentration", "About"]
    # the gap: CSV and a workbook whose About sheet carries the headline
    r = client.get("/api/v1/sufficiency/gap", params={"rcc": world.rcc_id, "format": "xlsx"}, headers=h)
    assert r.status_code == 200, r.text
    book = load_workbook(io.BytesIO(r.content))
    about = [x[0] for x in book["About"].iter_rows(values_only=True)]
    assert about[1].startswith("No forecast")
    assert (
        client.get(
            "/api/v1/commissioning/homes", params={"rcc": world.rcc_id}, headers=world.h("provider_a")
        ).status_code
        == 403
    )
