"""What a sufficiency question is about (one LA or an RCC), its episode history, fees and scenarios."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import median
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import forecasting as fc
from api_schemas.forecasts import ScenarioIn
from api_schemas.vocab import HOME_TYPE_CATEGORY, HomeType
from rcc.auth import Principal, Role
from rcc.db.models import (
    Home,
    LocalAuthority,
    Rcc,
    RccMember,
    Vacancy,
)
from rcc.errors import Conflict, Forbidden, Invalid, NotFound
from rcc.pagination import get_or_404, resolve_la
from rcc.register.interface import occupied_subquery
from rcc.sufficiency.episodes import current_episodes

REGION = fc.REGION  # label of the RCC-total rows


COMMISSIONED = ("fostering", "residential", "supported")  # categories the register's homes provide


REGISTER_TO_FORECAST = {"foster": "fostering", "residential": "residential", "supported": "supported"}


DEFAULT_INFLATION = 0.03


@dataclass(frozen=True)
class GapQuery:
    """What the gap, its chart and the report are asked for: the scope (an RCC or one LA: give
    one), months ahead, yearly fee inflation for costs, and which finished forecast job (None:
    the latest). Frozen and hashable, so the web pages key their cache on it."""

    rcc_id: int | None = None
    la_code: str | None = None
    horizon: int = 12
    inflation: float = DEFAULT_INFLATION
    job_id: str | None = None


@dataclass(frozen=True)
class Scope:
    """What a forecast or gap covers: an RCC's member LAs, or one LA."""

    kind: str  # "rcc" | "la"
    rcc_id: int | None
    la_ids: tuple[int, ...]
    la_codes: tuple[str, ...]  # GSS codes, same order as la_ids
    la_names: dict[str, str] = field(default_factory=dict)
    name: str = ""

    @property
    def label(self) -> str:
        """The rows that total the scope: ``RCC`` for an RCC, the LA's code for one LA."""
        return REGION if self.kind == "rcc" else self.la_codes[0]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rcc_id": self.rcc_id,
            "name": self.name,
            "la_codes": list(self.la_codes),
            "la_names": dict(self.la_names),
        }


def resolve_scope(
    session: Session,
    who: Principal,
    rcc_id: int | None,
    la_code: str | None,
    rcc_field: str = "rcc_id",
    la_field: str = "la_code",
) -> Scope:
    """The caller's scope: providers never see sufficiency (403); an RCC or LA outside the caller's
    scope is not found (404); an LA officer works on their own LA only."""
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see sufficiency forecasts")
    if (rcc_id is None) == (la_code is None):
        raise Invalid("give exactly one of an RCC or an LA", rcc_field)
    if rcc_id is not None:
        if who.role is Role.LA_OFFICER:
            raise Forbidden("an LA officer sees their own LA's sufficiency; ask for it by LA code")
        rcc = get_or_404(session, Rcc, rcc_id, "rcc")
        if who.role is Role.RCC_COMMISSIONER and who.rcc_id != rcc_id:
            raise NotFound("rcc", rcc_id)
        las = list(rcc.members)
        if not las:
            raise Conflict(f"RCC {rcc_id} has no member LAs")
        return Scope(
            "rcc",
            rcc_id,
            tuple(la.id for la in las),
            tuple(la.gss_code for la in las),
            {la.gss_code: la.name for la in las},
            rcc.name,
        )
    assert la_code is not None  # exactly one of rcc_id and la_code was given
    la = resolve_la(session, la_code, la_field)
    if not who.can_see_la(la.id):
        raise NotFound("local authority", la_code)
    home_rcc = session.scalar(
        select(RccMember.rcc_id).where(RccMember.la_id == la.id).order_by(RccMember.rcc_id)
    )
    if who.role is Role.RCC_COMMISSIONER:
        home_rcc = who.rcc_id
    return Scope("la", home_rcc, (la.id,), (la.gss_code,), {la.gss_code: la.name}, la.name)


def origin_of(history: pd.DataFrame) -> pd.Timestamp:
    """31 March ending the latest collection year stored: the returns are complete up to it."""
    return pd.Timestamp(int(history["collection_year"].max()) + 1, 3, 31)


def load_history(session: Session, scope: Scope) -> pd.DataFrame:
    return current_episodes(session, scope.la_ids)


@dataclass(frozen=True)
class Fees:
    """Median weekly fees: by (LA, home type), and by (LA, forecast category) with RCC fallback."""

    by_type: list[dict[str, Any]]
    la_category: dict[tuple[str, str], float]
    rcc_category: dict[str, float]

    def fee(self, la: str, category: str) -> tuple[float | None, str]:
        if (la, category) in self.la_category:
            return self.la_category[(la, category)], "la"
        if category in self.rcc_category:
            return self.rcc_category[category], "rcc"
        return None, "none"


