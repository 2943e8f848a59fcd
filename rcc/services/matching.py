"""Placement matching in the service: the register's rows as the matching library's dataclasses,
per-RCC policy, shortlists, an officer's own choice scored, region-wide runs as persisted jobs,
offers to providers, and the unmet-need evidence sufficiency planning counts.

Decisions (documented here because the library leaves them to the service):

* **Free places** of a home = registered places - placements holding a place (not ended on the
  matching date, including placements accepted to start later: a booked place is taken). Where the provider has declared vacancies for the
  home, the declared places available on or before the matching date *cap* that number
  (``min(registered - occupied, declared)``): a provider who declares vacancies is telling us how
  many of its registered places it will actually fill. A home with no vacancy rows at all is taken
  at its registered capacity (many foster households never declare vacancies). A vacancy dated in
  the future therefore means "no place yet". An accepted offer uses up the declared places.
* **Resident ages** come from those placements (current and booked); a home with none has
  ``()`` ("nobody else lives there"). Carers' own children are not in the register, which is why
  every proposal goes to the provider as an offer they may decline.
* **Home LA** of a child is the responsible LA (the LA that looks after the child); the DfE
  "outside LA boundary" measure is relative to it.
* **Regional median fee** per home type: the policy's ``median_weekly_fee`` where the RCC set
  it, else the library computes it over the homes given to the call (the candidate homes).
* **Policy** for a shortlist: the RCC given in ``rcc``, else the RCC the referral's LA belongs to,
  else the library defaults.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import logging
import time
import typing
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, true, update
from sqlalchemy.orm import Session, selectinload

import matching as mlib
from api_schemas.matching import AcceptIn, ChoiceIn, DeclineIn, MatchingPolicyIn, MatchingRunIn, OfferIn
from api_schemas.vocab import (
    HOME_TYPE_CATEGORY,
    HomeType,
    LivingCompanions,
    Need,
    OfstedJudgement,
    PlacementCategory,
    RegistrationStatus,
    RiskFlag,
    Sex,
    Suitability,
    Urgency,
)
from rcc import audit, events, jobs
from rcc.auth import Principal, Role
from rcc.db import transaction
from rcc.db.models import (
    Child,
    Home,
    Job,
    LocalAuthority,
    MatchingPolicy,
    Offer,
    OfferChild,
    Placement,
    Rcc,
    RccMember,
    Referral,
    UnmetNeedRecord,
    Vacancy,
    utcnow,
)
from rcc.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound
from rcc.services.children import age_on
from rcc.services.common import PageRequest, PageResult, get_or_404, paginate, resolve_la

log = logging.getLogger("rcc.matching")

RUN_KIND = "matching_run"
OPEN_STATUSES = ("open", "offered")
SHORTLIST_MAX = 100
CHOICE_BEST_TIME_LIMIT_S = 2.0

# ---------------------------------------------------------------- policy

_POLICY_HINTS: dict[str, Any] = typing.get_type_hints(mlib.Policy)
_POLICY_DEFAULTS = mlib.Policy()


def _pair_enum(hint: Any) -> type[enum.Enum] | None:
    """The enum of a ``tuple[tuple[Enum, int], ...]`` field, else None."""
    if typing.get_origin(hint) is not tuple:
        return None
    inner = typing.get_args(hint)[0]
    if typing.get_origin(inner) is not tuple:
        return None
    key = typing.get_args(inner)[0]
    return key if isinstance(key, type) and issubclass(key, enum.Enum) else None


def _to_json(value: Any) -> Any:
    if isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        return {getattr(k, "value", k): v for k, v in value}
    return getattr(value, "value", value)


def policy_as_json(policy: mlib.Policy) -> dict[str, Any]:
    return {f.name: _to_json(getattr(policy, f.name)) for f in dataclasses.fields(policy)}


def _check_override(name: str, value: Any) -> Any:
    """One override, checked against the Policy field's type; returns the library value."""
    field_name = f"overrides.{name}"
    if name not in _POLICY_HINTS:
        raise Invalid(f"{name!r} is not a matching policy setting", field_name)
    hint = _POLICY_HINTS[name]
    if hint is bool:
        if not isinstance(value, bool):
            raise Invalid("must be true or false", field_name)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000_000:
            raise Invalid("must be a whole number from 0 to 10,000,000", field_name)
        if name.endswith("_per_point") and value < 1:
            raise Invalid("must be at least 1", field_name)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1000:
            raise Invalid("must be a number from 0 to 1000", field_name)
        return float(value)
    key_enum = _pair_enum(hint)
    if key_enum is not None:
        if not isinstance(value, dict):
            raise Invalid("must be an object keyed by " + key_enum.__name__, field_name)
        pairs = []
        for k, v in value.items():
            try:
                member = key_enum(k)
            except ValueError:
                raise Invalid(f"{k!r} is not a {key_enum.__name__}", f"{field_name}.{k}") from None
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 10_000_000:
                raise Invalid("must be a whole number from 0 to 10,000,000", f"{field_name}.{k}")
            pairs.append((member, v))
        if name != "median_weekly_fee":  # a pair list the library reads in full: keep unset keys
            given = {m for m, _ in pairs}
            pairs += [(m, v) for m, v in getattr(_POLICY_DEFAULTS, name) if m not in given]
        return tuple(sorted(pairs, key=lambda p: str(p[0].value)))
    raise Invalid(f"{name!r} cannot be overridden", field_name)


