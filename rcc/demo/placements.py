"""Current placements: each child in care (in sibling units) placed in a home with room for them.

Units are placed in a seeded random order. A unit goes to a home of its setting that takes its ages and
sexes and has room; the distance class (inside/outside the LA, under/over 20 miles) is drawn from the
LA's DfE shares, and nearer homes are likelier within it. Kinship carers get a household of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

import numpy as np

from api_schemas.vocab import HomeType, Need, Sex
from rcc.demo.children import Child
from rcc.demo.homes import DraftHome, household
from rcc.demo.params import (
    ADDITIONAL_SUPPORT_UPLIFT_PER_NEED,
    KINSHIP_SAME_LA_SHARE,
    PLACEMENT_FEE_NOISE_SIGMA,
    PLACEMENT_MEAN_AGE_DAYS,
    SECURE_MIN_RISK_FLAGS,
)
from rcc.demo.region import RegionContext
from rcc.demo.seeds import PlacementSeed
from rcc.demo.sources import FAR_MILES, METRES_PER_MILE

# Home types that take a child of each setting (residential: see _Placer.residential_mask).
_SETTING_TYPES: dict[str, set[str]] = {
    "la_foster": {HomeType.LA_FOSTER.value},
    "ifa_foster": {HomeType.IFA_FOSTER.value},
    "parent_and_child": {HomeType.PARENT_AND_CHILD.value},
    "residential": {HomeType.CHILDRENS_HOME.value},
    "supported": {HomeType.SUPPORTED_ACCOMMODATION.value, HomeType.SUPPORTED_LODGINGS.value},
}
# Needs that raise a placement's additional-support fee (params: ADDITIONAL_SUPPORT_UPLIFT_PER_NEED).
_INTENSIVE_NEEDS = (Need.COMPLEX_TRAUMA, Need.MENTAL_HEALTH, Need.EXPLOITATION_RISK, Need.SOLO_PLACEMENT)


@dataclass
class Placed:
    placements: list[PlacementSeed] = field(default_factory=list)
    occupied: dict[str, int] = field(default_factory=dict)  # home key -> children placed there
    unplaced_residential: int = 0  # children needing residential care with no free place in the region


class _Placer:
    """Free places of the region's homes (as arrays) and the placements made so far."""

    def __init__(self, ctx: RegionContext, homes: list[DraftHome]) -> None:
        self.ctx = ctx
        self.homes = homes  # kinship households are appended
        self.rng = ctx.rng(ctx.name, "placements")
        self.out = Placed()
        self.kinship_count: dict[str, int] = {}
        self.h_e = np.array([h.e for h in homes])
        self.h_n = np.array([h.n for h in homes])
        self.h_la = np.array([h.la for h in homes], dtype=object)
        self.h_type = np.array([h.home_type.value for h in homes], dtype=object)
        self.h_free = np.array([h.capacity for h in homes], dtype=np.int64)
        self.h_amin = np.array([h.age_min for h in homes])
        self.h_amax = np.array([h.age_max for h in homes])
        self.h_male = np.array([Sex.MALE in h.sexes for h in homes])
        self.h_female = np.array([Sex.FEMALE in h.sexes for h in homes])
        self.type_masks = {s: np.isin(self.h_type, list(t)) for s, t in _SETTING_TYPES.items()}
        self._la_masks: dict[str, np.ndarray] = {}
        self._residential_masks: dict[tuple[bool, bool], np.ndarray] = {}

    def in_la(self, la: str) -> np.ndarray:
        if la not in self._la_masks:
            self._la_masks[la] = self.h_la == la
        return self._la_masks[la]

    def residential_mask(self, c: Child) -> np.ndarray:
        """Children's homes; also schools and short-break homes if disabled, secure homes if high-risk."""
        key = (Need.DISABILITY in c.needs, len(c.risks) >= SECURE_MIN_RISK_FLAGS)
        if key not in self._residential_masks:
            types = {HomeType.CHILDRENS_HOME.value}
            if key[0]:
                types |= {HomeType.RESIDENTIAL_SPECIAL_SCHOOL.value, HomeType.SHORT_BREAK_HOME.value}
            if key[1]:
                types |= {HomeType.SECURE_CHILDRENS_HOME.value}
            self._residential_masks[key] = np.isin(self.h_type, list(types))
        return self._residential_masks[key]

    def choose(self, unit: list[Child], base: np.ndarray) -> int | None:
        """Index of a home in ``base`` that can take the whole unit, or None."""
        ages = [c.age for c in unit]
        idx = np.flatnonzero(base)
        ok = (
            (self.h_free[idx] >= len(unit))
            & (self.h_amin[idx] <= min(ages))
            & (self.h_amax[idx] >= max(ages))
        )
        if any(c.sex is Sex.MALE for c in unit):
            ok &= self.h_male[idx]
        if any(c.sex is Sex.FEMALE for c in unit):
            ok &= self.h_female[idx]
        idx = idx[ok]
        if len(idx) == 0:
            return None
        data = self.ctx.data
        la = unit[0].la
        _, ce, cn = self.ctx.sector_point(la, unit[0].msoa)
        shares = data.distance.get(la)
        if shares is None:
            shares = data.region_distance.get(self.ctx.name, data.national_distance)
        cls = int(np.searchsorted(np.cumsum(shares), self.rng.random() * float(np.sum(shares)), side="right"))
        cls = min(cls, 3)
        dist = np.hypot(self.h_e[idx] - ce, self.h_n[idx] - cn)
        inside = self.in_la(la)[idx]
        far = dist > FAR_MILES * METRES_PER_MILE
        want_inside, want_far = cls < 2, cls % 2 == 1
        pick = (inside == want_inside) & (far == want_far)
        if pick.any():
            cand, d = idx[pick], dist[pick]
            w = 1.0 / (d + 5_000.0)
            return int(cand[int(self.rng.choice(len(cand), p=w / w.sum()))])
        return int(idx[int(np.argmin(dist))])  # nearest home that can take them

    def record(self, unit: list[Child], home: int) -> None:
        """Place the unit in ``homes[home]`` from a common start date, each with its own fee."""
        h = self.homes[home]
        self.h_free[home] -= len(unit)
        self.out.occupied[h.key] = self.out.occupied.get(h.key, 0) + len(unit)
        mean_age = PLACEMENT_MEAN_AGE_DAYS[unit[0].setting]
        start = self.ctx.as_of - timedelta(days=int(self.rng.exponential(mean_age)))
        for c in unit:
            start_c = c.placed_since or max(start, c.birth_month)
            intensive = sum(n in c.needs for n in _INTENSIVE_NEEDS)
            noise = float(np.exp(self.rng.normal(0, PLACEMENT_FEE_NOISE_SIGMA)))
            core, extra, edu, other = h.fees
            self.out.placements.append(
                PlacementSeed(
                    child_key=c.key,
                    home_key=h.key,
                    start_date=start_c,
                    weekly_core=core,
                    weekly_additional_support=round(
                        extra * (1 + ADDITIONAL_SUPPORT_UPLIFT_PER_NEED * intensive) * noise, 2
                    ),
                    weekly_education=edu,
                    weekly_other=other,
                )
            )

    def place_kinship(self, unit: list[Child]) -> None:
        """A kinship household approved for the unit, usually in its own LA, at the household's fee."""
        la = unit[0].la
        rng, la_codes = self.rng, self.ctx.la_codes
        home_la = la if rng.random() < KINSHIP_SAME_LA_SHARE else la_codes[int(rng.integers(len(la_codes)))]
        self.kinship_count[la] = self.kinship_count.get(la, 0) + 1
        key = f"kin:{la}:{self.kinship_count[la]}"
        h = household(self.ctx, home_la, key, f"la:{la}", HomeType.KINSHIP_FOSTER, len(unit), rng)
        self.homes.append(h)
        self.out.occupied[h.key] = len(unit)
        start = self.ctx.as_of - timedelta(days=int(rng.exponential(PLACEMENT_MEAN_AGE_DAYS["kinship"])))
        for c in unit:
            core, extra, edu, other = h.fees
            self.out.placements.append(
                PlacementSeed(
                    c.key, h.key, c.placed_since or max(start, c.birth_month), core, extra, edu, other
                )
            )

    def place(self, unit: list[Child]) -> None:
        """Place one unit (siblings together, else individually; foster children anywhere if need be)."""
        setting = unit[0].setting
        if setting == "other":
            return
        if setting == "kinship":
            self.place_kinship(unit)
            return
        if setting == "supported":
            base = self.type_masks["supported"]
        elif setting == "residential":
            base = self.residential_mask(unit[0])
        elif setting == "la_foster":
            base = self.type_masks["la_foster"] & self.in_la(unit[0].la)
        else:
            base = self.type_masks[setting]
        home = self.choose(unit, base)
        if home is None and len(unit) > 1:
            for c in unit:
                single = self.choose([c], base)
                if single is not None:
                    self.record([c], single)
            return
        if home is None:
            # Fall back to any home of the family for the setting anywhere in the region.
            if setting in ("la_foster", "ifa_foster"):
                home = self.choose(unit, self.type_masks["la_foster"] | self.type_masks["ifa_foster"])
            if home is None:
                if setting == "residential":
                    self.out.unplaced_residential += len(unit)
                return
        self.record(unit, home)


