"""Server time of the web pages on a demo region (target: p95 <= 200 ms per page on the North East).

    python -m bench.pages [--region "North East"] [--seed 1] [--rounds 20] [--database-url URL]

Loads the region into a fresh database (SQLite file by default; give an empty PostgreSQL database
with --database-url, which is wiped first) with every member LA's simulated SSDA903 returns, runs
the first LA's and the RCC's forecast jobs, makes a pending offer and a signed-in user per role, then
requests every page ``--rounds`` times through the app in process (ASGI, no network, the worker
off) and reports per page the median and p95 of the time from request to the whole response. The
baseline, measured in the same process, is ``GET /health`` (the framework's own floor); the ratio
column is the page's median over it.

Writes bench/results/pages.{json,md}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PASSWORD = "bench password 0123"
TARGET_P95_MS = 200


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[max(0, min(len(values) - 1, round(q * (len(values) - 1))))]


def _prepare(url: str, data_dir: Path, region: str, seed: int, as_of: dt.date) -> dict:
    from sqlalchemy import func, select

    from api_schemas.forecasts import ForecastIn
    from api_schemas.matching import OfferIn
    from rcc.admin import load_demo
    from rcc.auth import SYSTEM, Role
    from rcc.cli import prepare_database
    from rcc.db import make_engine, make_sessionmaker, transaction
    from rcc.db.models import Home, LocalAuthority, Provider, Rcc, RccMember, Referral
    from rcc.jobs import worker as jobs
    from rcc.matching import offers as offers_svc
    from rcc.matching import shortlist as shortlist_svc
    from rcc.sufficiency import forecasts as forecasts_svc
    from rcc.web.users import create_user

    if url.startswith("postgresql"):
        from rcc.db.migrate import downgrade

        downgrade(url, "base")
    prepare_database()
    factory = make_sessionmaker(make_engine(url))
    t0 = time.perf_counter()
    load_demo(factory, data_dir, region, seed, 1.0, False, as_of=as_of)
    facts: dict = {"load_s": round(time.perf_counter() - t0, 1)}
    with transaction(factory) as s:
        rcc = s.scalars(select(Rcc)).one()
        la = s.scalars(
            select(LocalAuthority)
            .join(RccMember, RccMember.la_id == LocalAuthority.id)
            .where(RccMember.rcc_id == rcc.id)
            .order_by(LocalAuthority.gss_code)
        ).first()
        facts.update(la_code=la.gss_code, rcc_id=rcc.id)
        offer = None
        for ref_id in s.scalars(
            select(Referral.id).where(Referral.status == "open", Referral.la_id == la.id)
        ):
            for e in shortlist_svc.shortlist(s, SYSTEM, ref_id, top_n=3)["entries"]:
                try:
                    offer = offers_svc.create_offer(
                        s, SYSTEM, OfferIn(referral_id=ref_id, home_id=e["home_id"])
                    )
                    break
                except Exception:  # noqa: BLE001 - the next home
                    continue
            if offer:
                break
        facts["referral_id"] = s.scalar(
            select(Referral.id)
            .where(Referral.status == "open", Referral.la_id == la.id)
            .order_by(Referral.id)
        )
        provider_id = offer.provider_id if offer else s.scalar(
            select(Home.provider_id).group_by(Home.provider_id).order_by(func.count().desc()).limit(1)
        )  # fmt: skip
        facts["provider_homes"] = s.scalar(select(func.count()).where(Home.provider_id == provider_id))
        facts["provider"] = s.get(Provider, provider_id).name
        create_user(s, "officer@bench", "Officer", Role.LA_OFFICER, PASSWORD, la_id=la.id)
        create_user(s, "provider@bench", "Provider", Role.PROVIDER, PASSWORD, provider_id=provider_id)
        create_user(s, "commissioner@bench", "Commissioner", Role.RCC_COMMISSIONER, PASSWORD, rcc_id=rcc.id)
    # every member LA's returns were stored by load_demo (the simulated population)
    with transaction(factory) as s:
        forecasts_svc.submit_forecast(
            s, SYSTEM, ForecastIn(la_code=facts["la_code"], horizon_months=12, n_sims=200)
        )
        forecasts_svc.submit_forecast(
            s, SYSTEM, ForecastIn(rcc_id=facts["rcc_id"], horizon_months=12, n_sims=200)
        )
    jobs.drain(factory)
    if url.startswith("postgresql"):  # planner statistics, as autovacuum keeps them in service
        from sqlalchemy import text

        with make_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return facts


def _sign_in(client, email: str) -> None:
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text[:500]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--region", default="North East")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--as-of", default=None, help="snapshot date (default today, so vacancies look current)")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--report-only", action="store_true", help="rewrite pages.md from pages.json")
    args = ap.parse_args()
    if args.report_only:
        write_report(json.loads((RESULTS / "pages.json").read_text()))
        return

    tmp = tempfile.mkdtemp(prefix="rcc-pages-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    os.environ["RCC_DATABASE_URL"] = url
    os.environ["RCC_DATA_DIR"] = args.data_dir
    os.environ["RCC_WEB_COOKIE_SECURE"] = "false"

    from fastapi.testclient import TestClient

    from rcc.app import create_app
    from rcc.config import load_settings

    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else dt.date.today()
    facts = _prepare(url, Path(args.data_dir), args.region, args.seed, as_of)
    pages = {
        "officer@bench": ["/officer", "/officer/referrals/new", f"/officer/referrals/{facts['referral_id']}",
                          "/officer/unmet-need", "/data/returns", "/data/forecast"],
        "provider@bench": ["/provider", "/provider/offers"],
        "commissioner@bench": ["/commissioner", "/commissioner/cost-of-care", "/commissioner/market",
                               "/commissioner/stress-test", "/commissioner/matching-run"],
    }  # fmt: skip
    out: dict = {"region": args.region, "seed": args.seed, "as_of": str(as_of), "database": url.split(":")[0],
                 "rounds": args.rounds, "facts": facts, "pages": {}}  # fmt: skip
    every: list[float] = []
    with TestClient(create_app(load_settings(), start_worker=False), base_url="http://127.0.0.1") as c:
        base = []
        for _ in range(args.rounds * 5):
            t = time.perf_counter()
            c.get("/health")
            base.append(time.perf_counter() - t)
        base_median = statistics.median(base)
        out["baseline"] = {"path": "/health", "median_ms": round(1000 * base_median, 2)}
        for email, paths in pages.items():
            c.cookies.clear()
            _sign_in(c, email)
            for path in paths:
                t = time.perf_counter()
                c.get(path)  # the first view: templates compiled, commissioner reports computed
                first = time.perf_counter() - t
                times = []
                for _ in range(args.rounds):
                    t = time.perf_counter()
                    r = c.get(path)
                    times.append(time.perf_counter() - t)
                    assert r.status_code == 200, (path, r.status_code, r.text[:500])
                every += times
                out["pages"][path] = {
                    "first_ms": round(1000 * first, 1),
                    "median_ms": round(1000 * statistics.median(times), 1),
                    "p95_ms": round(1000 * _pct(times, 0.95), 1),
                    "ratio_to_baseline": round(statistics.median(times) / base_median, 1),
                    "bytes": len(r.content),
                }
    out["all_pages"] = {
        "p95_ms": round(1000 * _pct(every, 0.95), 1),
        "median_ms": round(1000 * statistics.median(every), 1),
    }
    worst = max(v["p95_ms"] for v in out["pages"].values())
    out["target"] = {
        "p95_ms_per_page": TARGET_P95_MS,
        "worst_page_p95_ms": worst,
        "met": worst <= TARGET_P95_MS,
    }

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pages.json").write_text(json.dumps(out, indent=2, default=str) + "\n")
    write_report(out)


def write_report(out: dict) -> None:
    """bench/results/pages.md from the measurements (``--report-only`` rewrites it from pages.json)."""
    worst = out["target"]["worst_page_p95_ms"]
    md = [
        f"# Web pages: server time on the {out['region']} demo (seed {out['seed']}, {out['database']}, "
        f"as of {out['as_of']})",
        "",
        f"Generated by `python -m bench.pages`; {out['rounds']} requests per page in process (ASGI, no network), "
        "signed in as the page's role; the first view of each page is shown apart (the commissioner's "
        "aggregate reports are then computed, and kept until the register changes: `rcc/web/cache.py`). "
        f"Baseline `GET /health` in the same process: median {out['baseline']['median_ms']} ms. "
        f"Target p95 <= {TARGET_P95_MS} ms per page: {'met' if out['target']['met'] else 'NOT met'} "
        f"(worst p95 {worst} ms; all pages together p95 {out['all_pages']['p95_ms']} ms).",
        "",
        "| page | first view ms | median ms | p95 ms | x baseline | KB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for path, v in out["pages"].items():
        shown = re.sub(r"/\d+$", "/{id}", path)
        md.append(
            f"| `{shown}` | {v['first_ms']} | {v['median_ms']} | {v['p95_ms']} | {v['ratio_to_baseline']} "
            f"| {v['bytes'] / 1024:.0f} |"
        )
    (RESULTS / "pages.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