def policy_from_overrides(overrides: dict[str, Any]) -> mlib.Policy:
    """The library Policy with ``overrides`` applied; settings the library no longer has are skipped."""
    values = {}
    for name, value in (overrides or {}).items():
        if name not in _POLICY_HINTS:
            log.warning("ignoring stored matching policy override %r (no such setting)", name)
            continue
        values[name] = _check_override(name, value)
    return dataclasses.replace(_POLICY_DEFAULTS, **values)


def _policy_row(session: Session, rcc_id: int) -> MatchingPolicy | None:
    return session.get(MatchingPolicy, rcc_id)


def policy_for_rcc(session: Session, rcc_id: int | None) -> mlib.Policy:
    row = _policy_row(session, rcc_id) if rcc_id is not None else None
    return policy_from_overrides(row.overrides if row else {})


def _manage_rcc(session: Session, who: Principal, rcc_id: int) -> Rcc:
    if who.role not in (Role.ADMIN, Role.RCC_COMMISSIONER):
        raise Forbidden("only the RCC's commissioner or an admin manages its matching")
    rcc = get_or_404(session, Rcc, rcc_id, "rcc")
    if who.role is Role.RCC_COMMISSIONER and who.rcc_id != rcc_id:
        raise NotFound("rcc", rcc_id)
    return rcc


@dataclass(frozen=True)
class PolicyView:
    rcc_id: int
    overrides: dict[str, Any]
    effective: dict[str, Any]
    defaults: dict[str, Any]


def _policy_view(rcc_id: int, overrides: dict[str, Any]) -> PolicyView:
    return PolicyView(
        rcc_id,
        dict(overrides),
        policy_as_json(policy_from_overrides(overrides)),
        policy_as_json(_POLICY_DEFAULTS),
    )


def get_policy(session: Session, who: Principal, rcc_id: int) -> PolicyView:
    _manage_rcc(session, who, rcc_id)
    row = _policy_row(session, rcc_id)
    return _policy_view(rcc_id, row.overrides if row else {})


def put_policy(session: Session, who: Principal, rcc_id: int, data: MatchingPolicyIn) -> PolicyView:
    _manage_rcc(session, who, rcc_id)
    stored = {}
    for name, value in data.overrides.items():
        _check_override(name, value)  # 422 naming the setting
        stored[name] = value
    row = _policy_row(session, rcc_id)
    if row is None:
        row = MatchingPolicy(rcc_id=rcc_id, overrides=stored, updated_by_key_id=who.key_id)
        session.add(row)
    else:
        row.overrides, row.updated_by_key_id = stored, who.key_id
    session.flush()
    return _policy_view(rcc_id, stored)


# ---------------------------------------------------------------- adapters: rows -> library


def _enum_set(kind: type[enum.Enum], values: Iterable[str] | None) -> frozenset:
    out = set()
    for v in values or ():
        try:
            out.add(kind(v))
        except ValueError:
            log.warning("ignoring unknown %s %r", kind.__name__, v)
    return frozenset(out)


def la_codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(LocalAuthority.id, LocalAuthority.gss_code)).all())


def child_profile(child: Child, la_code: str, on: dt.date) -> mlib.ChildProfile:
    """A child as the matching rules see them: age on ``on``, needs, care-plan suitability per
    placement category, risks, living companions, home and school (BNG), places to avoid."""
    suitability = {
        PlacementCategory.FOSTER: Suitability(child.suitability_foster),
        PlacementCategory.RESIDENTIAL: Suitability(child.suitability_residential),
        PlacementCategory.SUPPORTED: Suitability(child.suitability_supported),
    }
    avoid = [
        (float(p["easting"]), float(p["northing"]), float(p["radius_miles"]))
        for p in (child.places_to_avoid or [])
        if isinstance(p, dict) and {"easting", "northing", "radius_miles"} <= p.keys()
    ]
    return mlib.ChildProfile.make(
        suitability=suitability,
        id=str(child.id),
        age_years=age_on(child.birth_month, on),
        sex=Sex(child.sex),
        home_easting=child.home_easting,
        home_northing=child.home_northing,
        home_la=la_code,
        needs=_enum_set(Need, child.needs),
        risks=_enum_set(RiskFlag, child.risks),
        living_companions=LivingCompanions(child.living_companions),
        school_easting=child.school_easting,
        school_northing=child.school_northing,
        must_keep_school=child.must_keep_school,
        places_to_avoid=avoid,
    )


def to_referral(ref: Referral, codes: dict[int, str], on: dt.date) -> mlib.Referral:
    return mlib.Referral(
        id=str(ref.id),
        children=tuple(child_profile(c, codes[c.la_id], on) for c in ref.children),
        urgency=Urgency(ref.needed_by),
        la=codes[ref.la_id],
        allow_split=ref.allow_split,
    )


def free_places(registered: int, occupied: int, declared: int | None) -> int:
    """Registered minus occupied, capped by the declared vacancies where there are any."""
    free = max(registered - occupied, 0)
    return free if declared is None else min(free, max(declared, 0))


_K = typing.TypeVar("_K")


def occupancy(
    placements: Iterable[tuple[_K, dt.date]], vacancies: Iterable[tuple[_K, int, dt.date]], on: dt.date
) -> tuple[dict[_K, list[int]], dict[_K, int]]:
    """Resident ages and declared places per home on ``on``, for :func:`to_home`.

    ``placements`` are ``(home, child's birth month)`` of the placements holding a place on ``on``
    (current or booked); ``vacancies`` are ``(home, places, available_from)`` of every declared
    vacancy. A vacancy available after ``on`` declares 0 places, so its home is capped at 0.
    """
    ages: dict[_K, list[int]] = {}
    for home, born in placements:
        ages.setdefault(home, []).append(age_on(born, on))
    declared: dict[_K, int] = {}
    for home, places, available_from in vacancies:
        declared[home] = declared.get(home, 0) + (places if available_from <= on else 0)
    return ages, declared