def _category(home_type: str) -> str | None:
    try:
        return REGISTER_TO_FORECAST[HOME_TYPE_CATEGORY[HomeType(home_type)].value]
    except (KeyError, ValueError):
        return None


def _active_homes(session: Session, la_ids: Iterable[int]) -> list[tuple]:
    occ = occupied_subquery()
    vac = (
        select(Vacancy.home_id, func.sum(Vacancy.places).label("places"))
        .where(Vacancy.places > 0)
        .group_by(Vacancy.home_id)
        .subquery()
    )
    stmt = (
        select(
            LocalAuthority.gss_code,
            Home.home_type,
            Home.registered_places,
            func.coalesce(occ.c.occupied, 0),
            func.coalesce(vac.c.places, 0),
            Home.fee_core + Home.fee_additional_support + Home.fee_education + Home.fee_other,
        )
        .join(LocalAuthority, LocalAuthority.id == Home.la_id)
        .outerjoin(occ, occ.c.home_id == Home.id)
        .outerjoin(vac, vac.c.home_id == Home.id)
        .where(Home.la_id.in_(list(la_ids)), Home.registration_status == "active")
    )
    return list(session.execute(stmt))


def fees_for(session: Session, la_ids: Iterable[int], homes: list[tuple] | None = None) -> Fees:
    homes = homes if homes is not None else _active_homes(session, la_ids)
    by_type: dict[tuple[str, str], list[float]] = defaultdict(list)
    by_cat: dict[tuple[str, str], list[float]] = defaultdict(list)
    rcc: dict[str, list[float]] = defaultdict(list)
    for la, home_type, _reg, _occ, _vac, fee in homes:
        cat = _category(home_type)
        if cat is None or not fee or fee <= 0:
            continue
        by_type[(la, home_type)].append(float(fee))
        by_cat[(la, cat)].append(float(fee))
        rcc[cat].append(float(fee))
    rows = [
        {
            "la": la,
            "home_type": t,
            "category": _category(t),
            "homes": len(v),
            "median_weekly_fee": float(median(v)),
        }
        for (la, t), v in sorted(by_type.items())
    ]
    return Fees(
        rows,
        {k: float(median(v)) for k, v in by_cat.items()},
        {k: float(median(v)) for k, v in rcc.items()},
    )


def to_scenario(session: Session, data: ScenarioIn | None) -> dict[str, Any] | None:
    """The scenario as stored in job params (JSON), LA codes resolved to GSS; validated by
    building the library's :class:`forecasting.Scenario` (422 naming the field if refused)."""
    if data is None:
        return None
    las = None
    if data.la_codes is not None:
        las = [
            resolve_la(session, c, f"scenario.la_codes[{i}]").gss_code for i, c in enumerate(data.la_codes)
        ]
    stored = {
        "name": data.name,
        "entry_multiplier": data.entry_multiplier,
        "entry_by_age": dict(data.entry_by_age),
        "entry_by_placement": dict(data.entry_by_placement),
        "exit_multiplier": data.exit_multiplier,
        "exit_by_age": dict(data.exit_by_age),
        "exit_by_placement": dict(data.exit_by_placement),
        "transitions": [[t.from_, t.to, t.multiplier] for t in data.transitions],
        "las": las,
    }
    for name in ("uasc_monthly_arrivals", "uasc_quota"):
        given = getattr(data, name)
        if given:
            stored[name] = {
                k if k == "*" else resolve_la(session, k, f"scenario.{name}[{k}]").gss_code: float(v)
                for k, v in given.items()
            }
    try:
        scenario_from_params(stored)
    except (KeyError, ValueError) as exc:
        raise Invalid(f"scenario refused: {exc}", "scenario") from exc
    return stored


def scenario_from_params(p: dict[str, Any] | None) -> fc.Scenario:
    if not p:
        return fc.BASELINE
    return fc.Scenario(
        name=p.get("name", "scenario"),
        entry_multiplier=float(p.get("entry_multiplier", 1.0)),
        entry_by_age=dict(p.get("entry_by_age") or {}),
        entry_by_placement=dict(p.get("entry_by_placement") or {}),
        exit_multiplier=float(p.get("exit_multiplier", 1.0)),
        exit_by_age=dict(p.get("exit_by_age") or {}),
        exit_by_placement=dict(p.get("exit_by_placement") or {}),
        transition_multipliers={(a, b): float(v) for a, b, v in p.get("transitions") or []},
        las=tuple(p["las"]) if p.get("las") else None,
        uasc_monthly_arrivals={str(k): float(v) for k, v in (p.get("uasc_monthly_arrivals") or {}).items()},
        uasc_quota={str(k): float(v) for k, v in (p.get("uasc_quota") or {}).items()},
    )


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = df.copy()
    out["period"] = pd.to_datetime(out["period"]).dt.date.astype(str)
    num = [c for c in out.columns if c == "mean" or c.startswith(("lo_", "hi_"))]
    out[num] = out[num].astype(float).round(3)
    return out.to_dict(orient="records")
