"""Schemathesis against the service's own OpenAPI document: server errors, undocumented status codes,
response-schema violations and 405s without ``Allow``, on a small seeded register.

    python -m bench.schemathesis_run [--examples 60] [--seed 20261130] [--database-url URL]

The database (default: a fresh SQLite file; a PostgreSQL URL is emptied and re-migrated) gets the
153 LAs, one RCC of two LAs, two providers with a home each, a child and a referral, and an admin key.
Every operation then gets ``--examples`` positive and ``--examples`` negative cases (seeded, so a rerun
sends the same requests). Writes ``bench/results/schemathesis.json`` (``--label`` names the entry, so a
"before" and an "after" run sit side by side). The bounded version of this run is in the test suite
(``tests/api/test_schemathesis.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def seed_register(url: str, data_dir: Path) -> str:
    """Migrate ``url`` from scratch and load a tiny register; return an admin API key."""
    from sqlalchemy import select

    from rcc.auth import Role, create_api_key
    from rcc.db import make_engine, make_sessionmaker, transaction
    from rcc.db.migrate import downgrade, upgrade
    from rcc.db.models import Child, Home, LocalAuthority, Provider, Rcc, Referral
    from rcc.register.interface import seed_local_authorities

    if url.startswith("postgresql"):
        downgrade(url, "base")
    upgrade(url)
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as s:
        seed_local_authorities(s, data_dir)
        las = {la.gss_code: la for la in s.scalars(select(LocalAuthority))}
        a, b = las["E08000021"], las["E06000002"]
        s.add(Rcc(name="Fuzz RCC", members=[a, b]))
        for name, la in (("Acme Care", a), ("Beta Homes", b)):
            p = Provider(name=name, sector="private", owner_group=f"{name} Group")
            s.add(p)
            s.flush()
            s.add(Home(provider_id=p.id, name=f"{name} House", home_type="childrens_home", postcode="NE1 4",
                       easting=425000.0, northing=564000.0, la_id=la.id, registered_places=3, age_min=8,
                       age_max=17, sexes_accepted=["male", "female"], needs_met=[], ofsted_judgement="good",
                       fee_core=3000))  # fmt: skip
        child = Child(la_id=a.id, la_child_id="FUZZ-1", birth_month=dt.date(2012, 5, 1), sex="female",
                      home_postcode_sector="NE1 4", home_easting=425000.0, home_northing=564000.0)  # fmt: skip
        s.add(child)
        s.flush()
        s.add(Referral(la_id=a.id, needed_by="> 5 days", children=[child]))
        key = create_api_key(s, Role.ADMIN)[1]
    engine.dispose()
    return key


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=60, help="cases per operation and mode")
    ap.add_argument("--seed", type=int, default=20261130)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--label", default="current")
    args = ap.parse_args()

    from bench.schemathesis_harness import fuzz
    from rcc.app import create_app
    from rcc.config import Settings

    data_dir = Path(os.environ.get("RCC_DATA_DIR") or ROOT.parent / "shared" / "data")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/fuzz.db"
        token = seed_register(url, data_dir)
        app = create_app(Settings(database_url=url, data_dir=data_dir, worker="off"), start_worker=False)
        report = fuzz(app, token, examples=args.examples, seed_value=args.seed).summary()
        app.state.engine.dispose()
    report |= {"examples_per_operation_and_mode": args.examples, "seed": args.seed,
               "database": "postgresql" if url.startswith("postgresql") else "sqlite"}  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "schemathesis.json"
    runs = json.loads(out.read_text()) if out.exists() else {}
    runs[args.label] = report
    out.write_text(json.dumps(runs, indent=2, sort_keys=True) + "\n")
    keys = ("cases", "seconds", "server_errors", "server_errors_distinct", "undocumented_status",
            "undocumented_status_distinct", "schema_violations", "405_without_allow")  # fmt: skip
    print(json.dumps({k: report[k] for k in keys}))


if __name__ == "__main__":
    main()