def to_home(
    home: Any, la_code: str, occupied: int, declared: int | None, resident_ages: tuple[int, ...]
) -> mlib.Home:
    sexes = _enum_set(Sex, home.sexes_accepted) or frozenset(Sex)
    judgement = (
        OfstedJudgement(home.ofsted_judgement) if home.ofsted_judgement else OfstedJudgement.NOT_YET_INSPECTED
    )
    return mlib.Home(
        id=str(home.id),
        home_type=HomeType(home.home_type),
        la=la_code,
        easting=home.easting,
        northing=home.northing,
        free_places=free_places(home.registered_places, occupied, declared),
        age_min=home.age_min,
        age_max=home.age_max,
        sexes=sexes,
        needs_met=_enum_set(Need, home.needs_met),
        judgement=judgement,
        registration=RegistrationStatus(home.registration_status),
        weekly_fee=home.fee_core + home.fee_additional_support + home.fee_education + home.fee_other,
        resident_ages=tuple(sorted(resident_ages)),
    )


@dataclass(frozen=True)
class HomeInfo:
    """What the API shows beside a home id in a proposal."""

    id: int
    name: str
    home_type: str
    provider_id: int
    la_code: str
    free_places: int
    weekly_fee: int


@dataclass(frozen=True)
class Supply:
    homes: tuple[mlib.Home, ...]
    info: dict[int, HomeInfo]


def _current(on: dt.date):
    """Placements holding a place on ``on`` or later: started or booked, and not ended by then."""
    return (or_(Placement.end_date.is_(None), Placement.end_date > on),)


_HOME_COLUMNS = (
    Home.id, Home.name, Home.provider_id, Home.home_type, Home.registration_status, Home.ofsted_judgement,
    Home.easting, Home.northing, Home.la_id, Home.registered_places, Home.age_min, Home.age_max,
    Home.sexes_accepted, Home.needs_met, Home.fee_core, Home.fee_additional_support, Home.fee_education,
    Home.fee_other,
)  # fmt: skip


def load_supply(
    session: Session,
    la_ids: Collection[int] | None,
    on: dt.date,
    extra_home_ids: Collection[int] = (),
    codes: dict[int, str] | None = None,
) -> Supply:
    """Every home located in ``la_ids`` (all homes when None) plus ``extra_home_ids``, as library
    homes with free places, resident ages and fees (three queries, whatever the register's size;
    plain rows, not ORM objects, because a region holds thousands of homes)."""
    codes = codes or la_codes(session)
    where = (
        or_(Home.la_id.in_(list(la_ids)), Home.id.in_(list(extra_home_ids))) if la_ids is not None else true()
    )
    homes = session.execute(select(*_HOME_COLUMNS).where(where).order_by(Home.id)).all()
    ages, declared = occupancy(
        session.execute(
            select(Placement.home_id, Child.birth_month)
            .join(Child, Child.id == Placement.child_id)
            .join(Home, Home.id == Placement.home_id)
            .where(*_current(on), where)
        ),
        session.execute(
            select(Vacancy.home_id, Vacancy.places, Vacancy.available_from)
            .join(Home, Home.id == Vacancy.home_id)
            .where(where)
        ),
        on,
    )
    lib, info = [], {}
    for h in homes:
        resident = ages.get(h.id, ())
        mh = to_home(h, codes[h.la_id], len(resident), declared.get(h.id), tuple(resident))
        lib.append(mh)
        info[h.id] = HomeInfo(
            h.id, h.name, h.home_type, h.provider_id, codes[h.la_id], mh.free_places, mh.weekly_fee
        )
    return Supply(tuple(lib), info)


def rcc_of_la(session: Session, la_id: int) -> int | None:
    return session.scalar(select(func.min(RccMember.rcc_id)).where(RccMember.la_id == la_id))


def _member_las(session: Session, rcc_id: int) -> list[int]:
    return list(session.scalars(select(RccMember.la_id).where(RccMember.rcc_id == rcc_id)))


# ---------------------------------------------------------------- shortlist and choices


def _referral_for(session: Session, who: Principal, referral_id: int) -> Referral:
    if who.role is Role.PROVIDER:
        raise Forbidden("providers see offers made to them, not referrals")
    ref = get_or_404(session, Referral, referral_id, "referral")
    if not who.can_see_la(ref.la_id):
        raise NotFound("referral", referral_id)
    return ref


def _open_referral(session: Session, who: Principal, referral_id: int) -> Referral:
    ref = _referral_for(session, who, referral_id)
    if ref.status not in OPEN_STATUSES:
        raise Conflict(f"referral {referral_id} is {ref.status}; only open referrals are matched")
    return ref


def _contribs(contributions: Iterable[mlib.Contribution]) -> list[dict[str, Any]]:
    return [
        {
            "term": c.term,
            "points": c.points,
            "text": c.text,
            "child_id": int(c.child_id) if c.child_id is not None else None,
        }
        for c in contributions
    ]


def _explanation(contributions: Iterable[mlib.Contribution], several: bool) -> list[str]:
    ordered = sorted(contributions, key=lambda c: (-c.points, c.term))
    return [(f"Child {c.child_id}: {c.text}" if several and c.child_id else c.text) for c in ordered]


@dataclass(frozen=True)
class _Scope:
    la_ids: list[int] | None
    policy: mlib.Policy
    policy_rcc_id: int | None


