"""Children in care and referred children: who they are, their placement setting, needs and risks.

Children are drawn per LA in sibling units (a single child or a sibling group) from the national
profiles in :mod:`rcc.demo.params`; each child gets a setting (where they live now, or for a referred
child the setting sought), then needs and NPS risk flags that depend on age and setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np

from api_schemas.vocab import Need, RiskFlag, Sex
from rcc.demo.params import (
    AGE_BAND_SHARES,
    AGE_BANDS,
    ETHNICITY_SHARES,
    IFA_SHARE_OF_MAINSTREAM_FOSTER,
    KINSHIP_SHARE_OF_FOSTER,
    MALE_SHARE,
    NEED_RATES_10_PLUS,
    NEED_RATES_UNDER_10,
    RESIDENTIAL_NEED_MULTIPLIER,
    RISK_RATES_10_PLUS,
    SETTING_BY_AGE_BAND,
    SIBLING_CHILD_SHARE,
    SIBLING_GROUP_SIZE_SHARES,
    SIBLING_MAX_AGE_GAP_YEARS,
    SOLO_SHARE_OTHER_10_PLUS,
    SOLO_SHARE_RESIDENTIAL,
    UASC_AGE_BAND_SHARES,
    UASC_ETHNICITY_SHARES,
    UASC_MALE_SHARE,
    UASC_MAX_LA_SHARE,
    UASC_NATIONAL_SHARE,
)
from rcc.demo.region import RegionContext
from rcc.demo.sampling import band_of, choice, months_before
from rcc.demo.sources import SourceData

_UASC_BANDS = dict(enumerate(UASC_AGE_BAND_SHARES))


@dataclass
class Child:
    """A child being generated (mutable until turned into a ChildSeed)."""

    key: str
    la: str
    age: int
    birth_month: date
    sex: Sex
    ethnicity: str
    uasc: bool
    setting: str  # la_foster / ifa_foster / kinship / residential / supported / parent_and_child / other
    msoa: int
    sibling_group: str | None = None
    needs: tuple[Need, ...] = ()
    risks: tuple[RiskFlag, ...] = ()
    ssda903_id: str | None = None  # the child's id in its LA's SSDA903 returns (simulated population)
    placed_since: date | None = None  # start of the current placement, if known
    past: tuple = ()  # earlier placements (rcc.demo.population.PastPlacement), ended


def _non_uasc_age_shares(uasc_share: float) -> np.ndarray:
    """Age profile of non-UASC children such that all children together follow AGE_BAND_SHARES."""
    total = np.array(AGE_BAND_SHARES, float)
    uasc = np.array(UASC_AGE_BAND_SHARES, float)
    rest = np.clip(total - uasc_share * uasc, 1e-6, None)
    return rest / rest.sum()


def _sample_age(rng: np.random.Generator, band: int) -> tuple[int, int]:
    lo, hi = AGE_BANDS[band]
    return int(rng.integers(lo, hi + 1)), int(rng.integers(0, 12))


def foster_split(rng: np.random.Generator) -> str:
    if rng.random() < KINSHIP_SHARE_OF_FOSTER:
        return "kinship"
    return "ifa_foster" if rng.random() < IFA_SHARE_OF_MAINSTREAM_FOSTER else "la_foster"


_FAMILY_SETTINGS = ("foster", "other")


@cache
def _setting_shares(band: int, female: bool, family_only: bool) -> dict[str, float]:
    """Setting probabilities for a child, so that the whole population follows SETTING_BY_AGE_BAND.

    Sibling groups only go to family-based settings (or "other"), so single children carry the other
    settings at 1 / (1 - SIBLING_CHILD_SHARE) times their population rate; parent-and-child placements
    are for young mothers, so girls carry them at 1 / (1 - MALE_SHARE) times the rate.
    """
    base = dict(SETTING_BY_AGE_BAND[band])
    family = {k: v for k, v in base.items() if k in _FAMILY_SETTINGS}
    if family_only:
        return family or {"foster": 1.0}
    other = {k: v / (1 - SIBLING_CHILD_SHARE) for k, v in base.items() if k not in _FAMILY_SETTINGS}
    if "parent_and_child" in other:
        if female:
            other["parent_and_child"] /= 1 - MALE_SHARE
        else:
            del other["parent_and_child"]
    other_total = sum(other.values())
    if other_total > 0.95:  # keep some family-based placements in every band
        other = {k: v * 0.95 / other_total for k, v in other.items()}
        other_total = 0.95
    family_total = sum(family.values()) or 1.0
    return {**other, **{k: v / family_total * (1 - other_total) for k, v in family.items()}}


def sample_setting(rng: np.random.Generator, age: int, sex: Sex, *, family_only: bool = False) -> str:
    setting = choice(rng, _setting_shares(band_of(age), sex is Sex.FEMALE, family_only))
    return foster_split(rng) if setting == "foster" else setting


def uasc_shares(data: SourceData) -> dict[str, float]:
    """Each LA's UASC share of children in care, from its UASC share of CLA spending (MHCLG RO3)."""
    spend = data.spend
    total = spend["cla_total_expenditure_gbp_000"].fillna(0)
    uasc = spend["uasc_gbp_000"].fillna(0).clip(lower=0)
    national = float(uasc.sum() / total[total > 0].sum())
    out = {}
    for la in data.las.index:
        if la in spend.index and total.get(la, 0) > 0 and national > 0:
            share = UASC_NATIONAL_SHARE * float(uasc[la] / total[la]) / national
        else:
            share = UASC_NATIONAL_SHARE
        out[la] = float(min(share, UASC_MAX_LA_SHARE))
    return out


