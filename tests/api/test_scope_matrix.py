"""A generated scope matrix: every operation in the OpenAPI document × 12 keys × a record in the
key's scope and one outside it, for reads and writes.

The operations come from ``app.openapi()``, so a new endpoint without an entry in :data:`MATRIX`
fails :func:`test_every_operation_has_an_expectation`. Each entry says how to call the operation
against side X or side Y of a two-RCC register, and which roles may do it:

- ``ALL``: on both sides (e.g. reading supply);
- ``OWN``: only on the key's own side (the other side is 403 or 404);
- ``RCC``: on the side of the key's RCC (an LA officer reading its own LA's share of RCC figures);
- absent: never (403 or 404 on both sides).

Allowed calls must not be refused: any status but 401, 403 and 404 (a domain 409 or 422 means
the call got past the scope checks). Refused calls must be 403 or 404, or a 422 saying a record the
body names is "not found"/"unknown" (the service's way of refusing a reference it will not
reveal); list responses must not leak the other side's children. Bad keys (revoked, malformed) get 401.

Sides: X is RCC 1 (Newcastle, Middlesbrough), provider 1 (homes in Newcastle); Y is RCC 2 (Hull,
East Riding), provider 3 (homes in Hull). Keys with no side (an officer of Middlesbrough, provider
2 with no homes) are refused both sides' ``OWN`` records.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.api.helpers import child_body

TODAY = dt.date.today().isoformat()
NPS_EXAMPLE = (
    Path(__file__).resolve().parent.parent / "fixtures" / "nps" / "examples" / "valid-other-options.jsonld"
)

A, C, L, P = "admin", "rcc_commissioner", "la_officer", "provider"
ALL, OWN, RCC = "all", "own", "rcc"


@dataclass
class Side:
    name: str
    rcc: int = 0
    la: str = ""
    spare_la: str = ""
    provider: int = 0
    owner_group: str = ""
    home: int = 0
    vacancy: int = 0
    placed_child: int = 0
    spare_child: int = 0
    referral: int = 0  # has a pending offer
    free_referral: int = 0  # no offer
    free_child: int = 0
    offered_child: int = 0
    nps_referral: int = 0
    placement: int = 0
    webhook: int = 0
    offer: int = 0
    jobs: dict[str, str] = field(default_factory=dict)
    sufficiency_return: int = 0
    seq: itertools.count = field(default_factory=lambda: itertools.count(1))


@dataclass
class Key:
    name: str
    role: str
    side: str | None  # "X", "Y", or None (no records of its own)
    token: str = ""
    rcc_side: str | None = None  # the side of the key's RCC (commissioners and LA officers)


KEYS = [
    Key("admin", A, "*"),
    Key("comm_x", C, "X", rcc_side="X"),
    Key("comm_y", C, "Y", rcc_side="Y"),
    Key("la_x", L, "X", rcc_side="X"),
    Key("la_x_other", L, None, rcc_side="X"),  # Middlesbrough: in RCC 1, owns no records here
    Key("la_y", L, "Y", rcc_side="Y"),
    Key("prov_x", P, "X"),
    Key("prov_none", P, None),  # provider 2: no homes
    Key("prov_y", P, "Y"),
    Key("revoked", A, None),
    Key("malformed", A, None, "rcc_nothing"),
    Key("garbage", A, None, "Bearer-not-a-key"),
]
BAD_KEYS = {"revoked", "malformed", "garbage"}


@dataclass
class Call:
    path: Callable[[Side], str]
    rules: dict[str, str]
    body: Callable[[Side], Any] | None = None
    params: Callable[[Side], dict] | None = None
    files: Callable[[Side], dict] | None = None
    order: int = 0  # later for calls that change or remove the side's records


def _nps(s: Side) -> dict:
    doc = json.loads(NPS_EXAMPLE.read_text())
    doc["childId"] = f"NPS{s.name}{next(s.seq)}"
    doc.pop("placementId", None)
    doc["rcc:extension"] = {
        "sex": "male",
        "birth_month": "2010-09",
        "home_postcode_sector": "NE1 4",
        "la_code": s.la,
    }
    return doc


def _home_body(s: Side) -> dict:
    return {"provider_id": s.provider, "name": f"New {next(s.seq)}", "home_type": "childrens_home",
            "postcode": "NE1 4" if s.name == "X" else "HU1 1", "registered_places": 2}  # fmt: skip


SUPPLY_READ = {A: ALL, C: ALL, L: ALL, P: OWN}
SUPPLY_WRITE = {A: ALL, C: OWN, P: OWN}
CHILD_READ = {A: ALL, C: OWN, L: OWN}
CHILD_WRITE = {A: ALL, L: OWN}
RCC_WORK = {A: ALL, C: OWN}
RCC_READ = {A: ALL, C: OWN, L: RCC}
EVERYONE = {A: ALL, C: ALL, L: ALL, P: ALL}

MATRIX: dict[str, Call] = {
    "GET /api/v1/local-authorities": Call(lambda s: "/api/v1/local-authorities", EVERYONE),
    "GET /api/v1/local-authorities/{code}": Call(lambda s: f"/api/v1/local-authorities/{s.la}", EVERYONE),
    "POST /api/v1/rccs": Call(lambda s: "/api/v1/rccs", {A: ALL},
                              body=lambda s: {"name": f"New RCC {s.name}{next(s.seq)}", "member_la_codes": [s.spare_la]}),
    "GET /api/v1/rccs": Call(lambda s: "/api/v1/rccs", EVERYONE),
    "GET /api/v1/rccs/{rcc_id}": Call(lambda s: f"/api/v1/rccs/{s.rcc}", {A: ALL, C: OWN, L: ALL, P: ALL}),
    "PATCH /api/v1/rccs/{rcc_id}": Call(lambda s: f"/api/v1/rccs/{s.rcc}", {A: ALL}, body=lambda s: {"name": f"RCC {s.name}"}),
    "DELETE /api/v1/rccs/{rcc_id}": Call(lambda s: f"/api/v1/rccs/{s.rcc}", {A: ALL}, order=9),
    "POST /api/v1/providers": Call(lambda s: "/api/v1/providers", {A: ALL, C: ALL},
                                   body=lambda s: {"name": "Start-up", "sector": "private", "risk_rating": "low"}),
    "GET /api/v1/providers": Call(lambda s: "/api/v1/providers", EVERYONE),
    "GET /api/v1/providers/{provider_id}": Call(lambda s: f"/api/v1/providers/{s.provider}", SUPPLY_READ),
    "PATCH /api/v1/providers/{provider_id}": Call(lambda s: f"/api/v1/providers/{s.provider}", {A: ALL, C: OWN},
                                                  body=lambda s: {"risk_rating": "high", "difficult_to_replace": True}),
    "DELETE /api/v1/providers/{provider_id}": Call(lambda s: f"/api/v1/providers/{s.provider}", {A: ALL, C: OWN}, order=8),
    "POST /api/v1/homes": Call(lambda s: "/api/v1/homes", SUPPLY_WRITE, body=_home_body),
    "GET /api/v1/homes": Call(lambda s: "/api/v1/homes", EVERYONE),
    "GET /api/v1/homes/{home_id}": Call(lambda s: f"/api/v1/homes/{s.home}", SUPPLY_READ),
    "PATCH /api/v1/homes/{home_id}": Call(lambda s: f"/api/v1/homes/{s.home}", SUPPLY_WRITE, body=lambda s: {"name": "Renamed"}),
    "DELETE /api/v1/homes/{home_id}": Call(lambda s: f"/api/v1/homes/{s.home}", SUPPLY_WRITE, order=7),
    "POST /api/v1/vacancies": Call(lambda s: "/api/v1/vacancies", SUPPLY_WRITE,
                                   body=lambda s: {"home_id": s.home, "places": 1, "available_from": TODAY, "confirmed_by": "m"}),
    "GET /api/v1/vacancies": Call(lambda s: "/api/v1/vacancies", EVERYONE),
    "GET /api/v1/vacancies/{vacancy_id}": Call(lambda s: f"/api/v1/vacancies/{s.vacancy}", SUPPLY_READ),
    "PATCH /api/v1/vacancies/{vacancy_id}": Call(lambda s: f"/api/v1/vacancies/{s.vacancy}", SUPPLY_WRITE,
                                                 body=lambda s: {"confirmed_by": "deputy"}),
    "DELETE /api/v1/vacancies/{vacancy_id}": Call(lambda s: f"/api/v1/vacancies/{s.vacancy}", SUPPLY_WRITE, order=2),
    "POST /api/v1/children": Call(lambda s: "/api/v1/children", CHILD_WRITE,
                                  body=lambda s: child_body(s.la, la_child_id=f"N{s.name}{next(s.seq)}")),
    "GET /api/v1/children": Call(lambda s: "/api/v1/children", {A: ALL, C: ALL, L: ALL}, params=lambda s: {"rcc": s.rcc}),
    "GET /api/v1/children/{child_id}": Call(lambda s: f"/api/v1/children/{s.placed_child}", CHILD_READ),
    "PATCH /api/v1/children/{child_id}": Call(lambda s: f"/api/v1/children/{s.placed_child}", CHILD_WRITE,
                                              body=lambda s: {"wishes": "A dog."}),
    "DELETE /api/v1/children/{child_id}": Call(lambda s: f"/api/v1/children/{s.spare_child}", CHILD_WRITE, order=6),
    "POST /api/v1/referrals": Call(lambda s: "/api/v1/referrals", CHILD_WRITE,
                                   body=lambda s: {"la_code": s.la, "child_ids": [s.spare_child], "needed_by": "Today"}),
    "GET /api/v1/referrals": Call(lambda s: "/api/v1/referrals", {A: ALL, C: ALL, L: ALL}, params=lambda s: {"rcc": s.rcc}),
    "GET /api/v1/referrals/{referral_id}": Call(lambda s: f"/api/v1/referrals/{s.referral}", CHILD_READ),
    "PATCH /api/v1/referrals/{referral_id}": Call(lambda s: f"/api/v1/referrals/{s.free_referral}", CHILD_WRITE,
                                                  body=lambda s: {"needed_by": "< 5 days"}),
    "DELETE /api/v1/referrals/{referral_id}": Call(lambda s: f"/api/v1/referrals/{s.free_referral}", CHILD_WRITE, order=5),
    "POST /api/v1/placements": Call(lambda s: "/api/v1/placements", CHILD_WRITE,
                                    body=lambda s: {"child_id": s.free_child, "home_id": s.home, "start_date": TODAY,
                                                    "end_date": "2099-12-31", "weekly_core": 1}),
    "GET /api/v1/placements": Call(lambda s: "/api/v1/placements", {A: ALL, C: ALL, L: ALL}, params=lambda s: {"rcc": s.rcc}),
    "GET /api/v1/placements/{placement_id}": Call(lambda s: f"/api/v1/placements/{s.placement}", CHILD_READ),
    "PATCH /api/v1/placements/{placement_id}": Call(lambda s: f"/api/v1/placements/{s.placement}", CHILD_WRITE,
                                                    body=lambda s: {"weekly_core": 2}),
    "DELETE /api/v1/placements/{placement_id}": Call(lambda s: f"/api/v1/placements/{s.placement}", {A: ALL}, order=5),
    "GET /api/v1/jobs/{job_id}": Call(lambda s: f"/api/v1/jobs/{s.jobs['run']}", RCC_WORK),
    "POST /api/v1/jobs/{job_id}/cancel": Call(lambda s: f"/api/v1/jobs/{s.jobs['stress']}/cancel", RCC_WORK, order=4),
    "POST /api/v1/sufficiency/returns": Call(
        lambda s: "/api/v1/sufficiency/returns", {A: ALL, C: OWN, L: OWN}, body=lambda s: {"la_code": s.la},
        files=lambda s: {"header": ("header.csv", b"CHILD\n"), "episodes": ("episodes.csv", b"CHILD\n")},
    ),
    "GET /api/v1/sufficiency/returns": Call(lambda s: "/api/v1/sufficiency/returns", {A: ALL, C: ALL, L: ALL}),
    "GET /api/v1/sufficiency/returns/{return_id}": Call(lambda s: f"/api/v1/sufficiency/returns/{s.sufficiency_return}",
                                                        CHILD_READ),
    "GET /api/v1/rccs/{rcc_id}/matching-policy": Call(lambda s: f"/api/v1/rccs/{s.rcc}/matching-policy", RCC_WORK),
    "PUT /api/v1/rccs/{rcc_id}/matching-policy": Call(lambda s: f"/api/v1/rccs/{s.rcc}/matching-policy", RCC_WORK,
                                                      body=lambda s: {"overrides": {}}),
    "POST /api/v1/referrals/{referral_id}/shortlist": Call(lambda s: f"/api/v1/referrals/{s.free_referral}/shortlist",
                                                           CHILD_READ),
    "POST /api/v1/referrals/{referral_id}/validate-choice": Call(
        lambda s: f"/api/v1/referrals/{s.free_referral}/validate-choice", CHILD_READ,
        body=lambda s: {"home_ids": {str(s.free_child): s.home}},
    ),
    "POST /api/v1/matching-runs": Call(lambda s: "/api/v1/matching-runs", RCC_WORK, body=lambda s: {"rcc_id": s.rcc}),
    "GET /api/v1/matching-runs/{run_id}": Call(lambda s: f"/api/v1/matching-runs/{s.jobs['run']}", RCC_WORK),
    "GET /api/v1/matching-runs/{run_id}/result": Call(lambda s: f"/api/v1/matching-runs/{s.jobs['run']}/result", RCC_WORK),
    "POST /api/v1/matching-runs/{run_id}/cancel": Call(lambda s: f"/api/v1/matching-runs/{s.jobs['run']}/cancel",
                                                       RCC_WORK, order=4),
    "POST /api/v1/offers": Call(lambda s: "/api/v1/offers", {A: ALL, C: OWN, L: OWN},
                                body=lambda s: {"referral_id": s.free_referral, "home_id": s.home}),
    "GET /api/v1/offers": Call(lambda s: "/api/v1/offers", EVERYONE),
    "GET /api/v1/offers/{offer_id}": Call(lambda s: f"/api/v1/offers/{s.offer}", {A: ALL, C: OWN, L: OWN, P: OWN}),
    "POST /api/v1/offers/{offer_id}/accept": Call(lambda s: f"/api/v1/offers/{s.offer}/accept", {A: ALL, P: OWN},
                                                  body=lambda s: {"start_date": TODAY, "weekly_core": 1}, order=3),
    "POST /api/v1/offers/{offer_id}/decline": Call(lambda s: f"/api/v1/offers/{s.offer}/decline", {A: ALL, P: OWN},
                                                   body=lambda s: {"reason": "no_vacancy"}, order=3),
    "GET /api/v1/matching/unmet-need": Call(lambda s: "/api/v1/matching/unmet-need", {A: ALL, C: ALL, L: ALL}),
    **{
        f"GET /api/v1/commissioning/{name}": Call(lambda s, n=name: f"/api/v1/commissioning/{n}", RCC_READ,
                                                  params=lambda s: {"rcc": s.rcc})
        for name in ("cost-of-care", "cost-of-care.csv", "report", "concentration", "financial-oversight",
                     "outcomes", "equality")
    },
    "POST /api/v1/commissioning/stress-tests": Call(lambda s: "/api/v1/commissioning/stress-tests", RCC_WORK,
                                                    body=lambda s: {"rcc_id": s.rcc, "owner_group": s.owner_group}),
    "GET /api/v1/commissioning/stress-tests/{job_id}": Call(
        lambda s: f"/api/v1/commissioning/stress-tests/{s.jobs['stress']}", RCC_WORK),
    "POST /api/v1/sufficiency/forecasts": Call(lambda s: "/api/v1/sufficiency/forecasts", RCC_WORK,
                                               body=lambda s: {"rcc_id": s.rcc}),
    "GET /api/v1/sufficiency/forecasts/{job_id}": Call(lambda s: f"/api/v1/sufficiency/forecasts/{s.jobs['forecast']}",
                                                       RCC_WORK),
    **{
        f"GET /api/v1/sufficiency/{name}": Call(lambda s, n=name: f"/api/v1/sufficiency/{n}", RCC_WORK,
                                                params=lambda s: {"rcc": s.rcc})
        for name in ("gap", "charts/fan.png", "charts/gap.png", "report")
    },
    "POST /api/v1/sufficiency/backtests": Call(lambda s: "/api/v1/sufficiency/backtests", RCC_WORK,
                                               body=lambda s: {"rcc_id": s.rcc}),
    "GET /api/v1/sufficiency/backtests/{job_id}": Call(lambda s: f"/api/v1/sufficiency/backtests/{s.jobs['backtest']}",
                                                       RCC_WORK),
    "POST /api/v1/nps/placements": Call(lambda s: "/api/v1/nps/placements", CHILD_WRITE, body=_nps),
    "GET /api/v1/nps/placements/{referral_id}": Call(lambda s: f"/api/v1/nps/placements/{s.nps_referral}", CHILD_READ),
    "GET /api/v1/audit": Call(lambda s: "/api/v1/audit", {A: ALL, C: ALL}),
    # the journeys (issue 13)
    "GET /api/v1/offers/{offer_id}/child-profile": Call(lambda s: f"/api/v1/offers/{s.offer}/child-profile",
                                                        {A: ALL, C: OWN, L: OWN, P: OWN}),
    "POST /api/v1/offers/{offer_id}/withdraw": Call(lambda s: f"/api/v1/offers/{s.offer}/withdraw",
                                                    {A: ALL, C: OWN, L: OWN}, body=lambda s: {}, order=4),
    "GET /api/v1/sufficiency/returns/rejected": Call(lambda s: "/api/v1/sufficiency/returns/rejected",
                                                     {A: ALL, C: ALL, L: ALL}),
    "GET /api/v1/nps/placements/by-placement/{placement_id}": Call(
        lambda s: f"/api/v1/nps/placements/by-placement/{s.placement}", CHILD_READ),
    "GET /api/v1/commissioning/homes": Call(lambda s: "/api/v1/commissioning/homes", RCC_READ,
                                            params=lambda s: {"rcc": s.rcc}),
    "GET /api/v1/webhooks/events": Call(lambda s: "/api/v1/webhooks/events", EVERYONE),
    "GET /api/v1/webhooks": Call(lambda s: "/api/v1/webhooks", EVERYONE),
    "POST /api/v1/webhooks": Call(lambda s: "/api/v1/webhooks", EVERYONE,
                                  body=lambda s: {"url": "http://127.0.0.1:9/y", "events": ["offer.accepted"]}),
    "GET /api/v1/webhooks/{webhook_id}": Call(lambda s: f"/api/v1/webhooks/{s.webhook}", {A: ALL}),
    "GET /api/v1/webhooks/{webhook_id}/deliveries": Call(lambda s: f"/api/v1/webhooks/{s.webhook}/deliveries",
                                                         {A: ALL}),
    "DELETE /api/v1/webhooks/{webhook_id}": Call(lambda s: f"/api/v1/webhooks/{s.webhook}", {A: ALL}, order=5),
}  # fmt: skip

# Calls whose allowed outcome is still refused for a reason other than scope (listed, never silent):
# none today.
KNOWN: dict[tuple[str, str, str], str] = {}


def _operations(app) -> list[str]:
    spec = app.openapi()
    return sorted(
        f"{method.upper()} {path}"
        for path, ops in spec["paths"].items()
        if path.startswith("/api/")
        for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    )


def test_every_operation_has_an_expectation(client):
    missing = [op for op in _operations(client.app) if op not in MATRIX]
    assert missing == [], f"add these operations to tests/api/test_scope_matrix.py MATRIX: {missing}"
    stale = [op for op in MATRIX if op not in _operations(client.app)]
    assert stale == []


# ---------------------------------------------------------------- the register


def _build(client, factory) -> tuple[dict[str, Side], dict[str, Key]]:
    from rcc.auth import Role, create_api_key
    from rcc.db import transaction
    from rcc.db.models import ApiKey, Job, LocalAuthority, Provider, Rcc, SufficiencyReturn, utcnow

    sides = {"X": Side("X"), "Y": Side("Y")}
    keys = {k.name: Key(k.name, k.role, k.side, k.token, k.rcc_side) for k in KEYS}
    with transaction(factory) as s:

        def la(code: str) -> LocalAuthority:
            return s.query(LocalAuthority).filter_by(gss_code=code).one()

        ncl, mbro, hull, eriding = la("E08000021"), la("E06000002"), la("E06000010"), la("E06000011")
        r1, r2 = Rcc(name="RCC X", members=[ncl, mbro]), Rcc(name="RCC Y", members=[hull, eriding])
        p1 = Provider(name="P1", sector="private", owner_group="Group X")
        p2 = Provider(name="P2", sector="private", owner_group="Group None")
        p3 = Provider(name="P3", sector="private", owner_group="Group Y")
        s.add_all([r1, r2, p1, p2, p3])
        s.flush()
        for side, rcc, la_, spare, prov in (
            ("X", r1, ncl, "E06000001", p1),
            ("Y", r2, hull, "E06000012", p3),
        ):
            x = sides[side]
            x.rcc, x.la, x.spare_la, x.provider, x.owner_group = (
                rcc.id,
                la_.gss_code,
                spare,
                prov.id,
                prov.owner_group,
            )
        scope = {
            "admin": {}, "comm_x": {"rcc_id": r1.id}, "comm_y": {"rcc_id": r2.id}, "la_x": {"la_id": ncl.id},
            "la_x_other": {"la_id": mbro.id}, "la_y": {"la_id": hull.id}, "prov_x": {"provider_id": p1.id},
            "prov_none": {"provider_id": p2.id}, "prov_y": {"provider_id": p3.id}, "revoked": {},
        }  # fmt: skip
        for name, kw in scope.items():
            row, keys[name].token = create_api_key(s, Role(keys[name].role), label=name, **kw)
            if name == "revoked":
                row.revoked_at = utcnow()
        admin_key_id = s.query(ApiKey).filter_by(label="admin").one().id
    admin = {"Authorization": f"Bearer {keys['admin'].token}"}

    def ok(method: str, url: str, **kw) -> dict:
        r = client.request(method, url, headers=admin, **kw)
        assert r.status_code in (200, 201), (url, r.status_code, r.text)
        return r.json()

    for x in sides.values():
        pc, sector = ("NE1 4", "NE1 4") if x.name == "X" else ("HU1 1", "HU1 1")
        x.home = ok("POST", "/api/v1/homes", json={
            "provider_id": x.provider, "name": f"Home {x.name}", "home_type": "childrens_home", "postcode": pc,
            "registered_places": 4, "age_min": 0, "ofsted_judgement": "good", "needs_met": ["complex_trauma"],
        })["id"]  # fmt: skip

        def child(tag: str, x: Side = x, sector: str = sector) -> int:
            return ok("POST", "/api/v1/children",
                      json=child_body(x.la, la_child_id=f"{x.name}{tag}", home_postcode_sector=sector,
                                      school_postcode_sector=None))["id"]  # fmt: skip

        x.placed_child, x.spare_child, x.free_child = child("placed"), child("spare"), child("free")
        offered = x.offered_child = child("offered")
        x.placement = ok("POST", "/api/v1/placements", json={
            "child_id": x.placed_child, "home_id": x.home, "start_date": "2025-01-06", "weekly_core": 4000,
        })["id"]  # fmt: skip
        x.vacancy = ok("POST", "/api/v1/vacancies", json={
            "home_id": x.home, "places": 1, "available_from": TODAY, "confirmed_by": "manager",
        })["id"]  # fmt: skip
        x.referral = ok(
            "POST", "/api/v1/referrals", json={"la_code": x.la, "child_ids": [offered], "needed_by": "Today"}
        )["id"]
        x.free_referral = ok("POST", "/api/v1/referrals",
                             json={"la_code": x.la, "child_ids": [x.free_child], "needed_by": "Today"})["id"]  # fmt: skip
        x.offer = ok("POST", "/api/v1/offers", json={"referral_id": x.referral, "home_id": x.home})["id"]
        x.nps_referral = ok("POST", "/api/v1/nps/placements", json=_nps(x))["referral_id"]
        # a subscription made with the admin key: only that key (an admin) sees or deletes it
        x.webhook = ok(
            "POST", "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["offer.made"]}
        )["id"]
    with transaction(factory) as s:
        for x in sides.values():
            la_id = s.query(LocalAuthority).filter_by(gss_code=x.la).one().id
            for kind, name in (("matching_run", "run"), ("commissioning_stress_test", "stress"),
                               ("forecast", "forecast"), ("forecast_backtest", "backtest")):  # fmt: skip
                job = Job(id=f"{name}-{x.name}-0000-0000-000000000000", kind=kind, status="queued",
                          params={"rcc_id": x.rcc}, api_key_id=admin_key_id, rcc_id=x.rcc)  # fmt: skip
                s.add(job)
                x.jobs[name] = job.id
            ret = SufficiencyReturn(la_id=la_id, collection_year=2024, version=1, content_sha256="0" * 64)
            s.add(ret)
            s.flush()
            x.sufficiency_return = ret.id
    return sides, keys


# ---------------------------------------------------------------- the walk


def _expected(rule: str | None, key: Key, side: str) -> bool:
    """True when the key may do this on ``side``."""
    if key.name in BAD_KEYS or rule is None:
        return False
    if rule == RCC:
        return key.side == "*" or key.rcc_side == side
    return rule == ALL or key.side == "*" or key.side == side


def _call(client, key: Key, op: str, call: Call, side: Side):
    method = op.split()[0]
    kw: dict[str, Any] = {"headers": {"Authorization": f"Bearer {key.token}"}}
    if call.params:
        kw["params"] = call.params(side)
    if call.files:
        kw["files"], kw["data"] = call.files(side), call.body(side) if call.body else None
    elif call.body:
        kw["json"] = call.body(side)
    return client.request(method, call.path(side), **kw)


def _leaks(op: str, key: Key, sides: dict[str, Side], payload: Any) -> list[int]:
    """Children of a side not the key's own in a list response."""
    if key.side == "*" or not isinstance(payload, dict) or "items" not in payload:
        return []
    if op not in ("GET /api/v1/children", "GET /api/v1/referrals", "GET /api/v1/placements", "GET /api/v1/offers",
                  "GET /api/v1/matching/unmet-need", "GET /api/v1/audit"):  # fmt: skip
        return []
    ids = {
        i for name, x in sides.items() if name != key.side
        for i in (x.placed_child, x.free_child, x.spare_child, x.offered_child)
    }  # fmt: skip
    seen = set()
    for item in payload["items"]:
        seen |= {item.get("child_id"), *(item.get("child_ids") or [])}
        if op == "GET /api/v1/children":
            seen.add(item.get("id"))
        if op == "GET /api/v1/audit" and item.get("entity") == "child" and item.get("action") != "refused":
            seen.add(item.get("entity_id"))
    return sorted(ids & seen)