def _scope(session: Session, ref: Referral, rcc_id: int | None) -> _Scope:
    if rcc_id is not None:
        get_or_404(session, Rcc, rcc_id, "rcc")
        return _Scope(_member_las(session, rcc_id), policy_for_rcc(session, rcc_id), rcc_id)
    own = rcc_of_la(session, ref.la_id)
    return _Scope(None, policy_for_rcc(session, own), own)


def shortlist(
    session: Session, who: Principal, referral_id: int, top_n: int = 10, rcc_id: int | None = None
) -> dict[str, Any]:
    """Ranked top N homes for the referral (the whole group in one home), each factor's
    contribution in plain words, and why every other home was excluded."""
    t0 = time.perf_counter()
    if not 1 <= top_n <= SHORTLIST_MAX:
        raise Invalid(f"top_n must be 1 to {SHORTLIST_MAX}", "top_n")
    ref = _open_referral(session, who, referral_id)
    scope = _scope(session, ref, rcc_id)
    today = dt.date.today()
    codes = la_codes(session)
    supply = load_supply(session, scope.la_ids, today, codes=codes)
    lref = to_referral(ref, codes, today)
    result = mlib.shortlist(lref, supply.homes, scope.policy, top_n)
    several = lref.size > 1
    entries = []
    for e in result.entries:
        hi = supply.info[int(e.home_id)]
        entries.append(
            {
                "rank": e.rank,
                "home_id": hi.id,
                "home_name": hi.name,
                "home_type": hi.home_type,
                "provider_id": hi.provider_id,
                "la_code": hi.la_code,
                "free_places": hi.free_places,
                "weekly_fee": hi.weekly_fee,
                "points": e.points,
                "miles": e.miles,
                "contributions": _contribs(e.contributions),
                "explanation": _explanation(e.contributions, several),
            }
        )
    audit.record(session, who, "read", "child", [c.id for c in ref.children], detail=f"shortlist {ref.id}")
    return {
        "referral_id": ref.id,
        "policy_rcc_id": scope.policy_rcc_id,
        "homes_considered": len(supply.homes),
        "eligible_total": result.eligible_total,
        "excluded_total": result.excluded_total,
        "excluded": dict(result.excluded),
        "summary": f"{result.summary}; points are penalties, so lower is better",
        "points_note": POINTS_NOTE,
        "factor_order": factor_order(e.contributions for e in result.entries),
        "entries": entries,
        "elapsed_ms": round((time.perf_counter() - t0) * 1000, 1),
    }


POINTS_NOTE = "points are penalties: lower is better; 0 is a perfect match"


def factor_order(per_entry: Iterable[Iterable[mlib.Contribution]]) -> list[str]:
    """The soft factors that weighed on this shortlist, heaviest first (total points over its entries)."""
    totals: dict[str, int] = {}
    for contributions in per_entry:
        for c in contributions:
            totals[c.term] = totals.get(c.term, 0) + c.points
    return [t for t, p in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])) if p > 0]


def _scored(report: mlib.ValidationReport, home_ids: dict[int, int]) -> dict[str, Any]:
    violations = [
        {
            "rule": v.rule,
            "home_id": int(v.home_id) if v.home_id and v.home_id.isdigit() else None,
            "child_id": int(v.child_id) if v.child_id and v.child_id.isdigit() else None,
            "reason": v.reason,
        }
        for v in report.violations
    ]
    by_rule = {rule: [v.reason for v in vs] for rule, vs in report.by_rule().items()}
    contribs = [c for m in report.matches for c in m.contributions]
    contribs += [mlib.Contribution("unmatched", u.points, "; ".join(u.reasons)) for u in report.unmatched]
    return {
        "home_ids": home_ids,
        "ok": report.ok,
        "objective": report.objective,
        "violations": violations,
        "violations_by_rule": by_rule,
        "contributions": _contribs(contribs),
    }


def validate_choice(
    session: Session, who: Principal, referral_id: int, data: ChoiceIn, rcc_id: int | None = None
) -> dict[str, Any]:
    """Hard-rule violations (by rule name) and the objective of the officer's own choice, side by
    side with the optimiser's best proposal for the same referral under the same policy."""
    ref = _open_referral(session, who, referral_id)
    child_ids = {c.id for c in ref.children}
    for cid, hid in data.home_ids.items():
        if cid not in child_ids:
            raise Invalid(f"child {cid} is not on referral {ref.id}", f"home_ids.{cid}")
        if session.get(Home, hid) is None:
            raise Invalid(f"home {hid} not found", f"home_ids.{cid}")
    scope = _scope(session, ref, rcc_id)
    today = dt.date.today()
    codes = la_codes(session)
    supply = load_supply(
        session, scope.la_ids, today, extra_home_ids=set(data.home_ids.values()), codes=codes
    )
    lref = to_referral(ref, codes, today)
    chosen = {str(c): str(h) for c, h in data.home_ids.items()}
    mine = mlib.validate(chosen, [lref], supply.homes, scope.policy)
    best = mlib.solve([lref], supply.homes, scope.policy, time_limit_s=CHOICE_BEST_TIME_LIMIT_S)
    best_map = best.assignment.as_dict()
    best_scored = None
    if best_map:
        best_report = mlib.validate(best_map, [lref], supply.homes, scope.policy)
        best_scored = _scored(best_report, {int(c): int(h) for c, h in best_map.items()})
    diff = mine.objective - best_scored["objective"] if best_scored else None
    if not mine.ok:
        rules = ", ".join(sorted(mine.by_rule()))
        summary = f"Your choice breaks hard rule(s): {rules}."
    else:
        summary = f"Your choice meets every hard rule and scores {mine.objective} points."
    if best_scored is None:
        summary += " The optimiser found no eligible home for this referral."
    elif diff == 0:
        summary += " It is as good as the best proposal."
    elif diff is not None and diff > 0:
        summary += f" The best proposal scores {best_scored['objective']} ({diff} fewer points)."
    else:
        summary += f" The best proposal scores {best_scored['objective']}."
    audit.record(session, who, "read", "child", sorted(child_ids), detail=f"choice checked {ref.id}")
    return {
        "referral_id": ref.id,
        "choice": _scored(mine, dict(data.home_ids)),
        "best": best_scored,
        "best_status": best.status.value,
        "difference": diff,
        "summary": summary,
    }


