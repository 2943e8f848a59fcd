"""Commissioning intelligence and market oversight for an RCC: the database side.

Cost of care, provider concentration, the financial-oversight register, stability and outcome
measures with equality breakdowns, and the provider-exit stress test (a persisted job). The
arithmetic lives in :mod:`rcc.commissioning.stats`; rendering (CSV, HTML) in
:mod:`rcc.commissioning.render`.

Who sees what: an RCC commissioner their own RCC, an admin any RCC, an LA officer their own LA's
figures within an RCC their LA belongs to (with the RCC median alongside for comparison); providers
are refused (403). Anything that lists children (the oversight register, the stress test's
per-child rows) appends ``read`` audit events for those children.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from rcc.auth import Principal
from rcc.cache import VersionedCache
from rcc.commissioning.cost import concentration, cost_of_care
from rcc.commissioning.outcomes import equality, outcomes
from rcc.commissioning.scope import placements_memo
from rcc.db import versions


def cost_of_care_csv(session: Session, who: Principal, rcc_id: int, start, end, la_code=None) -> str:
    from rcc.commissioning import render as render

    return render.cost_of_care_csv(cost_of_care(session, who, rcc_id, start, end, la_code))


def concentration_csv(session: Session, who: Principal, rcc_id: int) -> str:
    from rcc.commissioning import render as render

    return render.concentration_csv(concentration(session, who, rcc_id))


def equality_csv(session: Session, who: Principal, rcc_id: int, start, end, la_code=None) -> str:
    from rcc.commissioning import render as render

    return render.equality_csv(equality(session, who, rcc_id, start, end, la_code))


def published_report_html(
    session: Session,
    who: Principal,
    rcc_id: int,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    la_code: str | None = None,
    data_dir: Path | None = None,
) -> str:
    """The period's management-information report for the RCC (or one member LA): no child-level data,
    so nothing to audit. Built once per caller scope, arguments and day while the data are unchanged
    (any change to any record moves the ``data`` version), however many ask for it."""
    from rcc.commissioning import render as render

    def build() -> str:
        with placements_memo(session):  # the three sections read the same placements once, not thrice
            cost = cost_of_care(session, who, rcc_id, period_start, period_end, la_code)
            outs = outcomes(session, who, rcc_id, period_start, period_end, la_code, data_dir)
            eq = equality(session, who, rcc_id, period_start, period_end, la_code)
            conc = concentration(session, who, rcc_id) if cost["la_code"] is None else None
        return render.published_report_html(cost, outs, eq, conc)

    scope = (who.role, who.rcc_id, who.la_id, who.provider_id, who.rcc_la_ids)
    key = (
        "published_report",
        scope,
        rcc_id,
        period_start,
        period_end,
        la_code,
        str(data_dir),
        dt.date.today(),
    )
    return _REPORTS.get(session, key, build)


_REPORTS = VersionedCache(maxsize=32, version=versions.DATA)
