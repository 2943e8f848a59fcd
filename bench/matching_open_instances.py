"""A second, independent family of matching benchmark instances, built straight from the open
data in shared/data - NOT through the demo generator (rcc/demo) or the service's adapters.

    build_open_instance(data_dir, regions=("South West",), referrals=300, scarce=False, seed=11)

* Children's homes: every Ofsted-registered children's home, secure children's home and
  residential special school registered as a children's home in the regions (Ofsted 2023),
  with its places, judgement and registration status, placed at a seeded MSOA centroid of
  its local authority. Free places: a seeded binomial draw of its places (30% each, or 8% when
  ``scarce``). Specialisms are scarce on purpose (disability in residential special schools
  and 6% of children's homes, mental health 12%, complex trauma 35%, exploitation 30%,
  sibling groups 15%, solo 10%).
* Foster households: 0.35 per child looked after in each LA (DfE, 31 March 2025), 60% LA /
  40% agency, 1-3 approved places; a household has free places with probability 22% (7% when
  ``scarce``). Few meet disability (3%) or mental-health (2%) needs.
* Supported accommodation for 16-17 year olds: 1 place per 60 children looked after.
* Referrals: ``referrals`` in total, shared between the LAs in proportion to the children
  starting to be looked after (DfE 2025); 62% single children, 10% pairs and 28% sibling groups
  of 3-6, of which 65% (pairs 35%) have a care plan that allows a split. Rare needs: 12% of
  children (disability, mental health, complex trauma), exploitation risk for 8% of teenagers.
  Home at a seeded MSOA centroid of the LA.

Coordinates: WGS84 latitude/longitude projected with the Ordnance Survey's transverse
Mercator (Airy 1830, national grid origin) without the datum shift (about 100 m), which is
ample for distances in miles. Everything is a pure function of the files and the seed.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from api_schemas.vocab import (
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
from matching import ChildProfile, Home, Referral


def latlon_to_bng(lat: float, lon: float) -> tuple[float, float]:
    """OSGB transverse Mercator (Airy 1830), without the WGS84 -> OSGB36 shift (~100 m)."""
    a, b = 6377563.396, 6356256.909
    f0, lat0, lon0 = 0.9996012717, math.radians(49.0), math.radians(-2.0)
    n0, e0 = -100000.0, 400000.0
    phi, lam = math.radians(lat), math.radians(lon)
    e2 = 1 - (b * b) / (a * a)
    n = (a - b) / (a + b)
    s, c = math.sin(phi), math.cos(phi)
    nu = a * f0 / math.sqrt(1 - e2 * s * s)
    rho = a * f0 * (1 - e2) / (1 - e2 * s * s) ** 1.5
    eta2 = nu / rho - 1
    dp, sp = phi - lat0, phi + lat0
    m = (
        b
        * f0
        * (
            (1 + n + 1.25 * n * n + 1.25 * n**3) * dp
            - (3 * n + 3 * n * n + 2.625 * n**3) * math.sin(dp) * math.cos(sp)
            + (1.875 * n * n + 1.875 * n**3) * math.sin(2 * dp) * math.cos(2 * sp)
            - 35 / 24 * n**3 * math.sin(3 * dp) * math.cos(3 * sp)
        )
    )
    t = math.tan(phi)
    i = m + n0
    ii = nu / 2 * s * c
    iii = nu / 24 * s * c**3 * (5 - t * t + 9 * eta2)
    iiia = nu / 720 * s * c**5 * (61 - 58 * t * t + t**4)
    iv = nu * c
    v = nu / 6 * c**3 * (nu / rho - t * t)
    vi = nu / 120 * c**5 * (5 - 18 * t * t + t**4 + 14 * eta2 - 58 * t * t * eta2)
    dl = lam - lon0
    north = i + ii * dl**2 + iii * dl**4 + iiia * dl**6
    east = e0 + iv * dl + v * dl**3 + vi * dl**5
    return east, north


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


_JUDGEMENT = {
    "Outstanding": OfstedJudgement.OUTSTANDING,
    "Good": OfstedJudgement.GOOD,
    "Requires improvement to be good": OfstedJudgement.REQUIRES_IMPROVEMENT,
    "Inadequate": OfstedJudgement.INADEQUATE,
    "": OfstedJudgement.NOT_YET_INSPECTED,
}
_OFSTED_TYPES = {
    "Children's home": HomeType.CHILDRENS_HOME,
    "Secure children's home": HomeType.SECURE_CHILDRENS_HOME,
    "Residential special school (registered as a children's home)": HomeType.RESIDENTIAL_SPECIAL_SCHOOL,
}


def _subset(rng: np.random.Generator, probs: dict[Need, float]) -> frozenset[Need]:
    return frozenset(need for need, p in probs.items() if rng.random() < p)


def build_open_instance(
    data_dir: Path, *, regions: tuple[str, ...] | None, referrals: int, scarce: bool, seed: int = 11
) -> tuple[list[Referral], list[Home], dict[str, object]]:
    """Referrals, homes and a description (see the module docstring). ``regions=None``: England."""
    tag = [ord(ch) for ch in "".join(regions or ("England",))]
    rng = np.random.default_rng([seed, int(scarce), *tag])  # supply
    rrng = np.random.default_rng([seed, referrals, *tag])  # referrals: the same in the scarce version
    las = [
        r
        for r in _read(data_dir / "england_childrens_services_las.csv")
        if regions is None or r["region"] in regions
    ]
    codes = {r["gss_code"] for r in las}
    msoa: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in _read(data_dir / "england_msoa_centroids.csv"):
        if r["la_gss_code"] in codes:
            msoa[r["la_gss_code"]].append(latlon_to_bng(float(r["lat"]), float(r["lon"])))
    for r in las:  # an LA without MSOAs (none expected) falls back to its centroid
        if not msoa[r["gss_code"]]:
            msoa[r["gss_code"]].append(latlon_to_bng(float(r["lat"]), float(r["lon"])))
    cla: dict[str, int] = {}
    starts: dict[str, int] = {}
    for r in _read(data_dir / "dfe_children_looked_after_by_la_2021_2025.csv"):
        if r["year"] == "2025" and r["la_gss_code"] in codes and r["children"].isdigit():
            if r["measure"].startswith("Children looked after on"):
                cla[r["la_gss_code"]] = int(r["children"])
            elif r["measure"].startswith("Children starting"):
                starts[r["la_gss_code"]] = int(r["children"])

    def spot(la: str, g: np.random.Generator | None = None) -> tuple[float, float]:
        g = g or rng
        pts = msoa[la]
        e, n = pts[int(g.integers(len(pts)))]
        return e + float(g.normal(0, 400)), n + float(g.normal(0, 400))

    homes: list[Home] = []
    free_p = 0.08 if scarce else 0.30
    for r in _read(data_dir / "ofsted_providers_2023.csv"):
        t = _OFSTED_TYPES.get(r["provision_type"])
        if t is None or r["la_gss_code"] not in codes:
            continue
        places = int(r["places"] or 0)
        e, n = spot(r["la_gss_code"])
        rss = t is HomeType.RESIDENTIAL_SPECIAL_SCHOOL
        needs = _subset(
            rng,
            {
                Need.DISABILITY: 1.0 if rss else 0.06,
                Need.MENTAL_HEALTH: 0.12,
                Need.COMPLEX_TRAUMA: 0.35,
                Need.EXPLOITATION_RISK: 0.30,
                Need.SIBLING_GROUP: 0.15,
                Need.SOLO_PLACEMENT: 0.10,
            },
        )
        lo = (
            int(rng.choice([5, 8, 10, 11], p=[0.15, 0.35, 0.3, 0.2]))
            if t is HomeType.CHILDRENS_HOME
            else (10 if t is HomeType.SECURE_CHILDRENS_HOME else 5)
        )
        homes.append(
            Home(
                id=f"urn{r['urn']}",
                home_type=t,
                la=r["la_gss_code"],
                easting=e,
                northing=n,
                free_places=int(rng.binomial(places, free_p)),
                age_min=lo,
                age_max=17,
                sexes=frozenset({Sex.MALE, Sex.FEMALE})
                if rng.random() < 0.85
                else frozenset({rng.choice(list(Sex))}),
                needs_met=needs,
                judgement=_JUDGEMENT.get(r["overall_judgement"], OfstedJudgement.NOT_YET_INSPECTED),
                registration=RegistrationStatus.ACTIVE
                if r["registration_status"] == "Active"
                else RegistrationStatus.SUSPENDED,
                weekly_fee=int(round(rng.normal(5200, 900), -1)),
                resident_ages=tuple(int(a) for a in rng.integers(lo, 18, size=max(0, places - 1)))[:3],
            )
        )
    fam_free = 0.07 if scarce else 0.22
    for la in sorted(codes):
        for i in range(int(round(cla.get(la, 0) * 0.35))):
            e, n = spot(la)
            agency = rng.random() < 0.4
            approved = int(rng.choice([1, 2, 3], p=[0.5, 0.32, 0.18]))
            free = int(rng.integers(1, approved + 1)) if rng.random() < fam_free else 0
            homes.append(
                Home(
                    id=f"fh:{la}:{i}",
                    home_type=HomeType.IFA_FOSTER if agency else HomeType.LA_FOSTER,
                    la=la,
                    easting=e,
                    northing=n,
                    free_places=free,
                    age_min=0,
                    age_max=17,
                    needs_met=_subset(
                        rng,
                        {
                            Need.SIBLING_GROUP: 0.25,
                            Need.DISABILITY: 0.03,
                            Need.MENTAL_HEALTH: 0.02,
                            Need.COMPLEX_TRAUMA: 0.08,
                            Need.UASC: 0.05,
                        },
                    ),
                    judgement=OfstedJudgement.GOOD
                    if not agency or rng.random() < 0.8
                    else OfstedJudgement.OUTSTANDING,
                    weekly_fee=int(round(rng.normal(950 if agency else 480, 80), -1)),
                    resident_ages=tuple(int(a) for a in rng.integers(0, 18, size=approved - free)),
                )
            )
        for i in range(max(1, cla.get(la, 0) // 60)):
            e, n = spot(la)
            homes.append(
                Home(
                    id=f"sa:{la}:{i}",
                    home_type=HomeType.SUPPORTED_ACCOMMODATION,
                    la=la,
                    easting=e,
                    northing=n,
                    free_places=int(rng.binomial(4, free_p)),
                    age_min=16,
                    age_max=17,
                    judgement=OfstedJudgement.GOOD,
                    weekly_fee=int(round(rng.normal(1600, 200), -1)),
                )
            )
    # referrals, shared between LAs in proportion to children starting care
    las_sorted = sorted(codes)
    weight = np.array([starts.get(la, 1) for la in las_sorted], dtype=float)
    per_la = rrng.multinomial(referrals, weight / weight.sum())
    refs: list[Referral] = []
    for la, k in zip(las_sorted, per_la, strict=True):
        for i in range(int(k)):
            u = rrng.random()
            size = (
                1 if u < 0.62 else 2 if u < 0.72 else int(rrng.choice([3, 4, 5, 6], p=[0.4, 0.3, 0.2, 0.1]))
            )
            split = size > 1 and rrng.random() < (0.35 if size == 2 else 0.65)
            e, n = spot(la, rrng)
            base = int(rrng.integers(0, 18)) if size == 1 else int(rrng.integers(size, 15))
            kids = []
            for c in range(size):
                age = base if size == 1 else int(np.clip(base - 2 * c + rrng.integers(-1, 2), 0, 17))
                teen = age >= 13
                needs = _subset(
                    rng,
                    {
                        Need.DISABILITY: 0.04,
                        Need.MENTAL_HEALTH: 0.03 if teen else 0.0,
                        Need.COMPLEX_TRAUMA: 0.05,
                    },
                )
                if size == 1 and age >= 14 and rrng.random() < 0.05:
                    needs |= {Need.UASC}
                suit = {
                    PlacementCategory.FOSTER: Suitability.PREFERRED
                    if not teen or rrng.random() < 0.5
                    else Suitability.SUITABLE,
                    PlacementCategory.RESIDENTIAL: Suitability.PREFERRED
                    if teen and rrng.random() < 0.3
                    else Suitability.SUITABLE
                    if teen
                    else Suitability.UNSUITABLE,
                }
                if age >= 16:
                    suit[PlacementCategory.SUPPORTED] = Suitability.SUITABLE
                keep_school = 5 <= age <= 15 and rrng.random() < 0.3
                se, sn = (
                    (e + float(rrng.normal(0, 1500)), n + float(rrng.normal(0, 1500)))
                    if keep_school
                    else (None, None)
                )
                kids.append(
                    ChildProfile.make(
                        id=f"{la}:{i}:{c}",
                        age_years=age,
                        sex=Sex.MALE if rrng.random() < 0.55 else Sex.FEMALE,
                        home_easting=e,
                        home_northing=n,
                        home_la=la,
                        needs=needs,
                        suitability=suit,
                        risks={RiskFlag.CRIMINAL_EXPLOITATION} if teen and rrng.random() < 0.08 else set(),
                        living_companions=LivingCompanions.SOLO
                        if size == 1 and teen and rrng.random() < 0.05
                        else LivingCompanions.NO_PREFERENCE,
                        school_easting=se,
                        school_northing=sn,
                        must_keep_school=keep_school,
                    )
                )
            urgency = Urgency(
                rrng.choice(
                    [u.value for u in (Urgency.TODAY, Urgency.WITHIN_5_DAYS, Urgency.AFTER_5_DAYS)],
                    p=[0.2, 0.3, 0.5],
                )
            )
            refs.append(
                Referral(id=f"ref:{la}:{i}", children=tuple(kids), urgency=urgency, la=la, allow_split=split)
            )
    order = rrng.permutation(len(refs))  # arrival order: LAs interleaved
    refs = [refs[i] for i in order]
    meta: dict[str, object] = {
        "region": ", ".join(regions) if regions else "England",
        "las": len(codes),
        "referrals": len(refs),
        "children": sum(r.size for r in refs),
        "sibling_groups": sum(r.size > 1 for r in refs),
        "splittable_groups": sum(r.size > 1 and r.allow_split for r in refs),
        "groups_3_to_6": sum(r.size >= 3 for r in refs),
        "children_with_rare_needs": sum(
            bool(c.needs & {Need.DISABILITY, Need.MENTAL_HEALTH}) for r in refs for c in r.children
        ),
        "homes": len(homes),
        "homes_with_free_places": sum(h.free_places > 0 for h in homes),
        "free_places": sum(h.free_places for h in homes),
        "scarce": scarce,
        "seed": seed,
        "builder": "bench/matching_open_instances.py (open data, independent of rcc/demo)",
    }
    return refs, homes, meta
