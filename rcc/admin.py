"""Operator tasks behind the CLI: API keys and the demo region."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from rcc.auth import Role, create_api_key
from rcc.db import transaction
from rcc.db.models import Provider, Rcc
from rcc.pagination import resolve_la


def create_key(
    factory: sessionmaker[Session],
    role: str,
    *,
    rcc: str | None = None,
    la: str | None = None,
    provider: int | None = None,
    label: str | None = None,
) -> str:
    try:
        r = Role(role)
    except ValueError as exc:
        raise ValueError(f"role must be one of {', '.join(x.value for x in Role)}") from exc
    with transaction(factory) as s:
        rcc_id = la_id = None
        if rcc is not None:
            cond = Rcc.name == rcc if not rcc.isdigit() else or_(Rcc.id == int(rcc), Rcc.name == rcc)
            row = s.scalar(select(Rcc).where(cond))
            if row is None:
                raise ValueError(f"no RCC {rcc!r}")
            rcc_id = row.id
        if la is not None:
            la_id = resolve_la(s, la, "la").id
        if provider is not None and s.get(Provider, provider) is None:
            raise ValueError(f"no provider {provider}")
        _, plaintext = create_api_key(s, r, label=label, rcc_id=rcc_id, la_id=la_id, provider_id=provider)
    return plaintext


def load_demo(
    factory: sessionmaker[Session],
    data_dir: Path,
    region: str,
    seed: int,
    scale: float,
    keys: bool,
    as_of: dt.date | None = None,
) -> list[str]:
    """Generate and store a demo region; returns lines to print (counts, and keys if asked)."""
    from rcc.demo.generate import generate_region
    from rcc.demo.load import AlreadyLoaded, existing_summary, load_region

    demo = generate_region(region, seed=seed, data_dir=data_dir, scale=scale, as_of=as_of)
    try:
        with transaction(factory) as s:
            summary = load_region(s, demo)
        lines = [f"{k}: {v}" for k, v in summary.counts.items()]
    except AlreadyLoaded:
        with factory() as s:
            summary = existing_summary(s, demo)
        lines = [f"{demo.rcc_name!r} is already loaded; nothing changed"]
    if keys:
        with transaction(factory) as s:
            la = summary.first_la_code
            made = {
                "admin": create_api_key(s, Role.ADMIN, label="demo admin")[1],
                "rcc_commissioner": create_api_key(
                    s, Role.RCC_COMMISSIONER, label="demo commissioner", rcc_id=summary.rcc_id
                )[1],
                f"la_officer ({la})": create_api_key(
                    s, Role.LA_OFFICER, label="demo LA officer", la_id=summary.first_la_id
                )[1],
                f"provider ({summary.first_provider_name})": create_api_key(
                    s, Role.PROVIDER, label="demo provider", provider_id=summary.first_provider_id
                )[1],
            }
        lines.append("demo API keys (shown once):")
        lines += [f"  {role}: {key}" for role, key in made.items()]
    return lines
