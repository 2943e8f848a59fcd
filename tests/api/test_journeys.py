"""Every user's journey, through the API, on the demo region with the keys the demo prints.

- the placement officer: a child, a referral, a shortlist, an offer, a placement;
- the provider: sees the offers addressed to it and a non-identifying profile of the child (audited),
  accepts one, declines another; the LA withdraws a third; each is an event delivered to a webhook;
- the commissioner: the gap, covering every member LA (each has returns from the demo's simulated
  population up to the demo's date), and a headline that says so;
- the LA data officer: a rejected return (their LA's latest return with one bad row; recorded, with
  the errors and the file hash, no rows), then the same return accepted with ``quarantine=true``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from tests.api.helpers import child_body
from tests.conftest import DATA_DIR, PG_URL
from tests.support.demo_returns import latest_return, with_a_bad_row

AS_OF = dt.date.today()  # as `rcc demo` loads it
pytestmark = [
    pytest.mark.skipif(bool(PG_URL), reason="runs on a demo region loaded into SQLite"),
    pytest.mark.slow,
]


@dataclass
class Demo:
    client: object
    factory: object
    keys: dict[str, str]
    referral: int
    home: int
    la_code: str
    lines: list[str]
    latest_return: dict[str, bytes]  # the officer's LA's latest return as the demo stored it
    latest_year: int

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}


def parse_exports(lines: list[str]) -> dict[str, str]:
    """The ``export NAME=value ...`` line the demo prints for the README tour."""
    found = [ln for ln in lines if ln.strip().startswith("export ")]
    assert found, "the demo prints an export line with the tour's keys and ids"
    return dict(re.findall(r"(\w+)=(\S+)", found[-1]))


@pytest.fixture(scope="module")
def demo(template_url: str, tmp_path_factory) -> Iterator[Demo]:
    from fastapi.testclient import TestClient

    from rcc.admin import load_demo
    from rcc.app import create_app
    from rcc.config import Settings
    from rcc.db import make_engine, make_sessionmaker

    db = tmp_path_factory.mktemp("journeys") / "rcc.db"
    shutil.copy(template_url.split("///", 1)[1], db)
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    lines = load_demo(factory, DATA_DIR, "North East", 1, 0.1, True, as_of=AS_OF)
    env = parse_exports(lines)
    latest_year, latest_files = latest_return(DATA_DIR, env["LA"], AS_OF, 0.1)  # as the demo stored it
    keys = {
        "commissioner": env["KEY"],
        "officer": env["LA_KEY"],
        "provider": env["PROVIDER_KEY"],
        "admin": env["ADMIN_KEY"],
    }
    settings = Settings(database_url=url, data_dir=DATA_DIR, worker="off", stale_vacancy_days=14)
    with TestClient(create_app(settings, start_worker=False)) as client:
        yield Demo(
            client,
            factory,
            keys,
            int(env["REFERRAL"]),
            int(env["HOME_ID"]),
            env["LA"],
            lines,
            latest_files,
            latest_year,
        )
    engine.dispose()


ACCEPT = {"start_date": dt.date.today().isoformat(), "weekly_core": 4300, "weekly_additional_support": 400}


def _offer(demo: Demo, referral: int, home: int) -> int:
    r = demo.client.post(
        "/api/v1/offers", json={"referral_id": referral, "home_id": home}, headers=demo.h("officer")
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_the_demo_prints_a_key_for_every_role(demo):
    text = "\n".join(demo.lines)
    for role in ("admin", "rcc_commissioner", "la_officer", "provider"):
        assert role in text
    for who in demo.keys:
        assert demo.client.get("/api/v1/rccs", headers=demo.h(who)).status_code in (200, 403)


def test_placement_officer_and_provider_complete_the_offer_journey(demo):
    from rcc.webhooks.delivery import dispatch
    from rcc.webhooks.service import verify
    from tests.support.receiver import receiver

    c = demo.client
    with receiver() as rx:
        hook = c.post("/api/v1/webhooks", headers=demo.h("provider"),
                      json={"url": rx.url, "events": ["offer.made", "offer.withdrawn"]})  # fmt: skip
        assert hook.status_code == 201, hook.text
        la_hook = c.post("/api/v1/webhooks", headers=demo.h("officer"),
                         json={"url": rx.url + "/la", "events": ["offer.accepted"]})  # fmt: skip
        assert la_hook.status_code == 201

        # the placement officer: the printed referral's shortlist has the printed home in it
        r = c.post(f"/api/v1/referrals/{demo.referral}/shortlist?top_n=10", headers=demo.h("officer"))
        assert r.status_code == 200, r.text
        shortlist = r.json()
        assert demo.home in [e["home_id"] for e in shortlist["entries"]]
        assert (
            "lower" in shortlist["summary"].lower()
            or "lower" in str(shortlist.get("points_note", "")).lower()
        )
        offer = _offer(demo, demo.referral, demo.home)

        # the provider sees the offer and the child's non-identifying profile
        mine = c.get("/api/v1/offers", params={"status": "pending"}, headers=demo.h("provider")).json()
        assert offer in [o["id"] for o in mine["items"]]
        r = c.get(f"/api/v1/offers/{offer}/child-profile", headers=demo.h("provider"))
        assert r.status_code == 200, r.text
        profile = r.json()
        kid = profile["children"][0]
        assert {"age_band", "sex", "needs", "siblings", "wishes"} <= set(kid)
        for identifying in (
            "la_child_id",
            "birth_month",
            "home_postcode_sector",
            "school_postcode_sector",
            "id",
        ):
            assert identifying not in kid
        # ... and nobody else's
        other = c.get("/api/v1/offers/999999/child-profile", headers=demo.h("provider"))
        assert other.status_code == 404

        r = c.post(f"/api/v1/offers/{offer}/accept", json=ACCEPT, headers=demo.h("provider"))
        assert r.status_code == 200, r.text
        accepted = r.json()
        assert accepted["status"] == "accepted" and accepted["placement_ids"]
        placement = c.get(f"/api/v1/placements/{accepted['placement_ids'][0]}", headers=demo.h("officer"))
        assert placement.status_code == 200 and placement.json()["home_id"] == demo.home

        report = dispatch(demo.factory)
        assert report.delivered >= 2
        kinds = [(req.path, req.headers["X-RCC-Event"]) for req in rx.requests]
        assert ("/hook", "offer.made") in kinds and ("/hook/la", "offer.accepted") in kinds
        secret = hook.json()["secret"]
        made = next(req for req in rx.requests if req.headers["X-RCC-Event"] == "offer.made")
        assert verify(secret, made.headers["X-RCC-Timestamp"], made.body, made.headers["X-RCC-Signature"])

    # the profile read is audited
    from rcc.db.models import AuditEvent

    with demo.factory() as s:
        details = list(s.scalars(select(AuditEvent.detail).where(AuditEvent.role == "provider")))
    assert any(f"offer {offer}" in (d or "") and "profile" in (d or "") for d in details)


def test_offers_can_be_withdrawn_and_declined(demo):
    c = demo.client
    h = demo.h("officer")
    body = child_body(demo.la_code, la_child_id="JOURNEY-W1", needs=[], risks=[], birth_month="2013-03-01")
    cid = c.post("/api/v1/children", json=body, headers=h).json()["id"]
    ref = c.post("/api/v1/referrals", json={"la_code": demo.la_code, "child_ids": [cid], "needed_by": "< 5 days"},
                 headers=h).json()["id"]  # fmt: skip
    entries = c.post(f"/api/v1/referrals/{ref}/shortlist?top_n=5", headers=h).json()["entries"]
    assert entries, "the demo has a home for a 13-year-old with no particular needs"
    home = entries[0]["home_id"]
    offer = _offer(demo, ref, home)
    r = c.post(f"/api/v1/offers/{offer}/withdraw", json={"reason": "the child's plan changed"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn"
    assert c.post(f"/api/v1/offers/{offer}/withdraw", json={}, headers=h).status_code == 409
    assert c.get(f"/api/v1/referrals/{ref}", headers=h).json()["status"] == "open"
    # a provider cannot withdraw (only the LA or the RCC)
    offer2 = _offer(demo, ref, home)
    assert c.post(f"/api/v1/offers/{offer2}/withdraw", json={}, headers=demo.h("admin")).status_code == 200
    offer3 = _offer(demo, ref, home)
    from rcc.db.models import Home

    with demo.factory() as s:
        provider_of_home = s.get(Home, home).provider_id
    if provider_of_home is not None:
        r = c.post(f"/api/v1/offers/{offer3}/decline", json={"reason": "other", "text": "no staff"},
                   headers=demo.h("admin"))  # fmt: skip
        assert r.status_code == 200 and r.json()["status"] == "declined"


def test_commissioners_gap_covers_every_member_la(demo):
    r = demo.client.get(
        "/api/v1/sufficiency/gap", params={"rcc": 1, "horizon": 12}, headers=demo.h("commissioner")
    )
    assert r.status_code == 200, r.text
    gap = r.json()
    coverage = gap["data_coverage"]
    from rcc.db.models import Rcc

    with demo.factory() as s:
        members = {la.gss_code for la in s.get(Rcc, 1).members}
    assert coverage["las_total"] == len(members) == 12 and not coverage["las_missing"]
    assert {la["code"] for la in coverage["las_with_returns"]} == members
    # the returns run up to the demo's date: the origin is the last 31 March before it, so not stale
    last_march = dt.date(AS_OF.year if AS_OF >= dt.date(AS_OF.year, 3, 31) else AS_OF.year - 1, 3, 31)
    assert coverage["origin"] == last_march.isoformat() and not coverage["stale"] and coverage["complete"]
    assert "no returns from" not in gap["headline"] and "ago" not in gap["headline"]
    assert coverage["origin"] in gap["headline"]
    # the gap is real: every LA's forecast needs places (the places to commission may be 0 where the
    # region's real registered homes exceed a scaled-down demo's needs)
    required: dict[str, int] = {}
    for row in gap["rows"]:
        required[row["la"]] = required.get(row["la"], 0) + (row["required"] or 0)
    assert all(required.get(code, 0) > 0 for code in members), required
    short = [r for r in gap["rows"] if (r["to_commission"] or 0) > 0]
    if short:  # LAs short in their own area are named in the headline, even when the pooled gap is 0
        assert "counted LA by LA" in gap["headline"] or gap["totals"][-1]["to_commission"] > 0


def test_la_data_officer_rejected_then_accepted_return(demo):
    files = with_a_bad_row(demo.latest_return)
    parts = {n: (f"{n}.csv", raw, "text/csv") for n, raw in files.items()}
    url = "/api/v1/sufficiency/returns"
    form = {"la_code": demo.la_code, "collection_year": str(demo.latest_year)}
    r = demo.client.post(url, data=form, files=parts, headers=demo.h("officer"))
    assert r.status_code == 422, r.text
    rows = [d["field"] for d in r.json()["error"]["details"] if "[row " in (d["field"] or "")]
    assert rows and all(int(re.search(r"\[row (\d+)\]", f).group(1)) >= 2 for f in rows)
    n_episodes = len(demo.latest_return["episodes"].decode().splitlines())  # header line + rows
    assert f"episodes[row {n_episodes + 1}]" in " ".join(rows)  # the added row, as the spreadsheet numbers it

    rejected = demo.client.get(f"{url}/rejected", headers=demo.h("officer"))
    assert rejected.status_code == 200, rejected.text
    last = rejected.json()["items"][0]
    assert last["la_code"] == demo.la_code and last["error_count"] >= 1 and last["errors"]
    assert last["content_sha256"] == hashlib.sha256(b"".join(files[t] for t in sorted(files))).hexdigest()
    assert "submitted_at" in last and last["role"] == "la_officer"
    assert "rows" not in last  # none of the rows are kept

    r = demo.client.post(url, data={**form, "quarantine": "true"}, files=parts, headers=demo.h("officer"))
    assert r.status_code in (200, 201), r.text
    body = r.json()
    # the bad episode is dropped; the rest is the return the demo stored, plus the extra child's header row
    assert body["outcome"] in ("accepted", "unchanged")
    assert body["quarantined_count"] >= 1
    assert any(f"row {n_episodes + 1}" in str(q) for q in body["quarantined"]), body["quarantined"]


def test_nps_export_for_a_referral_made_through_the_api(demo):
    c = demo.client
    h = demo.h("officer")
    body = child_body(demo.la_code, la_child_id="JOURNEY-NPS1")
    cid = c.post("/api/v1/children", json=body, headers=h).json()["id"]
    ref = c.post("/api/v1/referrals", json={"la_code": demo.la_code, "child_ids": [cid], "needed_by": "< 5 days"},
                 headers=h).json()["id"]  # fmt: skip
    r = c.get(f"/api/v1/nps/placements/{ref}", headers=h)
    assert r.status_code == 200, r.text
    record = r.json()
    assert record["@type"] == "Placement" and record["childId"] == "JOURNEY-NPS1"
    assert "actualPlacement" not in record  # not placed yet
    # the export is a valid record: importing it back is accepted
    from api_schemas.nps import parse_record

    parse_record(record)
    # every placement exports too, including the demo's (recorded without a referral)
    placements = c.get("/api/v1/placements", params={"limit": 3}, headers=h).json()["items"]
    assert placements
    for p in placements:
        r = c.get(f"/api/v1/nps/placements/by-placement/{p['id']}", headers=h)
        assert r.status_code == 200, r.text
        actual = r.json()["actualPlacement"]
        assert float(actual["totalWeeklyCost"]) >= 0
        parse_record(r.json())