# ---------------------------------------------------------------- region-wide runs (persisted jobs)


def submit_run(session: Session, who: Principal, data: MatchingRunIn) -> Job:
    _manage_rcc(session, who, data.rcc_id)
    members = set(_member_las(session, data.rcc_id))
    la_ids = None
    if data.la_codes is not None:
        la_ids = []
        for i, code in enumerate(data.la_codes):
            la = resolve_la(session, code, f"la_codes[{i}]")
            if la.id not in members:
                raise Invalid(f"{la.name} is not a member of this RCC", f"la_codes[{i}]")
            la_ids.append(la.id)
    if data.referral_ids is not None:
        for i, rid in enumerate(data.referral_ids):
            ref = session.get(Referral, rid)
            if ref is None or ref.la_id not in members:
                raise Invalid(f"referral {rid} is not a referral of this RCC", f"referral_ids[{i}]")
    params = {
        "rcc_id": data.rcc_id,
        "time_limit_s": data.time_limit_s,
        "referral_ids": data.referral_ids,
        "la_ids": la_ids,
    }
    return jobs.submit(session, who, RUN_KIND, params, rcc_id=data.rcc_id)


def get_run(session: Session, who: Principal, run_id: str) -> Job:
    return jobs.get(session, who, run_id, RUN_KIND)


def cancel_run(session: Session, who: Principal, run_id: str) -> Job:
    return jobs.cancel(session, who, run_id, RUN_KIND)


def run_result(session: Session, who: Principal, run_id: str) -> dict[str, Any]:
    job = get_run(session, who, run_id)
    if job.status != "succeeded":
        extra = f": {job.error.splitlines()[-1]}" if job.status == "failed" and job.error else ""
        raise Conflict(f"matching run {run_id} is {job.status}; no result{extra}")
    return dict(job.result or {})


@dataclass(frozen=True)
class _RunInput:
    referrals: tuple[mlib.Referral, ...]
    la_of_referral: dict[int, int]
    supply: Supply
    policy: mlib.Policy
    codes: dict[int, str]


def _run_input(session: Session, params: dict[str, Any], on: dt.date) -> _RunInput:
    rcc_id = params["rcc_id"]
    members = _member_las(session, rcc_id)
    ref_las = params.get("la_ids") or members
    stmt = (
        select(Referral)
        .where(Referral.la_id.in_(ref_las), Referral.status.in_(OPEN_STATUSES))
        .options(selectinload(Referral.children))
        .order_by(Referral.id)
    )
    if params.get("referral_ids") is not None:
        stmt = stmt.where(Referral.id.in_(params["referral_ids"]))
    refs = list(session.scalars(stmt))
    codes = la_codes(session)
    return _RunInput(
        tuple(to_referral(r, codes, on) for r in refs if r.children),
        {r.id: r.la_id for r in refs},
        load_supply(session, members, on, codes=codes),
        policy_for_rcc(session, rcc_id),
        codes,
    )


def _upsert_unmet(
    session: Session, *, referral_id: int, la_id: int, child_id: int | None, kind: str, **kw
) -> None:
    """One record per (referral, child, kind): a later run or offer refreshes it rather than
    counting the same unmet need twice."""
    row = session.scalar(
        select(UnmetNeedRecord).where(
            UnmetNeedRecord.referral_id == referral_id,
            UnmetNeedRecord.kind == kind,
            UnmetNeedRecord.child_id.is_(None) if child_id is None else UnmetNeedRecord.child_id == child_id,
        )
    )
    if row is None:
        row = UnmetNeedRecord(referral_id=referral_id, la_id=la_id, child_id=child_id, kind=kind)
        session.add(row)
    for k, v in kw.items():
        setattr(row, k, v)
    row.recorded_at = utcnow()


