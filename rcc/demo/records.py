"""Child records: school, NPS suitability, cultural and communication needs, wishes and identifiers.

Turns each generated child (in care or referred) into the :class:`ChildSeed` the register stores. The
phrases are illustrative; identifiers are pseudonymous hashes of the seed and the child's key.
"""

from __future__ import annotations

import hashlib

import numpy as np

from api_schemas.vocab import LivingCompanions, Need, PlacementCategory, Suitability
from rcc.demo.children import Child
from rcc.demo.params import (
    CULTURAL_NEEDS_SHARE_OTHER,
    CULTURAL_NEEDS_SHARE_WBRI,
    DISABLED_COMMUNICATION_SHARE,
    MUST_KEEP_SCHOOL_SHARE_EXAM_YEARS,
    MUST_KEEP_SCHOOL_SHARE_OTHER,
    SCHOOL_MIN_AGE,
    UASC_LANGUAGES,
)
from rcc.demo.region import RegionContext
from rcc.demo.seeds import ChildSeed


def _suitability(rng: np.random.Generator, child: Child, target: str) -> dict[str, Suitability]:
    """NPS suitability per placement category implied by the child's setting and age (the
    categories this generator knows; any other category of the vocabulary is left not_specified)."""
    if target == "other":
        return {}
    supported = Suitability.UNSUITABLE if child.age < 16 else Suitability.SUITABLE
    if target in ("la_foster", "ifa_foster", "kinship", "parent_and_child"):
        foster = Suitability.PREFERRED
        residential = Suitability.UNSUITABLE if child.age < 10 or rng.random() < 0.7 else Suitability.SUITABLE
        if child.age >= 16 and rng.random() < 0.5:
            supported = Suitability.UNSUITABLE
    elif target == "residential":
        residential = Suitability.PREFERRED
        foster = Suitability.SUITABLE if rng.random() < 0.4 else Suitability.UNSUITABLE
    else:  # supported
        supported = Suitability.PREFERRED
        foster = Suitability.SUITABLE if rng.random() < 0.3 else Suitability.UNSUITABLE
        residential = Suitability.UNSUITABLE if rng.random() < 0.8 else Suitability.SUITABLE
    levels = {
        PlacementCategory.FOSTER: foster,
        PlacementCategory.RESIDENTIAL: residential,
        PlacementCategory.SUPPORTED: supported,
    }
    return {c.value: s for c, s in levels.items() if s is not Suitability.NOT_SPECIFIED}


_CULTURAL_NEEDS = (
    "Support to practise their faith, including getting to a place of worship",
    "Carers able to cook food the child is used to, including religious dietary requirements",
    "Keep links with their community and the language spoken at home",
    "Carers confident with the child's hair and skin care",
    "Support to celebrate the festivals the child's family marks",
)
_DISABILITY_COMMUNICATION = (
    "Makaton",
    "British Sign Language",
    "Uses a communication aid (AAC)",
    "Visual timetable and symbols",
)
_WISHES_GENERAL = (
    "Wants to stay at the same school",
    "Wants to live near family",
    "Would like to live with a family",
    "Wants to keep going to their sports club",
    "Would like a home with pets",
    "Wants a quiet home with few other children",
    "Wants to stay in the area where friends live",
    "Wants more say in when family time happens",
)
_WISHES_SIBLINGS = ("Wants to live with their brothers and sisters", "Wants to stay with their siblings")
_WISHES_OLDER = ("Wants to learn to live independently", "Wants to stay close to college", "Wants own room")


def _profile(
    rng: np.random.Generator, child: Child
) -> tuple[str | None, tuple[str, ...], str, LivingCompanions]:
    cultural = None
    if child.uasc or rng.random() < (
        CULTURAL_NEEDS_SHARE_WBRI if child.ethnicity == "WBRI" else CULTURAL_NEEDS_SHARE_OTHER
    ):
        cultural = _CULTURAL_NEEDS[int(rng.integers(len(_CULTURAL_NEEDS)))]
    communication: list[str] = []
    if child.uasc:
        communication.append(f"Interpreter: {UASC_LANGUAGES[int(rng.integers(len(UASC_LANGUAGES)))]}")
    if Need.DISABILITY in child.needs and rng.random() < DISABLED_COMMUNICATION_SHARE:
        communication.append(_DISABILITY_COMMUNICATION[int(rng.integers(len(_DISABILITY_COMMUNICATION)))])
    pool = list(_WISHES_GENERAL)
    if child.sibling_group:
        pool += _WISHES_SIBLINGS * 3
    if child.age >= 15:
        pool += _WISHES_OLDER
    wishes = (
        "No wishes recorded yet (too young to express them)"
        if child.age < 4
        else pool[int(rng.integers(len(pool)))]
    )
    if Need.SOLO_PLACEMENT in child.needs:
        living = LivingCompanions.SOLO
    else:
        r = rng.random()
        living = (
            LivingCompanions.NO_PREFERENCE
            if r < 0.6
            else LivingCompanions.WITH_OTHERS
            if r < 0.8
            else LivingCompanions.ONLY_YOUNGER
            if r < 0.9
            else LivingCompanions.ONLY_OLDER
        )
    return cultural, tuple(communication), wishes, living


def _school(
    ctx: RegionContext, rng: np.random.Generator, c: Child
) -> tuple[tuple[str | None, float | None, float | None], bool]:
    """(school sector, easting, northing) near home for children of school age, and must-keep-school."""
    if c.age < SCHOOL_MIN_AGE:
        return (None, None, None), False
    options = ctx.geo.neighbours[c.la][c.msoa]
    school = ctx.sector_point(c.la, int(options[int(rng.integers(len(options)))]))
    p = MUST_KEEP_SCHOOL_SHARE_EXAM_YEARS if 14 <= c.age <= 16 else MUST_KEEP_SCHOOL_SHARE_OTHER
    return school, bool(rng.random() < p)


def _child_seed(ctx: RegionContext, rng: np.random.Generator, c: Child, target: str) -> ChildSeed:
    sector, he, hn = ctx.sector_point(c.la, c.msoa)
    school, must_keep = _school(ctx, rng, c)
    suitability = _suitability(rng, c, target)
    cultural, communication, wishes, living = _profile(rng, c)
    digest = hashlib.sha256(f"{ctx.seed}|{c.key}".encode()).hexdigest()[:10].upper()
    return ChildSeed(
        key=c.key,
        la_gss_code=c.la,
        la_child_id=c.ssda903_id or f"C{digest}",
        birth_month=c.birth_month,
        sex=c.sex,
        ethnicity=c.ethnicity,
        uasc=c.uasc,
        needs=c.needs,
        home_postcode_sector=sector,
        home_easting=he,
        home_northing=hn,
        school_postcode_sector=school[0],
        school_easting=school[1],
        school_northing=school[2],
        must_keep_school=must_keep,
        sibling_group_key=c.sibling_group,
        suitability=suitability,
        risks=c.risks,
        living_companions=living,
        cultural_needs=cultural,
        communication_needs=communication,
        wishes=wishes,
    )


def child_seeds(
    ctx: RegionContext, in_care: list[Child], referred: list[tuple[Child, str]]
) -> tuple[ChildSeed, ...]:
    """Records of the children in care (setting: where they live), then of the referred children
    (setting: the one sought); each LA's draws come from one generator, in that order."""
    rngs = {la: ctx.rng(la, "profiles") for la in ctx.la_codes}
    pairs = [(c, c.setting) for c in in_care] + referred
    return tuple(_child_seed(ctx, rngs[c.la], c, target) for c, target in pairs)
