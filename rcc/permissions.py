"""Who may write what: the field-level write-permission matrix and its scope rules, in one place.

``WRITERS[resource][field]`` is the set of roles that may set ``field`` when creating or changing a
``resource``; ``"*"`` covers the resource's other fields. A role outside a field's set gets 403
naming the field. Each role writes only within its scope (:data:`SCOPES`): a record outside it
is 404 when the role cannot read it either, 403 when it can (supply is readable by every role).

Why these rules:

- Regulatory fields (URN, registration status, Ofsted judgement and its date) drive a hard
  matching rule, the concentration figures and the exit stress test; they come from Ofsted, so
  only an admin (or an Ofsted import running as the system) sets them.
- Financial-oversight and market fields (owner group, risk rating, difficult to replace,
  contingency plan) are the RCC's judgement about a provider, never the provider's own claim:
  commissioners set them, within their own RCC.
- A home's LA is derived from its postcode. An admin may name it where the offline geocoder's
  district-to-county guess is wrong near a county border; anyone else may only confirm it.
- Children, referrals and placements belong to the child's LA: its officers (or an admin) write
  them, and a placement may name only a referral of the same LA that lists the child.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from rcc.auth import Principal, Role
from rcc.errors import FieldProblem, Forbidden, Invalid, NotFound

A, C, L, P = Role.ADMIN, Role.RCC_COMMISSIONER, Role.LA_OFFICER, Role.PROVIDER

REGULATORY = frozenset({A})
OVERSIGHT = frozenset({A, C})
SUPPLY = frozenset({A, C, P})
CHILD_LA = frozenset({A, L})

WRITERS: dict[str, dict[str, frozenset[Role]]] = {
    "rcc": {"*": frozenset({A})},
    "matching_policy": {"*": frozenset({A, C})},
    "provider": {
        "*": SUPPLY,  # name, sector, companies_house_number
        "owner_group": OVERSIGHT,
        "risk_rating": OVERSIGHT,
        "difficult_to_replace": OVERSIGHT,
        "contingency_plan_held": OVERSIGHT,
        "contingency_plan_date": OVERSIGHT,
    },
    "home": {
        "*": SUPPLY,  # name, type, places, ages, sexes, needs, fees, postcode
        "urn": REGULATORY,
        "registration_status": REGULATORY,
        "ofsted_judgement": REGULATORY,
        "ofsted_judgement_date": REGULATORY,
        "la_code": REGULATORY,  # derived from the postcode; others may only confirm it
    },
    "vacancy": {"*": SUPPLY},
    "child": {"*": CHILD_LA},
    "referral": {"*": CHILD_LA},
    "placement": {"*": CHILD_LA},
}

SCOPES: dict[Role, str] = {
    A: "everything",
    C: "providers with a home in the RCC's member LAs (or none yet), homes located there and their "
    "vacancies; reads children, referrals and placements of member LAs",
    L: "children, referrals and placements of their own LA",
    P: "their own provider record, its homes and their vacancies (regulatory and oversight fields excepted)",
}


def writers(resource: str, field: str) -> frozenset[Role]:
    table = WRITERS[resource]
    return table.get(field, table["*"])


def check_fields(who: Principal, resource: str, fields: Iterable[str]) -> None:
    """403 naming every field in ``fields`` that ``who``'s role may not write on ``resource``."""
    refused = sorted(f for f in set(fields) if who.role not in writers(resource, f))
    if refused:
        raise Forbidden(
            f"a {who.role.value} key may not set {', '.join(refused)} on a {resource}",
        ) from None


def refused_fields(who: Principal, resource: str, fields: Iterable[str]) -> list[str]:
    return sorted(f for f in set(fields) if who.role not in writers(resource, f))


# ---------------------------------------------------------------- scope rules


def provider_in_rcc(session: Session, provider_id: int, la_ids: Iterable[int]) -> bool:
    """A provider is in an RCC's scope if one of its homes is located in a member LA, or it has no
    homes yet (a provider the commissioner has just registered)."""
    from rcc.db.models import Home

    la_ids = list(la_ids)
    has_home = session.scalar(select(exists().where(Home.provider_id == provider_id)))
    if not has_home:
        return True
    return bool(
        session.scalar(select(exists().where(Home.provider_id == provider_id, Home.la_id.in_(la_ids))))
    )


def check_provider_write(session: Session, who: Principal, provider_id: int) -> None:
    if who.role is L:
        raise Forbidden("LA officers may read supply but not change it")
    if who.role is P and who.provider_id != provider_id:
        raise NotFound("provider", provider_id)
    if who.role is C and not provider_in_rcc(session, provider_id, who.rcc_la_ids):
        raise Forbidden("the provider has no home in this RCC's area")


def check_home_write(who: Principal, provider_id: int, *la_ids: int) -> None:
    """A home (or its vacancies) may be written by its provider, by a commissioner of the RCC it is
    located in (every LA in ``la_ids``: where it is and, on a move, where it goes), or an admin."""
    if who.role is L:
        raise Forbidden("LA officers may read supply but not change it")
    if who.role is P and provider_id != who.provider_id:
        raise NotFound("provider", provider_id)
    if who.role is C and any(la not in who.rcc_la_ids for la in la_ids):
        raise Forbidden("the home is not located in this RCC's area")


def check_home_la(who: Principal, derived_la_id: int, given_la_id: int | None, given_code: str | None) -> int:
    """The home's LA: the one its postcode lies in. An admin may override it (county borders);
    anyone else sending ``la_code`` must agree with the postcode (422 otherwise)."""
    if given_la_id is None or given_la_id == derived_la_id:
        return derived_la_id
    if who.role is A:
        return given_la_id
    raise Invalid(
        f"the postcode lies in another LA than {given_code!r}; a home's LA is taken from its postcode",
        "la_code",
    )


def check_child_write(who: Principal, la_id: int) -> None:
    if who.role not in CHILD_LA:
        raise Forbidden("only the child's own LA changes these records")
    if who.role is L and who.la_id != la_id:
        raise Forbidden("an LA officer acts only for their own LA")


def check_placement_referral(
    session: Session, child_id: int, child_la_id: int, referral_id: int | None
) -> None:
    """A placement may name only a referral of the child's own LA that lists the child (422 naming
    ``referral_id`` otherwise, worded as not found so nothing leaks)."""
    if referral_id is None:
        return
    from rcc.db.models import Referral, ReferralChild

    ref = session.get(Referral, referral_id)
    names_child = session.scalar(
        select(exists().where(ReferralChild.referral_id == referral_id, ReferralChild.child_id == child_id))
    )
    if ref is None or ref.la_id != child_la_id or not names_child:
        raise Invalid(
            f"referral {referral_id} not found for child {child_id}",
            details=[FieldProblem("referral_id", "not a referral of the child's LA that lists the child")],
        )