@jobs.handler(RUN_KIND)
def run_matching_job(ctx: jobs.JobContext) -> dict[str, Any]:
    """Load the RCC's open referrals and homes, solve jointly, store unmet need, return the result."""
    on = dt.date.today()
    with ctx.sessions() as s:
        inp = _run_input(s, ctx.params, on)
    base = {"run_id": ctx.job_id, "rcc_id": ctx.params["rcc_id"]}
    if ctx.cancelled():
        return {**base, "status": "cancelled"}
    prepared = mlib.prepare(inp.supply.homes, inp.policy)
    if inp.referrals:
        res = mlib.solve(
            inp.referrals,
            inp.supply.homes,
            inp.policy,
            time_limit_s=float(ctx.params.get("time_limit_s") or 20.0),
            prepared=prepared,
        )
        status, objective, bound, gap = res.status.value, res.objective, res.best_bound, res.gap
        matches, unmatched, stats = res.matches, res.unmatched, dict(res.stats)
    else:
        status, objective, bound, gap, matches, unmatched, stats = "optimal", 0, 0.0, 0.0, (), (), {}
    if ctx.cancelled():
        return {**base, "status": "cancelled"}
    by_id = {r.id: r for r in inp.referrals}
    la_code = {rid: inp.codes[la] for rid, la in inp.la_of_referral.items()}
    assignments = [
        {
            "referral_id": int(m.referral_id),
            "la_code": la_code[int(m.referral_id)],
            "placements": [{"child_id": int(p.child_id), "home_id": int(p.home_id)} for p in m.placements],
            "split": m.split,
            "points": m.points,
            "contributions": _contribs(m.contributions),
        }
        for m in matches
    ]
    unmatched_out = []
    with transaction(ctx.sessions) as s:
        for u in unmatched:
            rid = int(u.referral_id)
            unmatched_out.append(
                {"referral_id": rid, "la_code": la_code[rid], "points": u.points, "reasons": list(u.reasons)}
            )
            eligible = mlib.shortlist(
                by_id[u.referral_id], inp.supply.homes, inp.policy, 1, prepared=prepared
            )
            kind = "no_eligible_home" if eligible.eligible_total == 0 else "no_place_left_in_run"
            _upsert_unmet(
                s,
                referral_id=rid,
                la_id=inp.la_of_referral[rid],
                child_id=None,
                kind=kind,
                detail="; ".join(u.reasons[1:] or u.reasons),
                distance_miles=None,
                matching_run_id=ctx.job_id,
                offer_id=None,
            )
        child_ids = [int(c.id) for r in inp.referrals for c in r.children]
        audit.record(s, ctx.principal, "read", "child", child_ids, detail=f"matching run {ctx.job_id}")
    clean_stats = {k: v for k, v in stats.items() if isinstance(v, int | float | str)}
    return {
        **base,
        "status": status,
        "objective": objective,
        "bound": bound,
        "gap": gap,
        "referrals_considered": len(inp.referrals),
        "homes_considered": len(inp.supply.homes),
        "children_placed": sum(len(a["placements"]) for a in assignments),
        "assignments": assignments,
        "unmatched": unmatched_out,
        "stats": clean_stats,
    }


# ---------------------------------------------------------------- offers


@dataclass(frozen=True)
class OfferView:
    offer: Offer
    placement_ids: list[int]

    def __getattr__(self, name: str):
        return getattr(self.offer, name)


def _offer_view(session: Session, offer: Offer) -> OfferView:
    ids: list[int] = []
    if offer.status == "accepted":
        ids = list(
            session.scalars(
                select(Placement.id)
                .where(
                    Placement.referral_id == offer.referral_id,
                    Placement.child_id.in_([c.child_id for c in offer.children]),
                    Placement.home_id.in_([c.home_id for c in offer.children]),
                )
                .order_by(Placement.id)
            )
        )
    return OfferView(offer, ids)


def _visible_offer(who: Principal, offer: Offer) -> bool:
    if who.role is Role.PROVIDER:
        return offer.provider_id == who.provider_id
    return who.can_see_la(offer.referral.la_id)


def _offer(session: Session, who: Principal, offer_id: int) -> Offer:
    offer = get_or_404(session, Offer, offer_id, "offer")
    if not _visible_offer(who, offer):
        raise NotFound("offer", offer_id)
    return offer


def create_offer(session: Session, who: Principal, data: OfferIn) -> OfferView:
    """Send a proposal to the provider. It must meet every hard rule; places are checked again,
    under a lock, when the provider accepts."""
    if who.role not in (Role.ADMIN, Role.LA_OFFICER, Role.RCC_COMMISSIONER):
        raise Forbidden("only the child's LA or the RCC's commissioner makes offers")
    ref = _referral_for(session, who, data.referral_id)
    if ref.status not in OPEN_STATUSES:
        raise Conflict(f"referral {ref.id} is {ref.status}")
    child_ids = [c.id for c in ref.children]
    if data.home_ids is None:
        mapping = dict.fromkeys(child_ids, data.home_id)
    else:
        mapping = dict(data.home_ids)
        for cid in mapping:
            if cid not in child_ids:
                raise Invalid(f"child {cid} is not on referral {ref.id}", f"home_ids.{cid}")
        missing = [c for c in child_ids if c not in mapping]
        if missing:
            raise Invalid(f"give a home for every child of the referral (missing {missing})", "home_ids")
    field = "home_id" if data.home_ids is None else None
    homes: dict[int, Home] = {}
    for cid, hid in mapping.items():
        home = session.get(Home, hid)
        if home is None:
            raise Invalid(f"home {hid} not found", field or f"home_ids.{cid}")
        homes[hid] = home
    providers = {h.provider_id for h in homes.values()}
    if len(providers) > 1:
        raise Invalid("an offer goes to one provider; make one offer per provider", "home_ids")
    if data.matching_run_id is not None:
        job = session.get(Job, data.matching_run_id)
        if job is None or job.kind != RUN_KIND or not who.can_see_la(ref.la_id):
            raise Invalid(f"matching run {data.matching_run_id} not found", "matching_run_id")
    dup = session.scalar(
        select(Offer.id)
        .join(OfferChild)
        .where(Offer.referral_id == ref.id, Offer.status == "pending", OfferChild.home_id.in_(list(homes)))
        .limit(1)
    )
    if dup is not None:
        raise Conflict(f"offer {dup} for this referral and home is already pending")
    # the offer must meet every hard rule (capacity is a conflict: places come and go)
    today = dt.date.today()
    codes = la_codes(session)
    lhomes = load_supply(session, [], today, extra_home_ids=list(homes), codes=codes).homes
    policy = policy_for_rcc(session, rcc_of_la(session, ref.la_id))
    chosen = {str(c): str(h) for c, h in mapping.items()}
    report = mlib.validate(chosen, [to_referral(ref, codes, today)], lhomes, policy)
    hard = [v for v in report.violations if v.rule != "capacity"]
    if hard:
        details = [
            FieldProblem(
                field or (f"home_ids.{v.child_id}" if v.child_id else "home_ids"), f"{v.rule}: {v.reason}"
            )
            for v in hard
        ]
        raise Invalid("the proposal breaks hard matching rules: " + ", ".join(sorted({v.rule for v in hard})),
                      details=details)  # fmt: skip
    if any(v.rule == "capacity" for v in report.violations):
        raise Conflict("the home has no free place for this referral now")
    offer = Offer(
        referral_id=ref.id,
        provider_id=providers.pop(),
        status="pending",
        matching_run_id=data.matching_run_id,
        created_by_key_id=who.key_id,
        children=[OfferChild(child_id=c, home_id=h) for c, h in mapping.items()],
    )
    session.add(offer)
    ref.status = "offered"
    session.flush()
    audit.record(session, who, "read", "child", child_ids, detail=f"offer {offer.id} made")
    _event(session, events.OFFER_MADE, offer, needed_by=ref.needed_by)
    return OfferView(offer, [])