def place_children(ctx: RegionContext, children: list[Child], homes: list[DraftHome]) -> Placed:
    """Place every child in care; kinship households made on the way are appended to ``homes``."""
    placer = _Placer(ctx, homes)
    units: dict[str, list[Child]] = {}
    for c in children:
        units.setdefault(c.sibling_group or c.key, []).append(c)
    unit_list = list(units.values())
    for u in placer.rng.permutation(len(unit_list)).tolist():
        placer.place(unit_list[u])
    return placer.out


def _base(placer: _Placer, c: Child, setting: str) -> np.ndarray | None:
    if setting in ("la_foster", "ifa_foster"):
        return placer.type_masks["la_foster"] | placer.type_masks["ifa_foster"]
    if setting == "residential":
        return placer.residential_mask(c)
    return placer.type_masks.get(setting)


def place_history(ctx: RegionContext, children: list[Child], homes: list[DraftHome], placed: Placed) -> int:
    """Ended placements (``Child.past``) in homes with a place free now that no other ended placement
    held at the same time, so no home is ever over its places; kinship placements (households made for
    one child) and those with no such home are left out. Returns how many were left out."""
    placer = _Placer(ctx, homes)
    placer.rng = ctx.rng(ctx.name, "history")
    occupied = placed.occupied
    placer.h_free = np.array([max(0, h.capacity - occupied.get(h.key, 0)) for h in homes], dtype=np.int64)
    held: dict[int, list[tuple]] = {}
    left_out = 0
    for c in children:
        for p in c.past:
            base = _base(placer, c, p.setting)
            if base is None:
                left_out += 1
                continue
            young = replace(c, age=max(0, c.age - (ctx.as_of - p.start).days // 365))
            mask = base.copy()
            home = None
            for _ in range(4):
                cand = placer.choose([young], mask)
                if cand is None:
                    break
                overlapping = sum(s < p.end and p.start < e for s, e in held.get(cand, []))
                if overlapping < placer.h_free[cand]:
                    home = cand
                    break
                mask = mask.copy()
                mask[cand] = False
            if home is None:
                left_out += 1
                continue
            held.setdefault(home, []).append((p.start, p.end))
            core, extra, edu, other = homes[home].fees
            placed.placements.append(
                PlacementSeed(
                    c.key, homes[home].key, p.start, core, extra, edu, other, p.end, p.reason or None
                )
            )
    return left_out
