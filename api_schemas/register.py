"""Request and response models for the supply side of the register."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api_schemas.common import Id, Orm, Patch, Timestamp
from api_schemas.vocab import HomeType, Need, OfstedJudgement, ProviderSector, RegistrationStatus, Sex

RiskRating = str


class LocalAuthorityOut(Orm):
    id: int
    gss_code: str
    dfe_code: str
    name: str
    region: str
    population: int | None
    easting: float | None
    northing: float | None


class RccIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    member_la_codes: list[str] = Field(
        min_length=1,
        max_length=20,
        description="GSS (E06…) or DfE 3-digit codes of the member LAs (up to 20)",
    )


class RccPatch(Patch):
    NOT_NULL: ClassVar[frozenset[str]] = frozenset({"member_la_codes", "name"})  # NOT NULL columns (tested)
    name: str | None = Field(default=None, min_length=1, max_length=120)
    member_la_codes: list[str] | None = Field(default=None, min_length=1, max_length=20)


class RccOut(Orm):
    id: int
    name: str
    members: list[LocalAuthorityOut]


class ProviderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    sector: ProviderSector
    owner_group: str | None = Field(default=None, max_length=200)
    companies_house_number: str | None = Field(default=None, max_length=8, pattern=r"^[A-Z0-9]{8}$")
    difficult_to_replace: bool = False
    risk_rating: str | None = Field(default=None, max_length=10, pattern=r"^(low|medium|high|critical)$")
    contingency_plan_held: bool = False
    contingency_plan_date: dt.date | None = None


class ProviderPatch(Patch):
    NOT_NULL: ClassVar[frozenset[str]] = frozenset(
        {"contingency_plan_held", "difficult_to_replace", "name", "sector"}
    )  # NOT NULL columns (tested)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    sector: ProviderSector | None = None
    owner_group: str | None = Field(default=None, max_length=200)
    companies_house_number: str | None = Field(default=None, max_length=8, pattern=r"^[A-Z0-9]{8}$")
    difficult_to_replace: bool | None = None
    risk_rating: str | None = Field(default=None, max_length=10, pattern=r"^(low|medium|high|critical)$")
    contingency_plan_held: bool | None = None
    contingency_plan_date: dt.date | None = None


class ProviderOut(Orm):
    id: int
    name: str
    sector: ProviderSector
    owner_group: str | None
    companies_house_number: str | None
    difficult_to_replace: bool
    risk_rating: str | None
    contingency_plan_held: bool
    contingency_plan_date: dt.date | None


class Fees(BaseModel):
    """Weekly fee split as the National Placement Standard does (whole pounds, excluding VAT)."""

    fee_core: int = Field(default=0, ge=0, le=100_000)
    fee_additional_support: int = Field(default=0, ge=0, le=100_000)
    fee_education: int = Field(default=0, ge=0, le=100_000)
    fee_other: int = Field(default=0, ge=0, le=100_000)


class HomeIn(Fees):
    model_config = ConfigDict(extra="forbid")
    provider_id: Id
    urn: str | None = Field(
        default=None, max_length=12, pattern=r"^[A-Z0-9]{6,12}$", description="Ofsted URN"
    )
    name: str = Field(min_length=1, max_length=200)
    home_type: HomeType
    registration_status: RegistrationStatus = RegistrationStatus.ACTIVE
    ofsted_judgement: OfstedJudgement | None = None
    ofsted_judgement_date: dt.date | None = None
    postcode: str = Field(
        min_length=2, max_length=8, description="postcode district (NE1) or sector (NE1 4); geocoded offline"
    )
    la_code: str | None = Field(
        default=None, description="LA where the home is located; by default the LA the postcode lies in"
    )
    registered_places: int = Field(ge=1, le=200)
    age_min: int = Field(default=0, ge=0, le=17)
    age_max: int = Field(default=17, ge=0, le=25)
    sexes_accepted: list[Sex] = Field(default_factory=lambda: [Sex.MALE, Sex.FEMALE], min_length=1)
    needs_met: list[Need] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ages(self) -> HomeIn:
        if self.age_min > self.age_max:
            raise ValueError("age_min must not exceed age_max")
        return self


class HomePatch(Patch):
    NOT_NULL: ClassVar[frozenset[str]] = frozenset(
        {
            "age_max",
            "age_min",
            "fee_additional_support",
            "fee_core",
            "fee_education",
            "fee_other",
            "home_type",
            "name",
            "needs_met",
            "postcode",
            "registered_places",
            "registration_status",
            "sexes_accepted",
        }
    )  # NOT NULL columns (tested)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    urn: str | None = Field(default=None, max_length=12, pattern=r"^[A-Z0-9]{6,12}$")
    home_type: HomeType | None = None
    registration_status: RegistrationStatus | None = None
    ofsted_judgement: OfstedJudgement | None = None
    ofsted_judgement_date: dt.date | None = None
    postcode: str | None = Field(default=None, min_length=2, max_length=8)
    registered_places: int | None = Field(default=None, ge=1, le=200)
    age_min: int | None = Field(default=None, ge=0, le=17)
    age_max: int | None = Field(default=None, ge=0, le=25)
    sexes_accepted: list[Sex] | None = Field(default=None, min_length=1)
    needs_met: list[Need] | None = None
    fee_core: int | None = Field(default=None, ge=0, le=100_000)
    fee_additional_support: int | None = Field(default=None, ge=0, le=100_000)
    fee_education: int | None = Field(default=None, ge=0, le=100_000)
    fee_other: int | None = Field(default=None, ge=0, le=100_000)


class HomeOut(Orm):
    id: int
    provider_id: Id
    urn: str | None
    name: str
    home_type: HomeType
    registration_status: RegistrationStatus
    ofsted_judgement: OfstedJudgement | None
    ofsted_judgement_date: dt.date | None
    postcode: str
    easting: float
    northing: float
    la_code: str = Field(description="GSS code of the LA where the home is located")
    registered_places: int
    occupied_places: int
    free_places: int
    age_min: int
    age_max: int
    sexes_accepted: list[Sex]
    needs_met: list[Need]
    fee_core: int
    fee_additional_support: int
    fee_education: int
    fee_other: int
    weekly_fee: int


class VacancyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    home_id: Id
    places: int = Field(ge=1, le=200)
    available_from: dt.date
    confirmed_by: str = Field(min_length=1, max_length=120)


class VacancyPatch(Patch):
    NOT_NULL: ClassVar[frozenset[str]] = frozenset(
        {"available_from", "confirmed_by", "places"}
    )  # NOT NULL columns (tested)
    places: int | None = Field(default=None, ge=1, le=200)
    available_from: dt.date | None = None
    confirmed_by: str | None = Field(
        default=None, min_length=1, max_length=120, description="re-confirming resets the staleness clock"
    )


class VacancyOut(Orm):
    id: int
    home_id: Id
    places: int
    available_from: dt.date
    confirmed_by: str
    confirmed_at: Timestamp
    stale: bool = Field(description="not confirmed for more than RCC_STALE_VACANCY_DAYS (default 14) days")