def _sibling_unit_share() -> float:
    """Probability that a new unit is a sibling group, so SIBLING_CHILD_SHARE of children are in one."""
    mean_size = sum(k * v for k, v in SIBLING_GROUP_SIZE_SHARES.items()) / sum(
        SIBLING_GROUP_SIZE_SHARES.values()
    )
    return SIBLING_CHILD_SHARE / (mean_size - SIBLING_CHILD_SHARE * (mean_size - 1))


def _sibling_ages(rng: np.random.Generator, age: int, months: int, size: int) -> list[tuple[int, int]]:
    """(years, months) of a sibling group: the eldest given, each next one 1..max-gap years younger."""
    ages = [(age, months)]
    for _ in range(size - 1):
        prev_age, _prev_months = ages[-1]
        gap = int(rng.integers(1, SIBLING_MAX_AGE_GAP_YEARS + 1))
        if prev_age - gap < 0:
            ages.append((0, int(rng.integers(0, 12))))
        else:
            ages.append((prev_age - gap, int(rng.integers(0, 12))))
    return ages


def make_children(
    ctx: RegionContext,
    la: str,
    count: int,
    key_prefix: str,
    age_shares: Sequence[float] | None,
    purpose: str,
) -> list[Child]:
    """Children of one LA, in sibling units, each with a sampled setting (for referrals: a target).

    ``age_shares`` None: the age profile of children in care (UASC included); otherwise the profile of
    the non-UASC children. Draws come from the LA's own generator for ``purpose``.
    """
    rng = ctx.rng(la, purpose)
    uasc_share = ctx.uasc_shares[la]
    as_of = ctx.as_of
    n_msoa = ctx.n_msoa(la)
    children: list[Child] = []
    n_uasc = int(rng.binomial(count, uasc_share)) if count else 0
    base_age = _non_uasc_age_shares(uasc_share) if age_shares is None else np.array(age_shares, float)
    base_age = base_age / base_age.sum()
    male_share = (MALE_SHARE - uasc_share * UASC_MALE_SHARE) / max(1e-9, 1 - uasc_share)
    group_unit_p = _sibling_unit_share()
    eth_codes = list(ETHNICITY_SHARES)
    eth_p = np.array([ETHNICITY_SHARES[c] for c in eth_codes])
    eth_p = eth_p / eth_p.sum()
    n_group = 0

    def new_child(age: int, months: int, sex: Sex, eth: str, uasc: bool, setting: str, msoa: int) -> Child:
        idx = len(children)
        return Child(
            key=f"{key_prefix}{idx + 1}",
            la=la,
            age=age,
            birth_month=months_before(as_of, age * 12 + months),
            sex=sex,
            ethnicity=eth,
            uasc=uasc,
            setting=setting,
            msoa=msoa,
        )

    for _ in range(n_uasc):
        band = choice(rng, _UASC_BANDS)
        age, months = _sample_age(rng, band)
        sex = Sex.MALE if rng.random() < UASC_MALE_SHARE else Sex.FEMALE
        eth = choice(rng, UASC_ETHNICITY_SHARES)
        setting = sample_setting(rng, age, sex)
        children.append(new_child(age, months, sex, eth, True, setting, int(rng.integers(n_msoa))))

    while len(children) < count:
        remaining = count - len(children)
        size = 1
        if remaining >= 2 and rng.random() < group_unit_p:
            size = min(remaining, choice(rng, SIBLING_GROUP_SIZE_SHARES))
        band = int(rng.choice(len(base_age), p=base_age))
        age, months = _sample_age(rng, band)
        eth = eth_codes[int(rng.choice(len(eth_codes), p=eth_p))]
        msoa = int(rng.integers(n_msoa))
        if size == 1:
            sex = Sex.MALE if rng.random() < male_share else Sex.FEMALE
            children.append(new_child(age, months, sex, eth, False, sample_setting(rng, age, sex), msoa))
            continue
        # A sibling group: the eldest is drawn from the age profile, the others are younger; they share
        # ethnicity, home and (family-based or "other") setting.
        n_group += 1
        group_key = f"sib:{la}:{purpose[:1]}{n_group}"
        ages = _sibling_ages(rng, age, months, size)
        youngest = min(a for a, _ in ages)
        setting = sample_setting(rng, youngest, Sex.MALE, family_only=True)
        for a, m in ages:
            sex = Sex.MALE if rng.random() < male_share else Sex.FEMALE
            c = new_child(a, m, sex, eth, False, setting, msoa)
            c.sibling_group = group_key
            children.append(c)
    return children