def get_offer(session: Session, who: Principal, offer_id: int) -> OfferView:
    return _offer_view(session, _offer(session, who, offer_id))


def list_offers(
    session: Session,
    who: Principal,
    page: PageRequest,
    *,
    status: str | None = None,
    referral_id: int | None = None,
    home_id: int | None = None,
) -> PageResult:
    stmt = select(Offer).join(Referral, Referral.id == Offer.referral_id).order_by(Offer.id)
    if who.role is Role.PROVIDER:
        stmt = stmt.where(Offer.provider_id == who.provider_id)
    else:
        visible = who.visible_la_ids()
        if visible is not None:
            stmt = stmt.where(Referral.la_id.in_(visible))
    if status:
        stmt = stmt.where(Offer.status == status)
    if referral_id is not None:
        stmt = stmt.where(Offer.referral_id == referral_id)
    if home_id is not None:
        stmt = stmt.where(Offer.id.in_(select(OfferChild.offer_id).where(OfferChild.home_id == home_id)))
    result = paginate(session, stmt, page)
    return PageResult(
        [_offer_view(session, o) for o in result.items], result.total, result.limit, result.offset
    )


def _event(session: Session, kind: str, offer: Offer, **extra: Any) -> None:
    from rcc.services.offer_journey import offer_event

    offer_event(session, kind, offer, **extra)


def _provider_offer(session: Session, who: Principal, offer_id: int) -> Offer:
    if who.role not in (Role.PROVIDER, Role.ADMIN):
        raise Forbidden("only the provider the offer was made to accepts or declines it")
    return _offer(session, who, offer_id)


def lock_home(session: Session, home_id: int) -> None:
    """Hold the home's row until the transaction ends, so its places are counted by one writer.

    PostgreSQL: ``SELECT ... FOR UPDATE``. SQLite has no row locks; a no-op UPDATE of the row
    takes the database write lock (pysqlite begins the transaction at the first write, so the
    rows read afterwards are current), which serialises writers the same way.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(Home).where(Home.id == home_id).values(registered_places=Home.registered_places)
        )
    else:
        session.execute(select(Home.id).where(Home.id == home_id).with_for_update())


def _taken_places(session: Session, home_id: int, start: dt.date) -> int:
    """Placements at the home not ended by ``start`` (current ones and any booked to start later)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Placement)
            .where(
                Placement.home_id == home_id,
                or_(Placement.end_date.is_(None), Placement.end_date > start),
            )
        )
        or 0
    )


def _use_vacancies(session: Session, home_id: int, n: int) -> None:
    """An accepted offer fills declared vacancies (earliest first); emptied ones are removed."""
    for v in session.scalars(
        select(Vacancy).where(Vacancy.home_id == home_id).order_by(Vacancy.available_from)
    ):
        if n <= 0:
            break
        used = min(v.places, n)
        v.places -= used
        n -= used
        if v.places <= 0:
            session.delete(v)


def _placement_unmet(session: Session, offer: Offer, ref: Referral, homes: dict[int, Home]) -> None:
    codes = la_codes(session)
    threshold = _POLICY_DEFAULTS.flag_distance_miles
    for oc in offer.children:
        child, home = session.get(Child, oc.child_id), homes[oc.home_id]
        miles = round(
            mlib.STRAIGHT_LINE.miles(child.home_easting, child.home_northing, home.easting, home.northing), 1
        )
        common = {"referral_id": ref.id, "la_id": ref.la_id, "child_id": child.id}
        src = {"offer_id": offer.id, "matching_run_id": offer.matching_run_id, "distance_miles": miles}
        category = HOME_TYPE_CATEGORY[HomeType(home.home_type)]
        suit = {
            PlacementCategory.FOSTER: child.suitability_foster,
            PlacementCategory.RESIDENTIAL: child.suitability_residential,
            PlacementCategory.SUPPORTED: child.suitability_supported,
        }
        preferred = [c.value for c, s in suit.items() if s == Suitability.PREFERRED.value]
        if preferred and category.value not in preferred:
            _upsert_unmet(
                session,
                **common,
                kind="not_preferred_type",
                detail=f"placed in {category.value} ({home.home_type}); the care plan prefers "
                f"{', '.join(preferred)} (rates {category.value} '{suit[category]}')",
                **src,
            )
        if miles > threshold:
            _upsert_unmet(
                session,
                **common,
                kind="over_20_miles",
                detail=f"placed {miles:.1f} miles from home (more than {threshold:g})",
                **src,
            )
        if home.la_id != child.la_id:
            _upsert_unmet(
                session,
                **common,
                kind="outside_home_la",
                detail=f"placed in {codes[home.la_id]}, outside the child's LA {codes[child.la_id]}",
                **src,
            )


