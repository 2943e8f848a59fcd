"""Input checks: a bad record is excluded and reported, never fatal to a region-wide run.

:func:`check_referral` and :func:`check_home` return the problems of one record as
:class:`~matching.domain.Exclusion` values naming the field (the service turns them into a
422 for a single referral); :func:`split_valid` separates the usable records of a whole run
from the excluded ones. Duplicate ids are ambiguous (which record is right?), so every
record sharing an id is excluded, each reported once.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from matching.domain import ChildProfile, Exclusion, Home, Referral

AGE_MIN, AGE_MAX = 0, 25
"""Plausible ages: 0 up to 25 (the upper age of leaving-care duties). A child of 18 is a
valid record that no home's age range admits (reported as unplaced, "age range"); an age
outside 0-25 is a data error and the referral is excluded."""


class InvalidInput(ValueError):
    """Raised where only one record is given (e.g. :func:`matching.shortlist`) and it is
    unusable; ``exclusions`` names each bad field."""

    def __init__(self, exclusions: tuple[Exclusion, ...]):
        self.exclusions = exclusions
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in exclusions))


def _bad_number(v: object) -> str | None:
    if v is None:
        return "missing"
    if isinstance(v, bool) or not isinstance(v, int | float):
        return f"not a number ({v!r})"
    if not math.isfinite(v):
        return f"not a finite number ({v!r})"
    return None


def _check_child(c: ChildProfile, path: str, rid: str) -> list[Exclusion]:
    out: list[Exclusion] = []

    def bad(fld: str, why: str) -> None:
        out.append(Exclusion("referral", rid, f"{path}.{fld}", why))

    for fld in ("home_easting", "home_northing"):
        why = _bad_number(getattr(c, fld))
        if why:
            bad(fld, f"coordinate {why}")
    if c.school_easting is not None or c.school_northing is not None:
        for fld in ("school_easting", "school_northing"):
            why = _bad_number(getattr(c, fld))
            if why:
                bad(fld, f"school coordinate {why} (give both or neither)")
    if isinstance(c.age_years, bool) or not isinstance(c.age_years, int):
        bad("age_years", f"not a whole number of years ({c.age_years!r})")
    elif not AGE_MIN <= c.age_years <= AGE_MAX:
        bad("age_years", f"age {c.age_years} outside {AGE_MIN}-{AGE_MAX}")
    for i, area in enumerate(c.places_to_avoid):
        if len(area) != 3 or any(_bad_number(x) for x in area) or area[2] < 0:
            bad(f"places_to_avoid[{i}]", "must be (easting, northing, radius miles >= 0), all finite")
    if not c.id:
        bad("id", "empty child id")
    return out


def check_referral(referral: Referral) -> tuple[Exclusion, ...]:
    """Problems that make ``referral`` unusable on its own (empty when it is fine)."""
    rid = referral.id
    out: list[Exclusion] = []
    if not rid:
        out.append(Exclusion("referral", rid, "id", "empty referral id"))
    if not referral.children:
        out.append(Exclusion("referral", rid, "children", "a referral needs at least one child"))
    ids = Counter(c.id for c in referral.children)
    for k, c in enumerate(referral.children):
        out.extend(_check_child(c, f"children[{k}]", rid))
        if ids[c.id] > 1:
            out.append(Exclusion("referral", rid, f"children[{k}].id", f"child id {c.id!r} repeated"))
    return tuple(out)


def check_home(home: Home) -> tuple[Exclusion, ...]:
    """Problems that make ``home`` unusable (empty when it is fine)."""
    out: list[Exclusion] = []
    for fld in ("easting", "northing"):
        why = _bad_number(getattr(home, fld))
        if why:
            out.append(Exclusion("home", home.id, fld, f"coordinate {why}"))
    if isinstance(home.free_places, bool) or not isinstance(home.free_places, int) or home.free_places < 0:
        out.append(
            Exclusion("home", home.id, "free_places", f"must be a whole number >= 0 ({home.free_places!r})")
        )
    for fld in ("age_min", "age_max"):
        v = getattr(home, fld)
        if isinstance(v, bool) or not isinstance(v, int):
            out.append(Exclusion("home", home.id, fld, f"not a whole number ({v!r})"))
    if isinstance(home.age_min, int) and isinstance(home.age_max, int) and home.age_min > home.age_max:
        out.append(Exclusion("home", home.id, "age_min", f"age range {home.age_min}-{home.age_max} is empty"))
    if not home.id:
        out.append(Exclusion("home", home.id, "id", "empty home id"))
    return tuple(out)


def split_valid(
    referrals: Iterable[Referral], homes: Iterable[Home]
) -> tuple[tuple[Referral, ...], tuple[Home, ...], tuple[Exclusion, ...]]:
    """(usable referrals, usable homes, exclusions), input order kept."""
    referrals, homes = tuple(referrals), tuple(homes)
    excluded: list[Exclusion] = []
    home_ids = Counter(h.id for h in homes)
    good_homes = []
    for h in homes:
        problems = list(check_home(h))
        if home_ids[h.id] > 1:
            problems.append(Exclusion("home", h.id, "id", f"home id {h.id!r} given {home_ids[h.id]} times"))
        excluded.extend(problems)
        if not problems:
            good_homes.append(h)
    ref_ids = Counter(r.id for r in referrals)
    child_ids = Counter(c.id for r in referrals for c in r.children)
    good_refs = []
    for r in referrals:
        problems = list(check_referral(r))
        if ref_ids[r.id] > 1:
            problems.append(
                Exclusion("referral", r.id, "id", f"referral id {r.id!r} given {ref_ids[r.id]} times")
            )
        inner = Counter(c.id for c in r.children)
        for k, c in enumerate(r.children):
            if child_ids[c.id] > inner[c.id]:
                problems.append(
                    Exclusion(
                        "referral",
                        r.id,
                        f"children[{k}].id",
                        f"child id {c.id!r} is also in another referral",
                    )
                )
        excluded.extend(problems)
        if not problems:
            good_refs.append(r)
    return tuple(good_refs), tuple(good_homes), tuple(excluded)
