"""Issue 9's attacker and careless-client probes, over real HTTP against uvicorn.

Builds a small two-RCC register in a scratch database (PostgreSQL recommended), starts
``uvicorn`` on it, then measures what the issue reported: double booking through direct
placements and offers, writes outside scope, audit gaps. Prints the figures and writes them to
``bench/results/integrity_probe_<label>.json``.

    RCC_PROBE_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test_h2 \
        /work/venv/bin/python bench/integrity_probe.py --label after

The database is wiped (downgraded to base and migrated again) first: never point it at real data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = dt.date.today()
NEXT_MONTH = TODAY + dt.timedelta(days=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_register(url: str) -> dict[str, Any]:
    """Migrate from scratch, load the LAs, make 2 RCCs, 3 providers and the 12 keys."""
    from rcc.auth import Role, create_api_key
    from rcc.db import make_engine, make_sessionmaker, transaction
    from rcc.db.migrate import downgrade, upgrade
    from rcc.db.models import ApiKey, LocalAuthority, Provider, Rcc, utcnow
    from rcc.register.interface import seed_local_authorities

    if url.startswith("postgresql"):
        downgrade(url, "base")
    upgrade(url)
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as s:
        seed_local_authorities(s)

        def la(code: str) -> LocalAuthority:
            return s.query(LocalAuthority).filter_by(gss_code=code).one()

        ncl, mbro, hpool, hull, eriding = (
            la(c) for c in ("E08000021", "E06000002", "E06000001", "E06000010", "E06000011")
        )
        ne = Rcc(name="North East", members=[ncl, mbro, hpool])
        hum = Rcc(name="Humber", members=[hull, eriding])
        p1 = Provider(name="Tyne Homes", sector="private", owner_group="Tyne Group")
        p2 = Provider(name="Tees Care", sector="voluntary", owner_group="Tees Trust")
        p3 = Provider(name="Humber Care", sector="private", owner_group="Humber Group")
        s.add_all([ne, hum, p1, p2, p3])
        s.flush()
        keys = {
            "admin": create_api_key(s, Role.ADMIN)[1],
            "comm_ne": create_api_key(s, Role.RCC_COMMISSIONER, rcc_id=ne.id)[1],
            "comm_hum": create_api_key(s, Role.RCC_COMMISSIONER, rcc_id=hum.id)[1],
            "la_ncl": create_api_key(s, Role.LA_OFFICER, la_id=ncl.id)[1],
            "la_mbro": create_api_key(s, Role.LA_OFFICER, la_id=mbro.id)[1],
            "la_hull": create_api_key(s, Role.LA_OFFICER, la_id=hull.id)[1],
            "prov_1": create_api_key(s, Role.PROVIDER, provider_id=p1.id)[1],
            "prov_2": create_api_key(s, Role.PROVIDER, provider_id=p2.id)[1],
            "prov_3": create_api_key(s, Role.PROVIDER, provider_id=p3.id)[1],
        }
        row, keys["revoked"] = create_api_key(s, Role.ADMIN, label="revoked")
        s.query(ApiKey).filter_by(id=row.id).update({"revoked_at": utcnow()})
        keys["malformed"] = "rcc_nothing"
        keys["garbage"] = "not-a-key"
        ids = {"rcc_ne": ne.id, "rcc_hum": hum.id, "p1": p1.id, "p2": p2.id, "p3": p3.id}
    engine.dispose()
    return {"keys": keys, **ids}


class Api:
    def __init__(self, base: str, keys: dict[str, str]):
        self.c = httpx.Client(base_url=base + "/api/v1", timeout=60)
        self.keys = keys

    def __call__(self, who: str, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.c.request(method, path, headers={"Authorization": f"Bearer {self.keys[who]}"}, **kw)

    def ok(self, who: str, method: str, path: str, **kw: Any) -> dict:
        r = self(who, method, path, **kw)
        if r.status_code >= 300:
            raise RuntimeError(f"{method} {path} as {who}: {r.status_code} {r.text}")
        return r.json() if r.content else {}


def _home(api: Api, provider: int, name: str, places: int, postcode: str = "NE1 4", **over) -> dict:
    body = {
        "provider_id": provider,
        "name": name,
        "home_type": "childrens_home",
        "postcode": postcode,
        "registered_places": places,
        "ofsted_judgement": "good",
        "age_min": 0,
        "age_max": 17,
        "fee_core": 4000,
    }
    body.update(over)
    return api.ok("admin", "POST", "/homes", json=body)


def _children(api: Api, who: str, la: str, n: int, tag: str) -> list[int]:
    ids = []
    for i in range(n):
        body = {
            "la_code": la,
            "la_child_id": f"{tag}{i:03d}",
            "birth_month": "2011-03-01",
            "sex": "female",
            "home_postcode_sector": "NE1 4" if la == "E08000021" else "TS1 2",
            "suitability": {"residential": "preferred"},
        }
        ids.append(api.ok(who, "POST", "/children", json=body)["id"])
    return ids


def _audit_count(url: str) -> int:
    from rcc.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    engine.dispose()
    return int(n)


def _count_placements(url: str, home_id: int) -> int:
    from rcc.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM placements WHERE home_id = :h"), {"h": home_id}
        ).scalar_one()
    engine.dispose()
    return int(n)


def concurrent_placements(api: Api, url: str, provider: int, start: dt.date, tag: str, n: int = 20) -> dict:
    """``n`` concurrent POST /placements with an end date into a 1-place home."""
    home = _home(api, provider, f"One place {tag}", 1)
    kids = _children(api, "la_ncl", "E08000021", n, tag)

    def place(cid: int) -> int:
        body = {
            "child_id": cid,
            "home_id": home["id"],
            "start_date": start.isoformat(),
            "end_date": "2099-12-31",
            "weekly_core": 4000,
        }
        return api("la_ncl", "POST", "/placements", json=body).status_code

    with ThreadPoolExecutor(max_workers=n) as pool:
        codes = list(pool.map(place, kids))
    shown = api.ok("admin", "GET", f"/homes/{home['id']}")
    return {
        "requests": n,
        "created_201": codes.count(201),
        "refused_409": codes.count(409),
        "other_status": sorted({c for c in codes if c not in (201, 409)}),
        "placements_in_db": _count_placements(url, home["id"]),
        "home_free_places_shown": shown["free_places"],
    }


def concurrent_accepts(api: Api, url: str, provider: int, n: int = 20) -> dict:
    """``n`` referrals each offered the same 1-place home, accepted concurrently."""
    home = _home(api, provider, "Accept race", 1)
    kids = _children(api, "la_ncl", "E08000021", n, "acc")
    offers = []
    for cid in kids:
        ref = api.ok(
            "la_ncl",
            "POST",
            "/referrals",
            json={"la_code": "E08000021", "child_ids": [cid], "needed_by": "< 5 days"},
        )
        offers.append(
            api.ok("la_ncl", "POST", "/offers", json={"referral_id": ref["id"], "home_id": home["id"]})["id"]
        )

    def accept(oid: int) -> int:
        body = {"start_date": TODAY.isoformat(), "weekly_core": 4000}
        return api("prov_1", "POST", f"/offers/{oid}/accept", json=body).status_code

    with ThreadPoolExecutor(max_workers=n) as pool:
        codes = list(pool.map(accept, offers))
    return {
        "requests": n,
        "accepted_200": codes.count(200),
        "placements_in_db": _count_placements(url, home["id"]),
    }


def future_offer(api: Api, provider: int) -> dict:
    """An offer accepted to start next month in a 1-place home: what do free places and vacancies say?"""
    home = _home(api, provider, "Booked next month", 1)
    (cid,) = _children(api, "la_ncl", "E08000021", 1, "fut")
    ref = api.ok(
        "la_ncl",
        "POST",
        "/referrals",
        json={"la_code": "E08000021", "child_ids": [cid], "needed_by": "> 5 days"},
    )
    offer = api.ok("la_ncl", "POST", "/offers", json={"referral_id": ref["id"], "home_id": home["id"]})
    api.ok(
        "prov_1",
        "POST",
        f"/offers/{offer['id']}/accept",
        json={"start_date": NEXT_MONTH.isoformat(), "weekly_core": 4000},
    )
    shown = api.ok("admin", "GET", f"/homes/{home['id']}")
    vac = api(
        "prov_1",
        "POST",
        "/vacancies",
        json={
            "home_id": home["id"],
            "places": 1,
            "available_from": TODAY.isoformat(),
            "confirmed_by": "probe",
        },
    )
    (other,) = _children(api, "la_ncl", "E08000021", 1, "fut2")
    direct = api(
        "la_ncl",
        "POST",
        "/placements",
        json={"child_id": other, "home_id": home["id"], "start_date": TODAY.isoformat(), "weekly_core": 1},
    )
    return {
        "free_places_shown_today": shown["free_places"],
        "vacancy_of_1_declared_status": vac.status_code,
        "open_ended_direct_placement_today_status": direct.status_code,
    }


def scope_writes(api: Api, ids: dict) -> dict:
    out: dict[str, Any] = {}
    h1 = _home(api, ids["p1"], "Tyne only", 2)  # provider 1's homes are all in the North East
    r = api(
        "comm_hum",
        "PATCH",
        f"/providers/{ids['p1']}",
        json={"risk_rating": "critical", "difficult_to_replace": True},
    )
    out["other_rcc_commissioner_patch_provider_risk"] = r.status_code
    lonely = api.ok("comm_ne", "POST", "/providers", json={"name": "NE start-up", "sector": "private"})
    _home(api, lonely["id"], "Start-up home", 1, postcode="TS24 7")
    r = api("comm_hum", "DELETE", f"/providers/{ids['p1']}")
    out["other_rcc_commissioner_delete_provider_with_homes"] = r.status_code
    r = api(
        "comm_hum",
        "POST",
        "/homes",
        json={
            "provider_id": ids["p3"],
            "name": "Misfiled",
            "home_type": "childrens_home",
            "postcode": "TS24 7",
            "la_code": "E06000010",
            "registered_places": 2,
        },
    )
    out["hartlepool_postcode_filed_under_hull"] = {
        "status": r.status_code,
        "la_code": r.json().get("la_code"),
    }
    for field, value in (
        ("ofsted_judgement", "outstanding"),
        ("registration_status", "active"),
        ("urn", "SC999999"),
    ):
        r = api("prov_1", "PATCH", f"/homes/{h1['id']}", json={field: value})
        out[f"provider_sets_own_{field}"] = r.status_code
    r = api("prov_1", "PATCH", f"/providers/{ids['p1']}", json={"owner_group": "Someone Else"})
    out["provider_sets_own_owner_group"] = r.status_code
    # an LA officer placing against another LA's referral
    (mb_child,) = _children(api, "la_mbro", "E06000002", 1, "mb")
    mb_ref = api.ok(
        "la_mbro",
        "POST",
        "/referrals",
        json={"la_code": "E06000002", "child_ids": [mb_child], "needed_by": "< 5 days"},
    )
    (ncl_child,) = _children(api, "la_ncl", "E08000021", 1, "xla")
    r = api(
        "la_ncl",
        "POST",
        "/placements",
        json={
            "child_id": ncl_child,
            "home_id": h1["id"],
            "referral_id": mb_ref["id"],
            "start_date": TODAY.isoformat(),
            "weekly_core": 1,
        },
    )
    out["la_officer_places_against_other_las_referral"] = r.status_code
    out["owner_la_delete_referral_after"] = api("la_mbro", "DELETE", f"/referrals/{mb_ref['id']}").status_code
    return out


def audit_gaps(api: Api, url: str) -> dict:
    out: dict[str, Any] = {}
    (cid,) = _children(api, "la_ncl", "E08000021", 1, "aud")
    ref = api.ok(
        "la_ncl",
        "POST",
        "/referrals",
        json={"la_code": "E08000021", "child_ids": [cid], "needed_by": "> 5 days"},
    )

    def events(who: str, method: str, path: str, **kw) -> dict:
        before = _audit_count(url)
        r = api(who, method, path, **kw)
        return {"status": r.status_code, "audit_events_added": _audit_count(url) - before}

    out["GET /referrals/{id}"] = events("la_ncl", "GET", f"/referrals/{ref['id']}")
    out["GET /referrals"] = events("la_ncl", "GET", "/referrals")
    out["PATCH /referrals/{id}"] = events(
        "la_ncl", "PATCH", f"/referrals/{ref['id']}", json={"needed_by": "< 5 days"}
    )
    out["GET /offers"] = events("admin", "GET", "/offers")
    out["GET /matching/unmet-need"] = events("admin", "GET", "/matching/unmet-need")
    out["refused: other LA GET /children/{id}"] = events("la_mbro", "GET", f"/children/{cid}")
    out["refused: other LA PATCH /referrals/{id}"] = events(
        "la_mbro", "PATCH", f"/referrals/{ref['id']}", json={"needed_by": "Today"}
    )
    out["DELETE /referrals/{id}"] = events("la_ncl", "DELETE", f"/referrals/{ref['id']}")
    out["GET /audit status"] = api("admin", "GET", "/audit").status_code
    from rcc.db import make_engine

    engine = make_engine(url)
    for stmt in ("UPDATE audit_events SET detail = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events"):
        try:
            with engine.begin() as conn:
                conn.execute(text(stmt))
            out[stmt.split()[0] + " audit_events"] = "allowed"
        except Exception as exc:  # noqa: BLE001 - the probe reports what the database said
            out[stmt.split()[0] + " audit_events"] = f"refused ({type(exc).__name__})"
    engine.dispose()
    env = {**os.environ, "RCC_DATABASE_URL": url}
    for sub in ("revoke", "list"):
        res = subprocess.run(
            [sys.executable, "-m", "rcc.cli", "apikey", sub, "--help"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        out[f"rcc apikey {sub}"] = "exists" if res.returncode == 0 else "missing"
    return out


def auth_probe(api: Api) -> dict:
    return {k: api(k, "GET", "/providers").status_code for k in ("revoked", "malformed", "garbage")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", default=os.environ.get("RCC_PROBE_DATABASE_URL"))
    ap.add_argument("--label", default="run")
    args = ap.parse_args()
    if not args.url:
        ap.error("give --url or RCC_PROBE_DATABASE_URL (a scratch database: it is wiped)")
    ctx = build_register(args.url)
    port = _free_port()
    env = {**os.environ, "RCC_DATABASE_URL": args.url, "RCC_WORKER": "off"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "rcc.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(base + "/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        api = Api(base, ctx["keys"])
        results = {
            "label": args.label,
            "database": args.url.split("://")[0],
            "date": TODAY.isoformat(),
            "twenty_direct_placements_today_to_2099": concurrent_placements(
                api, args.url, ctx["p1"], TODAY, "now"
            ),
            "twenty_direct_placements_next_month_to_2099": concurrent_placements(
                api, args.url, ctx["p1"], NEXT_MONTH, "nxt"
            ),
            "twenty_concurrent_accepts": concurrent_accepts(api, args.url, ctx["p1"]),
            "offer_accepted_for_next_month": future_offer(api, ctx["p1"]),
            "writes_outside_scope": scope_writes(api, ctx),
            "audit": audit_gaps(api, args.url),
            "bad_keys_status": auth_probe(api),
        }
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(json.dumps(results, indent=2))
    out = ROOT / "bench" / "results" / f"integrity_probe_{args.label}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    write_comparison()


def _flat(d: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k} / "))
        else:
            out[f"{prefix}{k}"] = v
    return out


def write_comparison() -> None:
    """``bench/results/integrity_probe.md``: each figure before (the code issue 9 was filed on) and after."""
    res = ROOT / "bench" / "results"
    before_p, after_p = res / "integrity_probe_before.json", res / "integrity_probe_after.json"
    if not (before_p.exists() and after_p.exists()):
        return
    before, after = json.loads(before_p.read_text()), json.loads(after_p.read_text())
    skip = {"label", "database", "date"}
    b = _flat({k: v for k, v in before.items() if k not in skip})
    a = _flat({k: v for k, v in after.items() if k not in skip})
    lines = [
        "# Issue 9 probes: before and after",
        "",
        f"PostgreSQL, uvicorn, real HTTP; before measured {before['date']}, after {after['date']}.",
        "Reproduce: `RCC_PROBE_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<scratch db> "
        "python bench/integrity_probe.py --label after` (the database is wiped).",
        "",
        "| probe | before | after |",
        "|---|---|---|",
    ]
    for key in list(dict.fromkeys([*b, *a])):
        lines.append(f"| {key} | {b.get(key, '')} | {a.get(key, '')} |")
    lines += [
        "",
        "The probe's register holds no unmet-need records, so reading them adds no event either way; "
        "`tests/api/test_audit_api.py` shows that reading them is audited. Schemathesis, input limits, "
        "405 `Allow` and CSV neutralisation (the rest of issue 9) are not probed here.",
    ]
    (res / "integrity_probe.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