def accept_offer(session: Session, who: Principal, offer_id: int, data: AcceptIn) -> OfferView:
    """The provider accepts: the placement(s) are made and the place(s) taken, or 409.

    Each home's row is locked (in id order, so two offers never deadlock) and its places are
    counted again inside the transaction, so two acceptances racing for a last place cannot
    both succeed.
    """
    _provider_offer(session, who, offer_id)
    offer_ids = sorted({oc.home_id for oc in session.get(Offer, offer_id).children})
    for hid in offer_ids:
        lock_home(session, hid)
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(Offer.id).where(Offer.id == offer_id).with_for_update())
    offer = session.get(Offer, offer_id, populate_existing=True)
    session.refresh(offer, ["children"])
    if offer.status != "pending":
        raise Conflict(f"offer {offer_id} is already {offer.status}")
    ref = session.get(Referral, offer.referral_id, populate_existing=True)
    if ref.status not in OPEN_STATUSES:
        raise Conflict(f"referral {ref.id} is already {ref.status}")
    homes = {h: session.get(Home, h, populate_existing=True) for h in offer_ids}
    need: dict[int, int] = {}
    for oc in offer.children:
        need[oc.home_id] = need.get(oc.home_id, 0) + 1
    for hid, n in need.items():
        home = homes[hid]
        if home.registration_status != RegistrationStatus.ACTIVE.value:
            raise Conflict(f"home {hid} is {home.registration_status}")
        free = home.registered_places - _taken_places(session, hid, data.start_date)
        if free < n:
            raise Conflict(
                f"home {hid} has {max(free, 0)} free place(s) from {data.start_date}; the offer needs {n}"
            )
    for oc in offer.children:
        other = session.scalar(
            select(Placement.id)
            .where(
                Placement.child_id == oc.child_id,
                or_(Placement.end_date.is_(None), Placement.end_date > data.start_date),
            )
            .limit(1)
        )
        if other is not None:
            raise Conflict(f"child {oc.child_id} already has placement {other} from that date; end it first")
    prices = data.model_dump(exclude={"start_date"})
    placements = []
    for oc in offer.children:
        p = Placement(
            child_id=oc.child_id,
            home_id=oc.home_id,
            referral_id=ref.id,
            start_date=data.start_date,
            contract="spot",
            **prices,
        )
        session.add(p)
        placements.append(p)
    for hid, n in need.items():
        _use_vacancies(session, hid, n)
    offer.status, offer.decided_at, offer.start_date = "accepted", utcnow(), data.start_date
    for k, v in prices.items():
        setattr(offer, k, v)
    ref.status = "placed"
    superseded = list(
        session.scalars(
            select(Offer).where(Offer.referral_id == ref.id, Offer.status == "pending", Offer.id != offer.id)
        )
    )
    for other in superseded:
        other.status, other.decided_at = "withdrawn", utcnow()
        other.decline_text = f"offer {offer.id} for the same referral was accepted"
    session.flush()
    _event(session, events.OFFER_ACCEPTED, offer, placement_ids=[p.id for p in placements],
           start_date=data.start_date.isoformat())  # fmt: skip
    for other in superseded:
        _event(session, events.OFFER_WITHDRAWN, other, reason=other.decline_text, by="acceptance")
    _placement_unmet(session, offer, ref, homes)
    session.flush()
    audit.record(
        session,
        who,
        "update",
        "child",
        [oc.child_id for oc in offer.children],
        detail=f"offer {offer.id} accepted: placements {', '.join(str(p.id) for p in placements)}",
    )
    return OfferView(offer, [p.id for p in placements])


def decline_offer(session: Session, who: Principal, offer_id: int, data: DeclineIn) -> OfferView:
    offer = _provider_offer(session, who, offer_id)
    if offer.status != "pending":
        raise Conflict(f"offer {offer_id} is already {offer.status}")
    offer.status, offer.decided_at = "declined", utcnow()
    offer.decline_reason, offer.decline_text = data.reason.value, data.text
    ref = offer.referral
    still = session.scalar(
        select(Offer.id).where(Offer.referral_id == ref.id, Offer.status == "pending", Offer.id != offer.id)
    )
    if ref.status == "offered" and still is None:
        ref.status = "open"
    session.flush()
    _event(session, events.OFFER_DECLINED, offer, reason=offer.decline_reason)
    return OfferView(offer, [])


# ---------------------------------------------------------------- unmet need


@dataclass(frozen=True)
class UnmetView:
    row: UnmetNeedRecord
    la_code: str

    def __getattr__(self, name: str):
        return getattr(self.row, name)


def list_unmet_need(
    session: Session,
    who: Principal,
    page: PageRequest,
    *,
    rcc_id: int | None = None,
    la_code: str | None = None,
    kind: str | None = None,
) -> PageResult:
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see children's referrals")
    stmt = select(UnmetNeedRecord).order_by(UnmetNeedRecord.id)
    visible = who.visible_la_ids()
    if visible is not None:
        stmt = stmt.where(UnmetNeedRecord.la_id.in_(visible))
    if rcc_id is not None:
        get_or_404(session, Rcc, rcc_id, "rcc")
        stmt = stmt.where(UnmetNeedRecord.la_id.in_(_member_las(session, rcc_id)))
    if la_code:
        stmt = stmt.where(UnmetNeedRecord.la_id == resolve_la(session, la_code, "la").id)
    if kind:
        stmt = stmt.where(UnmetNeedRecord.kind == kind)
    result = paginate(session, stmt, page)
    codes = la_codes(session)
    return PageResult(
        [UnmetView(r, codes[r.la_id]) for r in result.items], result.total, result.limit, result.offset
    )