@pytest.mark.parametrize("key_name", [k.name for k in KEYS])
def test_scope_matrix(client, factory, key_name):
    sides, keys = _build(client, factory)
    key = keys[key_name]
    ops = sorted(MATRIX, key=lambda op: (MATRIX[op].order, op))
    failures: list[str] = []
    # the other side first (refusals change nothing), then the key's own side
    own = "Y" if key.side == "Y" else "X"
    other = "X" if own == "Y" else "Y"
    for side_name in (other, own):
        side = sides[side_name]
        for op in ops:
            call = MATRIX[op]
            rule = call.rules.get(key.role)
            allowed = _expected(rule, key, side_name)
            r = _call(client, key, op, call, side)
            code = r.status_code
            if key.name in BAD_KEYS:
                ok = code == 401
            elif allowed:
                ok = code not in (401, 403, 404, 405) and code < 500
            else:
                ok = code in (403, 404) or (
                    code == 422 and any(w in r.json()["error"]["message"] for w in ("not found", "unknown"))
                )
            known = KNOWN.get((op, key.name, side_name))
            if not ok and not known:
                failures.append(
                    f"{op} on {side_name}: {code} ({'allowed' if allowed else 'refused'} expected) {r.text[:160]}"
                )
            if code == 200 and r.headers.get("content-type", "").startswith("application/json"):
                leaked = _leaks(op, key, sides, r.json())
                if leaked:
                    failures.append(f"{op} on {side_name}: leaks children {leaked}")
    assert failures == [], f"{key_name}:\n" + "\n".join(failures)
