"""Deterministic (seeded) matching benchmark instances built from the shared open data.

Sources (all in ``--data-dir``, default ``../shared/data`` relative to the repo):

* ``england_childrens_services_las.csv`` - LAs, regions;
* ``england_msoa_centroids.csv`` - where people live: every home and child is put at a
  random MSOA centroid of its LA (converted WGS84 -> OSGB36 British National Grid) plus
  up to ~400 m of jitter;
* ``ofsted_providers_2023.csv`` - every children's home, secure home and residential
  special school registered as a children's home, with its LA, places, sector and
  latest judgement (registration status "Suspended" kept: the quality rule excludes it);
  IFA judgements give the judgement distribution for IFA foster households;
* ``dfe_children_looked_after_by_la_2021_2025.csv`` - 2025 children looked after (sizes
  foster households per LA) and children starting care (distributes referrals over LAs);
* ``mhclg_cla_expenditure_by_la_2024_25.csv`` - per-LA residential and fostering spend,
  which sets each LA's fee level relative to England.

Modelling assumptions (stated, not data): the shares below (ages, sibling groups,
needs, care-plan ratings, urgency, vacancy) are round numbers chosen to exercise every
rule; fee levels are the England-wide spend per place scaled by the LA's spend per
child looked after. Nothing here identifies a child.
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

# ------------------------------------------------------------------ WGS84 -> British National Grid


def wgs84_to_bng(lat, lon):
    """WGS84 latitude/longitude (degrees, arrays) to OSGB36 National Grid easting/northing
    (metres): Helmert datum shift (OS standard 7 parameters, ~2-5 m) then the OS
    transverse Mercator projection. Accurate to a few metres, ample for miles."""
    lat = np.radians(np.asarray(lat, dtype=float))
    lon = np.radians(np.asarray(lon, dtype=float))
    a1, b1 = 6378137.000, 6356752.3141
    e2 = 1 - b1 * b1 / (a1 * a1)
    nu = a1 / np.sqrt(1 - e2 * np.sin(lat) ** 2)
    x1 = nu * np.cos(lat) * np.cos(lon)
    y1 = nu * np.cos(lat) * np.sin(lon)
    z1 = (1 - e2) * nu * np.sin(lat)
    tx, ty, tz, s = -446.448, 125.157, -542.060, 20.4894e-6
    rx, ry, rz = (np.radians(v / 3600) for v in (-0.1502, -0.2470, -0.8421))
    x2 = tx + (1 + s) * x1 - rz * y1 + ry * z1
    y2 = ty + rz * x1 + (1 + s) * y1 - rx * z1
    z2 = tz - ry * x1 + rx * y1 + (1 + s) * z1
    a, b = 6377563.396, 6356256.909
    e2 = 1 - b * b / (a * a)
    p = np.sqrt(x2 * x2 + y2 * y2)
    phi = np.arctan2(z2, p * (1 - e2))
    for _ in range(6):
        nu = a / np.sqrt(1 - e2 * np.sin(phi) ** 2)
        phi = np.arctan2(z2 + e2 * nu * np.sin(phi), p)
    return _tm(phi, np.arctan2(y2, x2))


def _tm(phi, lam):
    """OS transverse Mercator projection of OSGB36 (Airy 1830) latitude/longitude (radians)."""
    a, b = 6377563.396, 6356256.909
    e2 = 1 - b * b / (a * a)
    f0, phi0, lam0, e0, n0 = 0.9996012717, np.radians(49), np.radians(-2), 400000, -100000
    n = (a - b) / (a + b)
    sp, cp = np.sin(phi), np.cos(phi)
    nu = a * f0 / np.sqrt(1 - e2 * sp * sp)
    rho = a * f0 * (1 - e2) / (1 - e2 * sp * sp) ** 1.5
    eta2 = nu / rho - 1
    dphi, sphi = phi - phi0, phi + phi0
    m = b * f0 * ((1 + n + 1.25 * n * n + 1.25 * n ** 3) * dphi
                  - (3 * n + 3 * n * n + 21 / 8 * n ** 3) * np.sin(dphi) * np.cos(sphi)
                  + (15 / 8 * n * n + 15 / 8 * n ** 3) * np.sin(2 * dphi) * np.cos(2 * sphi)
                  - 35 / 24 * n ** 3 * np.sin(3 * dphi) * np.cos(3 * sphi))
    t2 = np.tan(phi) ** 2
    i = m + n0
    ii = nu / 2 * sp * cp
    iii = nu / 24 * sp * cp ** 3 * (5 - t2 + 9 * eta2)
    iiia = nu / 720 * sp * cp ** 5 * (61 - 58 * t2 + t2 * t2)
    iv = nu * cp
    v = nu / 6 * cp ** 3 * (nu / rho - t2)
    vi = nu / 120 * cp ** 5 * (5 - 18 * t2 + t2 * t2 + 14 * eta2 - 58 * t2 * eta2)
    dl = lam - lam0
    north = i + ii * dl ** 2 + iii * dl ** 4 + iiia * dl ** 6
    east = e0 + iv * dl + v * dl ** 3 + vi * dl ** 5
    return east, north


# ------------------------------------------------------------------ data loading


def _rows(path: Path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


class OpenData:
    def __init__(self, data_dir: Path):
        d = Path(data_dir)
        self.las = {r["gss_code"]: r for r in _rows(d / "england_childrens_services_las.csv")}
        msoa = _rows(d / "england_msoa_centroids.csv")
        e, n = wgs84_to_bng([float(r["lat"]) for r in msoa], [float(r["lon"]) for r in msoa])
        self.msoa: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for r, ee, nn in zip(msoa, e, n, strict=True):
            self.msoa[r["la_gss_code"]].append((float(ee), float(nn)))
        self.ofsted = _rows(d / "ofsted_providers_2023.csv")
        self.cla: dict[str, int] = {}
        self.starts: dict[str, int] = {}
        for r in _rows(d / "dfe_children_looked_after_by_la_2021_2025.csv"):
            if r["year"] != "2025" or not r["children"].strip().isdigit():
                continue
            if r["measure"].startswith("Children looked after on 31 March"):
                self.cla[r["la_gss_code"]] = int(r["children"])
            elif r["measure"].startswith("Children starting"):
                self.starts[r["la_gss_code"]] = int(r["children"])
        self.spend = {r["la_gss_code"]: r for r in _rows(d / "mhclg_cla_expenditure_by_la_2024_25.csv")}

    def point_in(self, la: str, rng: np.random.Generator) -> tuple[float, float]:
        pts = self.msoa.get(la)
        if not pts:
            r = self.las[la]
            e, n = wgs84_to_bng([float(r["lat"])], [float(r["lon"])])
            pts = self.msoa[la] = [(float(e[0]), float(n[0]))]
        e, n = pts[int(rng.integers(len(pts)))]
        return e + float(rng.uniform(-400, 400)), n + float(rng.uniform(-400, 400))


JUDGEMENT = {"Outstanding": OfstedJudgement.OUTSTANDING, "Good": OfstedJudgement.GOOD,
             "Requires improvement to be good": OfstedJudgement.REQUIRES_IMPROVEMENT,
             "Inadequate": OfstedJudgement.INADEQUATE}
_SEXES = [frozenset({Sex.MALE, Sex.FEMALE})] * 4 + [frozenset({Sex.MALE}), frozenset({Sex.FEMALE})]
RES_TYPES = {"Children's home": HomeType.CHILDRENS_HOME,
             "Secure children's home": HomeType.SECURE_CHILDRENS_HOME,
             "Residential special school (registered as a children's home)": HomeType.RESIDENTIAL_SPECIAL_SCHOOL}


def _fee_levels(od: OpenData, las: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Weekly fee level per LA for residential and foster places, from MHCLG spend.

    England residential spend / Ofsted children's-home places / 52 gives a weekly price
    per residential place; England fostering spend / (0.7 x children looked after) / 52
    (about 7 in 10 children looked after are fostered) per foster place. Each LA is
    scaled by its spend per child looked after relative to England's.
    """
    def num(v):
        try:
            return float(v)
        except ValueError:
            return 0.0

    res_total = sum(num(r["residential_care_gbp_000"]) for r in od.spend.values()) * 1000
    fos_total = sum(num(r["fostering_services_gbp_000"]) for r in od.spend.values()) * 1000
    places = sum(int(r["places"] or 0) for r in od.ofsted if r["provision_type"] == "Children's home")
    cla_total = sum(od.cla.values())
    res_week = res_total / places / 52
    fos_week = fos_total / (0.7 * cla_total) / 52
    eng_per_child = (res_total + fos_total) / cla_total
    res_l, fos_l = {}, {}
    for la in las:
        s = od.spend.get(la)
        cla = od.cla.get(la, 0)
        scale = 1.0
        if s and cla:
            scale = (num(s["residential_care_gbp_000"]) + num(s["fostering_services_gbp_000"])) * 1000 / cla
            scale = min(1.6, max(0.6, scale / eng_per_child))
        res_l[la] = res_week * scale
        fos_l[la] = fos_week * scale
    return res_l, fos_l


