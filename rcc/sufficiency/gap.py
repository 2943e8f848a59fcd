"""The gap between projected demand and the register's supply, with unmet need from matching runs."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

import forecasting as fc
from rcc.auth import Principal
from rcc.db.models import (
    LocalAuthority,
    UnmetNeedRecord,
)
from rcc.errors import Invalid
from rcc.sufficiency import coverage as data_cov
from rcc.sufficiency.forecasts import (
    CATEGORIES,
    SYNC_LOOKBACK_DAYS,
    SYNC_N_SIMS,
    forecast_view,
)
from rcc.sufficiency.scope import (
    COMMISSIONED,
    GapQuery,
    Scope,
    _active_homes,
    _category,
    fees_for,
    resolve_scope,
)

UNMET_KINDS = ("no_eligible_home", "not_preferred_type", "over_20_miles")


GAP_RULE = (
    "For each LA and placement category: required = the upper end of the 80% forecast interval of "
    "children in that category at the horizon (all ages), rounded up - a prudent figure that the "
    "forecast expects to be exceeded about one time in ten. available = the registered places of "
    "active homes of that category located in the LA (children living there now are among the "
    "children projected, so occupied places count as available to them). places to commission = "
    "required - available, never negative. Register home types map to categories through "
    "HOME_TYPE_CATEGORY: foster (LA, IFA, kinship, parent-and-child) -> fostering; children's homes, "
    "secure, short-break and residential special schools -> residential; supported accommodation and "
    "lodgings -> supported. 'other' placements (with parents, placed for adoption, NHS, custody) are "
    "projected but not met by the register's homes, so nothing is commissioned for them. The RCC "
    "row pools the LAs: its required figure comes from the RCC-total forecast (lower than the sum "
    "of the LAs' upper ends, because the LAs' highs rarely coincide) and a spare place in one LA "
    "counts for another, so it can be lower than the sum of the LA rows."
)


def _unmet_need(session: Session, scope: Scope) -> tuple[bool, dict[str, dict[str, int]]]:
    bind = session.get_bind()
    if not inspect(bind).has_table(UnmetNeedRecord.__tablename__):
        return False, {}
    stmt = (
        select(LocalAuthority.gss_code, UnmetNeedRecord.kind, func.count())
        .join(LocalAuthority, LocalAuthority.id == UnmetNeedRecord.la_id)
        .where(UnmetNeedRecord.la_id.in_(scope.la_ids))
        .group_by(LocalAuthority.gss_code, UnmetNeedRecord.kind)
    )
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(UNMET_KINDS, 0))
    for la, kind, n in session.execute(stmt):
        if kind in UNMET_KINDS:
            out[la][kind] += int(n)
    return True, out


def gap(session: Session, who: Principal, q: GapQuery) -> dict[str, Any]:
    """Projected children against the register's places, places to commission and costs (see
    :data:`GAP_RULE`); JSON-able, shaped as :class:`api_schemas.forecasts.GapOut`."""
    horizon, inflation = q.horizon, q.inflation
    if not 1 <= horizon <= 36:
        raise Invalid("horizon must be between 1 and 36 months", "horizon")
    if not -0.5 <= inflation <= 0.5:
        raise Invalid("inflation is a yearly rate between -0.5 and 0.5 (0.03 = 3%)", "inflation")
    scope = resolve_scope(session, who, q.rcc_id, q.la_code, "rcc", "la")
    view = forecast_view(session, who, scope, horizon, q.job_id)
    homes = _active_homes(session, scope.la_ids)
    fees = fees_for(session, scope.la_ids, homes)
    supply: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # reg, occ, free, vac
    for la, home_type, reg, occ, vac, _fee in homes:
        cat = _category(home_type)
        if cat is None:
            continue
        s = supply[(la, cat)]
        s[0] += int(reg)
        s[1] += int(occ)
        s[2] += max(int(reg) - int(occ), 0)
        s[3] += int(vac)
    factor = (1.0 + inflation) ** (horizon / 12.0)
    period = None
    proj: dict[tuple[str, str], tuple[float, float]] = {}
    if view is not None:
        period = view.rows["period"].max()
        at = view.rows[(view.rows["period"] == period) & (view.rows["age_band"] == "all")]
        proj = {(r.la, r.placement): (float(r.mean), float(r.hi_80)) for r in at.itertuples()}

    def base(la: str, name: str, cat: str, las: list[str]) -> dict[str, Any]:
        reg, occ, free, vac = (sum(supply[(x, cat)][i] for x in las) for i in range(4))
        mean, hi = proj.get((la, cat), (None, None))
        required = math.ceil(hi - 1e-9) if hi is not None else None
        commission = max(0, required - reg) if required is not None and cat in COMMISSIONED else None
        return {
            "la": la, "la_name": name, "category": cat,
            "projected_mean": round(mean, 3) if mean is not None else None,
            "projected_hi_80": round(hi, 3) if hi is not None else None,
            "required": required, "registered_places": reg, "occupied_places": occ, "free_places": free,
            "vacancies": vac, "available": reg, "to_commission": commission,
        }  # fmt: skip

    def priced(r: dict[str, Any]) -> dict[str, Any]:
        f, src = fees.fee(r["la"], r["category"]) if r["category"] in COMMISSIONED else (None, "none")
        wk = {
            k: round(r[p] * f * factor, 2) if f is not None and r[p] is not None else None
            for k, p in (("weekly_cost_mean", "projected_mean"), ("weekly_cost_hi_80", "projected_hi_80"))
        }
        return {
            **r, "weekly_fee": f, "fee_source": src, **wk,
            "annual_cost_mean": _times(wk["weekly_cost_mean"], fc.WEEKS_PER_YEAR),
            "annual_cost_hi_80": _times(wk["weekly_cost_hi_80"], fc.WEEKS_PER_YEAR),
        }  # fmt: skip

    def summed(r: dict[str, Any], parts: list[dict[str, Any]], src: str) -> dict[str, Any]:
        return {
            **r,
            "weekly_fee": None,
            "fee_source": src,
            **{k: _sum(p[k] for p in parts) for k in COST_KEYS},
        }

    rows = [priced(base(la, scope.la_names[la], c, [la])) for la in scope.la_codes for c in CATEGORIES]
    label, las = scope.label, list(scope.la_codes)
    if view is not None:  # the totals compare like with like: only LAs the forecast covers
        las = [la for la in las if any((la, c) in proj for c in CATEGORIES)]
        if view.coverage:
            las = [la for la in las if la in set(view.covered_las)]
    total_name = scope.name if scope.kind == "rcc" else scope.la_names[scope.la_codes[0]]
    totals = []
    for c in CATEGORIES:
        parts = [r for r in rows if r["category"] == c]
        t = base(label, total_name, c, las)
        totals.append(priced(t) if scope.kind == "la" else summed(t, parts, "sum of LAs"))
    everything = base(label, total_name, "all", las)
    for k in ("registered_places", "occupied_places", "free_places", "vacancies", "available"):
        everything[k] = sum(t[k] for t in totals)
    everything["to_commission"] = _sum(t["to_commission"] for t in totals)
    totals.append(summed(everything, totals, "sum of categories"))
    available, unmet = _unmet_need(session, scope)
    unmet_rows = []
    for la in scope.la_codes:
        counts = unmet.get(la, dict.fromkeys(UNMET_KINDS, 0))
        unmet_rows.append({"la": la, "la_name": scope.la_names[la], **counts, "total": sum(counts.values())})
    notes = []
    if view is None:
        notes.append("no SSDA903 returns are stored for these LAs: supply is shown without a forecast")
    elif view.source["kind"] == "computed":
        notes.append(
            f"no finished forecast job for this scope and horizon: computed now with {SYNC_N_SIMS} draws "
            f"and a {SYNC_LOOKBACK_DAYS}-day lookback (POST /api/v1/sufficiency/forecasts for full precision)"
        )
    coverage = list(view.coverage) if view is not None else []
    origin = str(view.source.get("origin")) if view is not None else ""
    headline = data_cov.coverage_headline(coverage, origin, label) if coverage else None
    if headline:
        notes.insert(0, headline)
    uncovered = [la for la in scope.la_codes if la not in las]
    if uncovered and not headline:
        notes.append(
            f"no SSDA903 returns stored for {', '.join(uncovered)}: their supply is listed by LA but left out "
            f"of the {label} totals"
        )
    no_fee = sorted({c for la in scope.la_codes for c in COMMISSIONED if fees.fee(la, c)[1] == "none"})
    if no_fee:
        notes.append(f"no priced home of category {', '.join(no_fee)} in the register: not costed")
    notes.append(
        f"costs: projected children x median weekly fee x (1 + {inflation:g}) ** ({horizon}/12) years; "
        f"annual = weekly x {fc.WEEKS_PER_YEAR}"
    )
    source: dict[str, Any] = dict(view.source) if view else {"kind": "none"}
    source["period"] = str(pd.Timestamp(period).date()) if period is not None else None
    cov = data_cov.coverage(
        scope.la_codes, scope.la_names, las if view is not None else [], source.get("origin")
    )
    to_c = everything["to_commission"]
    figure = (
        f"{total_name} needs {to_c} more place{'s' * (to_c != 1)} than are registered by {source['period']}"
        if to_c is not None
        else f"{total_name}: no places to commission could be computed"
    )
    by_la = [r for r in rows if r["la"] in las and (r["to_commission"] or 0) > 0]
    short = sum(r["to_commission"] for r in by_la)
    if scope.kind == "rcc" and to_c is not None and short > to_c:
        # pooled across the RCC the places may suffice while LAs are short in their own area: say both
        n_short = len({r["la"] for r in by_la})
        figure += (
            f"; counted LA by LA, {n_short} of {len(las)} LAs are {short} place{'s' * (short != 1)} short "
            "in their own area"
        )
    return {
        "headline": data_cov.headline(figure, cov),
        "data_coverage": cov,
        "scope": scope.as_dict(),
        "horizon_months": horizon,
        "inflation": inflation,
        "forecast": source,
        "rule": GAP_RULE,
        "rows": rows,
        "totals": totals,
        "unmet_need": unmet_rows,
        "unmet_need_available": available,
        "fees": fees.by_type,
        "notes": notes,
        "coverage": coverage,
        "covered_las": las,
        "_children_at_origin": view.children_at_origin if view else {},
    }


COST_KEYS = ("weekly_cost_mean", "weekly_cost_hi_80", "annual_cost_mean", "annual_cost_hi_80")


def _times(v: float | None, k: float) -> float | None:
    return None if v is None else round(v * k, 2)


def _sum(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(sum(vals), 2) if vals else None
