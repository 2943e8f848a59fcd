"""Helpers every service uses: paging, lookups that 404, patches, LA codes, geocoding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from rcc import geo
from rcc.db.models import Base, LocalAuthority, Provider, Rcc
from rcc.errors import Invalid, NotFound

M = TypeVar("M", bound=Base)


@dataclass(frozen=True)
class WithLa(Generic[M]):
    """A stored row with its LA's GSS code; other attributes read through to the row."""

    row: M
    la_code: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


def with_la_codes(session: Session, result: PageResult) -> PageResult:
    """The page's rows (each with ``la_id``) wrapped as :class:`WithLa`."""
    codes = dict(session.execute(select(LocalAuthority.id, LocalAuthority.gss_code)).tuples().all())
    return PageResult(
        [WithLa(r, codes[r.la_id]) for r in result.items], result.total, result.limit, result.offset
    )


@dataclass(frozen=True)
class PageRequest:
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class PageResult:
    items: list[Any]
    total: int
    limit: int
    offset: int


def paginate(session: Session, stmt: Select, page: PageRequest) -> PageResult:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.limit(page.limit).offset(page.offset)).unique())
    return PageResult(items, total, page.limit, page.offset)


def get_or_404(session: Session, model: type[M], ident: int, entity: str | None = None) -> M:
    obj = session.get(model, ident)
    if obj is None:
        raise NotFound(entity or model.__name__.lower(), ident)
    return obj


def apply_patch(obj: Base, patch: BaseModel, skip: set[str] | None = None) -> dict[str, Any]:
    """Set the fields the caller sent (``exclude_unset``); returns them."""
    changes = patch.model_dump(exclude_unset=True, mode="json")
    for name, value in changes.items():
        if skip and name in skip:
            continue
        setattr(obj, name, value)
    return changes


def resolve_la(session: Session, code: str, field: str = "la_code") -> LocalAuthority:
    """An LA by GSS code (E06000001) or DfE 3-digit code (805); 422 naming ``field`` if unknown."""
    code = code.strip().upper()
    la = session.scalar(
        select(LocalAuthority).where(or_(LocalAuthority.gss_code == code, LocalAuthority.dfe_code == code))
    )
    if la is None:
        raise Invalid(f"unknown local authority code {code!r}", field)
    return la


def resolve_scope(
    session: Session, *, rcc: str | None = None, la: str | None = None, provider: int | None = None
) -> tuple[int | None, int | None, int | None]:
    """An operator's scope (``rcc apikey create``, ``rcc user create``) as ``(rcc_id, la_id,
    provider_id)``: the RCC by id or name, the LA by GSS or DfE code, the provider by id.
    Raises ValueError naming what is unknown."""
    rcc_id = la_id = None
    if rcc is not None:
        cond = Rcc.name == rcc if not rcc.isdigit() else or_(Rcc.id == int(rcc), Rcc.name == rcc)
        row = session.scalar(select(Rcc).where(cond))
        if row is None:
            raise ValueError(f"no RCC {rcc!r}")
        rcc_id = row.id
    if la is not None:
        try:
            la_id = resolve_la(session, la, "la").id
        except Invalid as exc:
            raise ValueError(exc.message) from exc
    if provider is not None and session.get(Provider, provider) is None:
        raise ValueError(f"no provider {provider}")
    return rcc_id, la_id, provider


def geocode_area(
    value: str, field: str, *, sector_at_most: bool = False
) -> tuple[str, float, float, str | None]:
    """Normalised postcode area, easting, northing and LA for ``value``; 422 naming ``field``.

    With ``sector_at_most`` a full postcode is refused: children's locations are held as
    postcode sector at most.
    """
    try:
        _, canonical = geo.normalise_postcode(value)
        point = geo.geocode(value)
    except geo.UnknownPostcode as exc:
        raise Invalid(f"unknown postcode {value!r}", field) from exc
    if sector_at_most and point.kind == "postcode":
        raise Invalid("give the postcode sector (e.g. 'NE1 4'), not a full postcode", field)
    return canonical, point.easting, point.northing, point.la_gss_code


def la_for_point(
    session: Session, lower_tier_code: str | None, easting: float, northing: float
) -> LocalAuthority:
    """The children's-services LA a geocoded point lies in.

    Unitary, metropolitan and London codes are children's-services LAs themselves. A district
    of a two-tier county (E07…) resolves to the county whose population-weighted centroid is
    nearest, which is right away from county borders; give ``la_code`` explicitly near one.
    """
    if lower_tier_code:
        la = session.scalar(select(LocalAuthority).where(LocalAuthority.gss_code == lower_tier_code))
        if la is not None:
            return la
    dist = (LocalAuthority.easting - easting) * (LocalAuthority.easting - easting) + (
        LocalAuthority.northing - northing
    ) * (LocalAuthority.northing - northing)
    return session.scalars(
        select(LocalAuthority).where(LocalAuthority.easting.is_not(None)).order_by(dist).limit(1)
    ).one()  # the 153 LAs are loaded with the schema