# ------------------------------------------------------------------ instance


def build_instance(data_dir: Path, *, region: str | None, n_referrals: int, target_free_places: int,
                   seed: int = 2025, residential_vacancy: float = 0.22
                   ) -> tuple[list[Referral], list[Home], dict]:
    """Referrals and homes for ``region`` (``None`` = all England). About
    ``residential_vacancy`` of residential places are free; foster vacancies make up the
    rest of ``target_free_places``."""
    rng = np.random.default_rng(seed)
    od = OpenData(data_dir)
    las = sorted(la for la, r in od.las.items() if region is None or r["region"] == region)
    la_set = set(las)
    res_fee, fos_fee = _fee_levels(od, las)
    homes: list[Home] = []

    def fee(level: float) -> int:
        return int(round(level * float(rng.lognormal(0.0, 0.25)) / 10) * 10)

    def needs_for(kind: str) -> frozenset[Need]:
        probs = {"res": {Need.COMPLEX_TRAUMA: .6, Need.MENTAL_HEALTH: .35, Need.EXPLOITATION_RISK: .45,
                         Need.DISABILITY: .15, Need.SOLO_PLACEMENT: .15, Need.SIBLING_GROUP: .2,
                         Need.UASC: .15, Need.SAME_DAY_EMERGENCY: .3},
                 "fos": {Need.SIBLING_GROUP: .35, Need.DISABILITY: .1, Need.COMPLEX_TRAUMA: .15,
                         Need.UASC: .1, Need.SAME_DAY_EMERGENCY: .2, Need.EXPLOITATION_RISK: .1,
                         Need.PARENT_AND_CHILD: .05, Need.MENTAL_HEALTH: .05},
                 "sup": {Need.UASC: .4, Need.EXPLOITATION_RISK: .3, Need.MENTAL_HEALTH: .2}}[kind]
        return frozenset(n for n, p in probs.items() if rng.random() < p)

    # Ofsted-registered residential homes: real counts, places, judgements, LA
    ifa_judgements = [JUDGEMENT[r["overall_judgement"]] for r in od.ofsted
                      if r["provision_type"] == "Independent Fostering Agency" and r["overall_judgement"] in JUDGEMENT]
    res_judgements = []
    for r in od.ofsted:
        t = RES_TYPES.get(r["provision_type"])
        if t is None or r["la_gss_code"] not in la_set or r["short_break_only"] == "True":
            continue
        places = int(r["places"] or 0)
        free = int(rng.binomial(places, residential_vacancy))
        j = JUDGEMENT.get(r["overall_judgement"], OfstedJudgement.NOT_YET_INSPECTED)
        res_judgements.append(j)  # full homes stay in the register (free_places = 0)
        e, n = od.point_in(r["la_gss_code"], rng)
        lo = 10 if t is HomeType.SECURE_CHILDRENS_HOME else int(rng.choice([5, 8, 10, 11, 12]))
        occupied = places - free
        homes.append(Home(
            id=f"URN{r['urn']}", home_type=t, la=r["la_gss_code"], easting=e, northing=n, free_places=free,
            age_min=lo, age_max=17, sexes=_SEXES[int(rng.choice(6))],
            needs_met=needs_for("res"), judgement=j,
            registration=RegistrationStatus.ACTIVE if r["registration_status"] == "Active"
            else RegistrationStatus.SUSPENDED,
            weekly_fee=fee(res_fee[r["la_gss_code"]] * (1.15 if r["sector"] == "Private" else 1.0)),
            resident_ages=tuple(int(a) for a in rng.integers(lo, 18, size=occupied))))
    res_free = sum(h.free_places for h in homes)
    # Foster households: in proportion to each LA's children looked after (about one
    # approved household per two children looked after); vacancies sized so that the
    # instance has ``target_free_places`` free places in all.
    cla = {la: od.cla.get(la, 0) for la in las}
    households = {la: max(1, cla[la] // 2) for la in las}
    need_foster = max(0, int(target_free_places * 0.95) - res_free)
    p_vacant = min(0.9, need_foster / max(1, sum(households.values())) / 1.3)
    hid = 0
    for la in las:
        nv = int(rng.binomial(households[la], p_vacant))
        for _ in range(nv):
            free = int(rng.choice([1, 1, 1, 2, 2, 3]))
            t = HomeType.LA_FOSTER if rng.random() < 0.55 else HomeType.IFA_FOSTER
            e, n = od.point_in(la, rng)
            j = (ifa_judgements[int(rng.integers(len(ifa_judgements)))] if t is HomeType.IFA_FOSTER
                 else res_judgements[int(rng.integers(len(res_judgements)))] if res_judgements
                 else OfstedJudgement.GOOD)
            if j is OfstedJudgement.INADEQUATE and rng.random() < 0.5:
                j = OfstedJudgement.REQUIRES_IMPROVEMENT
            lo = int(rng.choice([0, 0, 0, 5, 10]))
            hi = int(rng.choice([11, 17, 17, 17]))
            n_res = int(rng.choice([0, 0, 1, 1, 2]))
            hid += 1
            homes.append(Home(
                id=f"F{hid:06d}", home_type=t, la=la, easting=e, northing=n, free_places=free,
                age_min=lo, age_max=max(hi, lo + 5), needs_met=needs_for("fos"), judgement=j,
                weekly_fee=fee(fos_fee[la] * (1.6 if t is HomeType.IFA_FOSTER else 1.0)),
                resident_ages=tuple(int(a) for a in rng.integers(0, 18, size=n_res))))
    # Supported accommodation for 16-17 year olds: about 5% of remaining free places
    for la in las:
        k = int(rng.binomial(max(1, cla[la] // 20), 0.5 * p_vacant + 0.05))
        for _ in range(k):
            e, n = od.point_in(la, rng)
            hid += 1
            homes.append(Home(
                id=f"S{hid:06d}", home_type=HomeType.SUPPORTED_ACCOMMODATION, la=la, easting=e, northing=n,
                free_places=int(rng.choice([1, 1, 2, 4])), age_min=16, age_max=17, needs_met=needs_for("sup"),
                judgement=OfstedJudgement.NOT_YET_INSPECTED, weekly_fee=fee(res_fee[la] * 0.35),
                resident_ages=None))

    # Referrals: LAs in proportion to children starting care in 2025.
    starts = np.array([od.starts.get(la, 1) for la in las], dtype=float)
    la_pick = rng.choice(len(las), size=n_referrals, p=starts / starts.sum())
    referrals: list[Referral] = []
    ages = np.arange(18)
    age_w = np.array([5, 3, 3, 3, 3, 3, 3, 3, 3, 4, 5, 6, 7, 8, 9, 10, 10, 9], dtype=float)
    for i, li in enumerate(la_pick):
        la = las[li]
        size = int(rng.choice([1, 2, 3], p=[0.78, 0.16, 0.06]))
        e, n = od.point_in(la, rng)
        base_age = int(rng.choice(ages, p=age_w / age_w.sum()))
        kids = []
        for k in range(size):
            age = int(min(17, max(0, base_age - 2 * k))) if size > 1 else base_age
            if size > 1:
                age = min(age, 15)
            suit = {PlacementCategory.FOSTER: Suitability.PREFERRED,
                    PlacementCategory.RESIDENTIAL: Suitability.SUITABLE if age >= 10 else Suitability.UNSUITABLE,
                    PlacementCategory.SUPPORTED: Suitability.SUITABLE if age >= 16 else Suitability.UNSUITABLE}
            if age >= 12 and rng.random() < 0.3:
                suit[PlacementCategory.RESIDENTIAL] = Suitability.PREFERRED
                suit[PlacementCategory.FOSTER] = Suitability.SUITABLE
            needs = set()
            if rng.random() < 0.12:
                needs.add(Need.COMPLEX_TRAUMA)
            if rng.random() < 0.05:
                needs.add(Need.DISABILITY)
            if age >= 14 and rng.random() < 0.08:
                needs.add(Need.UASC)
            risks = set()
            if age >= 11 and rng.random() < 0.1:
                risks.add(RiskFlag.CRIMINAL_EXPLOITATION)
            if age >= 12 and rng.random() < 0.04:
                risks.add(RiskFlag.TO_OTHERS_PHYSICAL)
            if age >= 12 and rng.random() < 0.015:
                risks.add(RiskFlag.TO_OTHERS_SEXUAL)
            lc = LivingCompanions.NO_PREFERENCE
            if size == 1 and rng.random() < 0.05:
                lc = LivingCompanions.SOLO
            school = rng.random() < 0.35 and 5 <= age <= 16
            se, sn = (e + float(rng.uniform(-3000, 3000)), n + float(rng.uniform(-3000, 3000))) if school \
                else (None, None)
            avoid = ()
            if rng.random() < 0.05:
                ae, an = od.point_in(la, rng)
                avoid = ((ae, an, float(rng.choice([1.0, 2.0, 5.0]))),)
            kids.append(ChildProfile.make(
                id=f"R{i:05d}-{k}", age_years=age, sex=Sex.MALE if rng.random() < 0.56 else Sex.FEMALE,
                home_easting=e, home_northing=n, home_la=la, needs=needs, suitability=suit, risks=risks,
                living_companions=lc, school_easting=se, school_northing=sn, must_keep_school=school,
                places_to_avoid=avoid))
        urg = [Urgency.TODAY, Urgency.WITHIN_5_DAYS, Urgency.AFTER_5_DAYS][
            int(rng.choice(3, p=[0.2, 0.3, 0.5]))]
        referrals.append(Referral(id=f"R{i:05d}", children=tuple(kids), urgency=urg, la=la,
                                  allow_split=size > 1 and rng.random() < 0.5))
    meta = {"region": region or "England", "las": len(las), "referrals": len(referrals),
            "children": sum(r.size for r in referrals), "sibling_groups": sum(r.size > 1 for r in referrals),
            "homes": len(homes), "free_places": sum(h.free_places for h in homes),
            "residential_free_places": res_free, "seed": seed}
    return referrals, homes, meta


def bng_self_check() -> float:
    """Error in metres of the projection against the Ordnance Survey worked example
    (OSGB36 52 39 27.2531 N, 1 43 4.5177 E -> E 651409.903 N 313177.270)."""
    e, n = _tm(np.radians([52 + 39 / 60 + 27.2531 / 3600]), np.radians([1 + 43 / 60 + 4.5177 / 3600]))
    return math.hypot(float(e[0]) - 651409.903, float(n[0]) - 313177.270)