def assign_needs(rng: np.random.Generator, child: Child, target_setting: str) -> None:
    residential = target_setting == "residential"
    mult = RESIDENTIAL_NEED_MULTIPLIER if residential else 1.0
    rates = NEED_RATES_10_PLUS if child.age >= 10 else NEED_RATES_UNDER_10
    needs = {need for need, p in rates.items() if rng.random() < min(0.9, p * mult)}
    risks: list[RiskFlag] = []
    if child.age >= 10:
        risks = [r for r, p in RISK_RATES_10_PLUS.items() if rng.random() < min(0.9, p * mult)]
    if child.uasc:
        needs.add(Need.UASC)
    if child.sibling_group:
        needs.add(Need.SIBLING_GROUP)
    if target_setting == "parent_and_child":
        needs.add(Need.PARENT_AND_CHILD)
    if child.age >= 10 and not child.sibling_group:
        solo_p = SOLO_SHARE_RESIDENTIAL if residential else SOLO_SHARE_OTHER_10_PLUS
        if rng.random() < solo_p:
            needs.add(Need.SOLO_PLACEMENT)
    child.needs = tuple(n for n in Need if n in needs)
    child.risks = tuple(r for r in RiskFlag if r in risks)


def children_in_care(ctx: RegionContext, children: list[Child]) -> list[Child]:
    """Every LA's children looked after (from the simulated population, :mod:`rcc.demo.population`),
    with needs and risk flags that depend on their age and setting."""
    needs_rng = ctx.rng(ctx.name, "needs")
    for c in children:
        assign_needs(needs_rng, c, c.setting)
    return children
