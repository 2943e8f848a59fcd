"""What a commissioning report covers (an RCC, optionally one LA, a period) and the placement rows it reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api_schemas.vocab import HOME_TYPE_CATEGORY, HomeType, ProviderSector
from rcc.auth import Principal, Role
from rcc.children.interface import age_on
from rcc.commissioning import stats as st
from rcc.db.models import Child, Home, LocalAuthority, Placement, Provider, Rcc, RccMember, Referral
from rcc.errors import Forbidden, Invalid, NotFound
from rcc.owner_groups import resolver
from rcc.pagination import resolve_la

SOURCE = (
    "RCC placement register: placements (agreed weekly cost in NPS components), homes, providers and "
    "children of the RCC's member local authorities"
)


COMPONENTS = ("core", "additional_support", "education", "other", "total")


COMMON_CAVEATS = (
    f"Figures based on fewer than {st.SUPPRESS_BELOW} placements or children are suppressed "
    f"(shown as '{st.SUPPRESSED}' or null), as in official statistics; counts of 1-4 are suppressed too.",
    "No DfE statistical-neighbour data is held in the shared open data, so each LA is compared with the "
    "median of the RCC it belongs to, not with its statistical neighbours.",
)


@dataclass(frozen=True)
class Scope:
    rcc: Rcc
    member_ids: tuple[int, ...]  # every LA of the RCC
    la_ids: tuple[int, ...]  # the LAs whose children these figures cover
    la: LocalAuthority | None  # set when narrowed to one LA

    @property
    def label(self) -> str:
        return f"{self.rcc.name}" + (f" - {self.la.name}" if self.la else "")


def resolve_scope(session: Session, who: Principal, rcc_id: int, la_code: str | None = None) -> Scope:
    """The RCC (and optionally one member LA) the caller may read; 404 outside their scope."""
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see commissioning intelligence")
    rcc = session.get(Rcc, rcc_id)
    if rcc is None or (who.role is Role.RCC_COMMISSIONER and who.rcc_id != rcc_id):
        raise NotFound("rcc", rcc_id)
    members = tuple(sorted(session.scalars(select(RccMember.la_id).where(RccMember.rcc_id == rcc_id))))
    la = None
    if who.role is Role.LA_OFFICER:
        if who.la_id not in members:
            raise NotFound("rcc", rcc_id)
        if la_code is not None and resolve_la(session, la_code, "la").id != who.la_id:
            raise Forbidden("an LA officer reads their own LA's figures only")
        la = session.get(LocalAuthority, who.la_id)
    elif la_code is not None:
        la = resolve_la(session, la_code, "la")
        if la.id not in members:
            raise Invalid(f"{la.name} is not a member of {rcc.name}", "la")
    return Scope(rcc, members, (la.id,) if la else members, la)


def check_period(period_start: dt.date | None, period_end: dt.date | None) -> tuple[dt.date, dt.date]:
    """Defaults: the 12 months ending today. 422 naming ``period_end`` if the period runs backwards."""
    end = period_end or dt.date.today()
    start = period_start or st.year_before(end)
    if start > end:
        raise Invalid("period_end must not be before period_start", "period_end")
    if (end - start).days > 366 * 10:
        raise Invalid("the period may span at most 10 years", "period_start")
    return start, end


def _la_names(session: Session, ids: Iterable[int]) -> dict[int, LocalAuthority]:
    ids = list(ids)
    return {la.id: la for la in session.scalars(select(LocalAuthority).where(LocalAuthority.id.in_(ids)))}


def _header(scope: Scope, start: dt.date | None = None, end: dt.date | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rcc_id": scope.rcc.id,
        "rcc_name": scope.rcc.name,
        "la_code": scope.la.gss_code if scope.la else None,
        "la_name": scope.la.name if scope.la else None,
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "source": SOURCE,
    }
    if start is not None and end is not None:
        out["period_start"], out["period_end"] = start.isoformat(), end.isoformat()
    return out


@dataclass(frozen=True)
class PRow:
    """One placement with what the measures need (read once, grouped in Python)."""

    placement_id: int
    child_id: int
    child_la_id: int
    start: dt.date
    end: dt.date | None
    reason_ended: str | None
    contract: str
    core: int
    additional_support: int
    education: int
    other: int
    home_id: int
    home_type: str
    home_la_id: int
    home_e: float
    home_n: float
    provider_id: int
    provider_name: str
    sector: str
    owner_group: str
    child_birth: dt.date
    child_ethnicity: str | None
    child_needs: tuple[str, ...]
    child_uasc: bool
    child_e: float
    child_n: float
    referral_created: dt.datetime | None

    @property
    def total(self) -> int:
        return self.core + self.additional_support + self.education + self.other

    def component(self, name: str) -> int:
        return self.total if name == "total" else getattr(self, name)

    @property
    def category(self) -> str:
        try:
            return HOME_TYPE_CATEGORY[HomeType(self.home_type)].value
        except ValueError:
            return "other"

    @property
    def in_house(self) -> bool:
        return self.sector == ProviderSector.LOCAL_AUTHORITY.value or self.contract == "in_house"

    @property
    def miles(self) -> float:
        return st.miles(self.child_e, self.child_n, self.home_e, self.home_n)


_MEMO = "rcc_placements_memo"


@contextmanager
def placements_memo(session: Session) -> Iterator[None]:
    """Within the block, :func:`_placements` answers a request that an earlier one in the block covers
    (the same or more LAs, a window that holds the new one) by filtering the rows it already read,
    instead of reading them again: a report reads them for its cost, outcome and equality sections.
    Only for blocks that read: the rows are not re-read after a change made inside the block."""
    outer = session.info.get(_MEMO)
    session.info[_MEMO] = outer if outer is not None else []
    try:
        yield
    finally:
        if outer is None:
            session.info.pop(_MEMO, None)


def _placements(session: Session, la_ids: Iterable[int], start: dt.date, end: dt.date) -> list[PRow]:
    """Placements of children of ``la_ids`` overlapping ``[start, end]`` (end dates exclusive)."""
    las = frozenset(la_ids)
    memo: list[tuple[frozenset[int], dt.date, dt.date, list[PRow]]] | None = session.info.get(_MEMO)
    if memo is not None:
        for m_las, m_start, m_end, m_rows in memo:
            if las <= m_las and m_start <= start and end <= m_end:
                return [
                    r for r in m_rows
                    if r.child_la_id in las and r.start <= end and (r.end is None or r.end > start)
                ]  # fmt: skip
    rows = _read_placements(session, las, start, end)
    if memo is not None:
        memo.append((las, start, end, rows))
    return rows


def _read_placements(session: Session, la_ids: Iterable[int], start: dt.date, end: dt.date) -> list[PRow]:
    stmt = (
        select(Placement, Home, Provider, Child, Referral.created_at)
        .join(Home, Placement.home_id == Home.id)
        .join(Provider, Home.provider_id == Provider.id)
        .join(Child, Placement.child_id == Child.id)
        .outerjoin(Referral, Placement.referral_id == Referral.id)
        .where(Child.la_id.in_(list(la_ids)), Placement.start_date <= end)
        .where((Placement.end_date.is_(None)) | (Placement.end_date > start))
        .order_by(Placement.id)
    )
    rows = []
    canonical = resolver(session)
    for p, h, pr, c, created in session.execute(stmt):
        rows.append(
            PRow(
                p.id, c.id, c.la_id, p.start_date, p.end_date, p.reason_ended, p.contract or "spot",
                p.weekly_core, p.weekly_additional_support, p.weekly_education, p.weekly_other,
                h.id, h.home_type, h.la_id, h.easting, h.northing,
                pr.id, pr.name, pr.sector, st.owner_group_key(canonical(pr.owner_group), pr.name, pr.id),
                c.birth_month, c.ethnicity, tuple(c.needs or ()), bool(c.uasc), c.home_easting, c.home_northing,
                created,
            )
        )  # fmt: skip
    return rows


def _age(r: PRow, on: dt.date) -> int:
    return age_on(r.child_birth, on)
