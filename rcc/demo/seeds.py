"""What the generator returns: plain frozen dataclasses, one per register table (no database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from api_schemas.vocab import (
    HomeType,
    LivingCompanions,
    Need,
    OfstedJudgement,
    OutOfLAReason,
    ProviderSector,
    RegistrationStatus,
    RiskFlag,
    Sex,
    Suitability,
    Urgency,
)


@dataclass(frozen=True, slots=True)
class LASeed:
    gss_code: str
    dfe_code: str | None  # 3-digit DfE code; None for LAs created after the register was compiled
    name: str
    region: str
    population: int
    lat: float
    lon: float
    easting: float
    northing: float


@dataclass(frozen=True, slots=True)
class ProviderSeed:
    key: str
    name: str
    sector: ProviderSector
    owner_group: str
    companies_house_number: str | None
    difficult_to_replace: bool
    risk_rating: str  # "low" | "medium" | "high"
    contingency_plan_held: bool
    contingency_plan_date: date | None


@dataclass(frozen=True, slots=True)
class HomeSeed:
    key: str
    provider_key: str
    urn: str | None
    name: str
    home_type: HomeType
    registration_status: RegistrationStatus
    judgement: OfstedJudgement
    judgement_date: date | None
    la_gss_code: str
    postcode_sector: str
    easting: float
    northing: float
    registered_places: int
    age_min: int
    age_max: int
    sexes: tuple[Sex, ...]
    needs_met: tuple[Need, ...]
    fee_core: float
    fee_additional_support: float
    fee_education: float
    fee_other: float


@dataclass(frozen=True, slots=True)
class ChildSeed:
    key: str
    la_gss_code: str
    la_child_id: str
    birth_month: date
    sex: Sex
    ethnicity: str
    uasc: bool
    needs: tuple[Need, ...]
    home_postcode_sector: str
    home_easting: float
    home_northing: float
    school_postcode_sector: str | None
    school_easting: float | None
    school_northing: float | None
    must_keep_school: bool
    sibling_group_key: str | None
    suitability: dict[str, Suitability]  # placement category -> level; not_specified left out
    risks: tuple[RiskFlag, ...]
    living_companions: LivingCompanions
    cultural_needs: str | None
    communication_needs: tuple[str, ...]
    wishes: str


@dataclass(frozen=True, slots=True)
class PlacementSeed:
    child_key: str
    home_key: str
    start_date: date
    weekly_core: float
    weekly_additional_support: float
    weekly_education: float
    weekly_other: float
    end_date: date | None = None  # an ended placement (from the simulated population's history)
    reason_ended: str | None = None  # SSDA903 REASON_PLACE_CHANGE (or REC when care ended)


@dataclass(frozen=True, slots=True)
class VacancySeed:
    home_key: str
    places: int
    available_from: date
    confirmed_by: str
    confirmed_at: datetime


@dataclass(frozen=True, slots=True)
class ReferralSeed:
    key: str
    la_gss_code: str
    child_keys: tuple[str, ...]
    needed_by: Urgency
    preferred_location_local: bool
    out_of_la_reason: OutOfLAReason | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReturnSeed:
    """One LA's SSDA903 return for one collection year (start year), as the CSV files an LA uploads."""

    la_gss_code: str
    collection_year: int
    files: dict[str, bytes]


@dataclass(frozen=True, slots=True)
class DemoRegion:
    rcc_name: str
    region: str
    seed: int
    las: tuple[LASeed, ...]
    providers: tuple[ProviderSeed, ...]
    homes: tuple[HomeSeed, ...]
    children: tuple[ChildSeed, ...]
    placements: tuple[PlacementSeed, ...]
    vacancies: tuple[VacancySeed, ...]
    referrals: tuple[ReferralSeed, ...]
    assumptions: tuple[str, ...]
    as_of: date  # the day the snapshot describes (vacancy staleness, referral ages, placement starts)
    returns: tuple[ReturnSeed, ...] = ()  # every member LA's SSDA903 returns, oldest year first
