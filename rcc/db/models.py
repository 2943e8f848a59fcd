"""The register's ORM models (SQLAlchemy 2 typed mappings).

The schema is made only by Alembic (``migrations/versions``); these classes
mirror it. Enumerations are stored as short strings whose allowed values live
in :mod:`api_schemas.vocab`; lists (needs, risks, sexes accepted) are JSON.
Children are pseudonymised: no names, birth month only, locations held as
postcode sector at most.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON, list[dict[str, Any]]: JSON}


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class LocalAuthority(Base):
    __tablename__ = "local_authorities"

    id: Mapped[int] = mapped_column(primary_key=True)
    gss_code: Mapped[str] = mapped_column(String(9), unique=True)
    dfe_code: Mapped[str | None] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(60), index=True)
    population: Mapped[int | None] = mapped_column(Integer)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    easting: Mapped[float | None] = mapped_column(Float)
    northing: Mapped[float | None] = mapped_column(Float)


class RccMember(Base):
    __tablename__ = "rcc_members"

    rcc_id: Mapped[int] = mapped_column(ForeignKey("rccs.id", ondelete="CASCADE"), primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"), primary_key=True)


class Rcc(TimestampMixin, Base):
    __tablename__ = "rccs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    members: Mapped[list[LocalAuthority]] = relationship(
        secondary="rcc_members", order_by=LocalAuthority.gss_code
    )


class Provider(TimestampMixin, Base):
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(20))
    owner_group: Mapped[str | None] = mapped_column(String(200), index=True)
    companies_house_number: Mapped[str | None] = mapped_column(String(8))
    difficult_to_replace: Mapped[bool] = mapped_column(Boolean, default=False)
    risk_rating: Mapped[str | None] = mapped_column(String(10))
    contingency_plan_held: Mapped[bool] = mapped_column(Boolean, default=False)
    contingency_plan_date: Mapped[dt.date | None] = mapped_column(Date)


class Home(TimestampMixin, Base):
    __tablename__ = "homes"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    urn: Mapped[str | None] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    home_type: Mapped[str] = mapped_column(String(40), index=True)
    registration_status: Mapped[str] = mapped_column(String(20), default="active")
    ofsted_judgement: Mapped[str | None] = mapped_column(String(30))
    ofsted_judgement_date: Mapped[dt.date | None] = mapped_column(Date)
    postcode: Mapped[str] = mapped_column(String(8))  # district or sector, never a full address
    easting: Mapped[float] = mapped_column(Float)
    northing: Mapped[float] = mapped_column(Float)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"), index=True)
    registered_places: Mapped[int] = mapped_column(Integer)
    age_min: Mapped[int] = mapped_column(Integer, default=0)
    age_max: Mapped[int] = mapped_column(Integer, default=17)
    sexes_accepted: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs_met: Mapped[list[str]] = mapped_column(JSON, default=list)
    fee_core: Mapped[int] = mapped_column(Integer, default=0)
    fee_additional_support: Mapped[int] = mapped_column(Integer, default=0)
    fee_education: Mapped[int] = mapped_column(Integer, default=0)
    fee_other: Mapped[int] = mapped_column(Integer, default=0)

    provider: Mapped[Provider] = relationship()
    la: Mapped[LocalAuthority] = relationship()

    @property
    def weekly_fee(self) -> int:
        return self.fee_core + self.fee_additional_support + self.fee_education + self.fee_other


class Vacancy(TimestampMixin, Base):
    __tablename__ = "vacancies"

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id", ondelete="CASCADE"), index=True)
    places: Mapped[int] = mapped_column(Integer)
    available_from: Mapped[dt.date] = mapped_column(Date)
    confirmed_by: Mapped[str] = mapped_column(String(120))
    confirmed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    home: Mapped[Home] = relationship()


class Child(TimestampMixin, Base):
    __tablename__ = "children"
    __table_args__ = (UniqueConstraint("la_id", "la_child_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"), index=True)
    la_child_id: Mapped[str] = mapped_column(String(40))
    birth_month: Mapped[dt.date] = mapped_column(Date)  # always the 1st of the month
    sex: Mapped[str] = mapped_column(String(10))
    ethnicity: Mapped[str | None] = mapped_column(String(4))
    uasc: Mapped[bool] = mapped_column(Boolean, default=False)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    home_postcode_sector: Mapped[str] = mapped_column(String(8))
    home_easting: Mapped[float] = mapped_column(Float)
    home_northing: Mapped[float] = mapped_column(Float)
    school_postcode_sector: Mapped[str | None] = mapped_column(String(8))
    school_easting: Mapped[float | None] = mapped_column(Float)
    school_northing: Mapped[float | None] = mapped_column(Float)
    must_keep_school: Mapped[bool] = mapped_column(Boolean, default=False)
    sibling_group: Mapped[str | None] = mapped_column(String(40), index=True)
    # the care plan's NPS suitability per placement category, keyed by the vocabulary
    # (api_schemas.vocab.PlacementCategory): {"foster": "preferred", ...}; a category left out is
    # "not_specified" (the API fills it in: api_schemas.children.every_category).
    suitability: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    risks: Mapped[list[str]] = mapped_column(JSON, default=list)
    living_companions: Mapped[str] = mapped_column(String(20), default="no_preference")
    places_to_avoid: Mapped[list[Any]] = mapped_column(JSON, default=list)
    cultural_needs: Mapped[str | None] = mapped_column(Text)
    communication_needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    wishes: Mapped[str | None] = mapped_column(Text)

    la: Mapped[LocalAuthority] = relationship()


class ReferralChild(Base):
    __tablename__ = "referral_children"

    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), primary_key=True)


class Referral(TimestampMixin, Base):
    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    needed_by: Mapped[str] = mapped_column(String(10))
    sibling_count: Mapped[int] = mapped_column(Integer, default=0)
    preferred_location_local: Mapped[bool] = mapped_column(Boolean, default=True)
    out_of_la_reason: Mapped[str | None] = mapped_column(String(40))
    out_of_la_reason_other: Mapped[str | None] = mapped_column(Text)
    allow_split: Mapped[bool] = mapped_column(Boolean, default=False)

    children: Mapped[list[Child]] = relationship(secondary="referral_children", order_by=Child.id)
    la: Mapped[LocalAuthority] = relationship()


class Placement(TimestampMixin, Base):
    __tablename__ = "placements"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    weekly_core: Mapped[int] = mapped_column(Integer, default=0)
    weekly_additional_support: Mapped[int] = mapped_column(Integer, default=0)
    weekly_education: Mapped[int] = mapped_column(Integer, default=0)
    weekly_other: Mapped[int] = mapped_column(Integer, default=0)
    reason_ended: Mapped[str | None] = mapped_column(String(6))
    contract: Mapped[str] = mapped_column(String(12), default="spot")  # spot | contracted | in_house

    child: Mapped[Child] = relationship()
    home: Mapped[Home] = relationship()

    @property
    def weekly_total(self) -> int:
        return self.weekly_core + self.weekly_additional_support + self.weekly_education + self.weekly_other


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    label: Mapped[str | None] = mapped_column(String(120))
    rcc_id: Mapped[int | None] = mapped_column(ForeignKey("rccs.id"))
    la_id: Mapped[int | None] = mapped_column(ForeignKey("local_authorities.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """Append-only: the migrations install triggers that refuse UPDATE and DELETE (and TRUNCATE on
    PostgreSQL)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now(), index=True
    )
    api_key_id: Mapped[int | None] = mapped_column(Integer, index=True)
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(10))  # read | create | update | delete | refused
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(Integer, index=True)
    detail: Mapped[str | None] = mapped_column(Text)


class Job(Base):
    """A persisted unit of long work (matching runs, forecasts, stress tests)."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_created", "status", "created_at"),
        Index("ix_jobs_status_lease", "status", "lease_expires_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)  # queued|running|succeeded|failed|cancelled
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    rcc_id: Mapped[int | None] = mapped_column(ForeignKey("rccs.id"))
    la_id: Mapped[int | None] = mapped_column(ForeignKey("local_authorities.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # the lease (migration 0005_jobs_leases): a running job belongs to ``claimed_by`` until
    # ``lease_expires_at``; its worker renews the lease with each heartbeat
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    run_after: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class JobWorker(Base):
    """One job worker process: the kinds it runs, its state and its last heartbeat."""

    __tablename__ = "job_workers"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(120))
    pid: Mapped[int] = mapped_column(Integer)
    kinds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # kind -> concurrency
    state: Mapped[str] = mapped_column(String(20))  # running|draining|stopped
    running: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DataVersion(Base):
    """A counter bumped in the same transaction as every change to what it names ('register':
    homes, vacancies, placements, matching policies), so in-process caches know when to reload."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


# ---------------------------------------------------------------- sufficiency returns (SSDA903)


class SufficiencyReturn(Base):
    """One accepted SSDA903 return: version ``version`` of an LA's return for ``collection_year``.

    ``collection_year`` is the start year (2024 = 2024-25). Submitting content identical (after
    normalisation) to the latest version for the same LA and year stores nothing. ``changes``
    counts, per table, what the return did to the service's current view:
    ``{"episodes": {"added", "revised", "unchanged", "withdrawn", "superseded"}, ...}``.
    """

    __tablename__ = "sufficiency_returns"
    __table_args__ = (UniqueConstraint("la_id", "collection_year", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"), index=True)
    collection_year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="accepted")
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_names: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    header_rows: Mapped[int] = mapped_column(Integer, default=0)
    episode_rows: Mapped[int] = mapped_column(Integer, default=0)
    uasc_rows: Mapped[int] = mapped_column(Integer, default=0)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    la: Mapped[LocalAuthority] = relationship()
    checks: Mapped[list[SufficiencyReturnCheck]] = relationship(
        order_by="SufficiencyReturnCheck.id",
        foreign_keys="SufficiencyReturnCheck.return_id",
        lazy="selectin",
        viewonly=True,
    )

    @property
    def rows(self) -> dict[str, int]:
        return {"header": self.header_rows, "episodes": self.episode_rows, "uasc": self.uasc_rows}

    @property
    def previous_year_check(self) -> SufficiencyReturnCheck | None:
        """The latest run of the previous-year rules on this return (None: not recorded)."""
        return self.checks[-1] if self.checks else None


class SufficiencyReturnCheck(Base):
    """One run of DfE's previous-year rules (502, 503A-F, 562, NoE, 202-204) on a stored return.

    ``trigger`` is ``submission`` (run when the return was accepted: ``previous_return_id`` is the
    year-1 version it was checked against, null when none was stored and the rules were skipped)
    or ``recheck`` (run again because a new version of the year-1 return, ``triggered_by_return_id``,
    arrived after it) or ``backfill`` (run afterwards by ``rcc returns check-unrecorded`` on a return
    accepted before checks were kept). The latest check is the one in force. A re-check never changes the return's
    status: it stays accepted and in effect; ``findings`` (``{table, child, decom, field, code,
    message}``, rows named by child and episode start since the stored rows have no file row)
    say what the LA should correct by resubmitting the year.
    """

    __tablename__ = "sufficiency_return_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(
        ForeignKey("sufficiency_returns.id", ondelete="CASCADE"), index=True
    )
    previous_return_id: Mapped[int | None] = mapped_column(ForeignKey("sufficiency_returns.id"))
    previous_version: Mapped[int | None] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(12))
    triggered_by_return_id: Mapped[int | None] = mapped_column(
        ForeignKey("sufficiency_returns.id"), index=True
    )
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finding_count: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class _Ssda903Version:
    """Columns every stored SSDA903 row version has.

    A row version is current while ``valid_to_return_id`` is null; ``valid_from_return_id`` made
    it current and ``valid_to_return_id`` replaced or withdrew it (equal to ``valid_from`` for a
    version a later collection year's return already outranked). ``return_id`` is the return
    whose statement the current version is. Which returns supplied which versions is in
    ``ssda903_return_rows``.
    """

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-3)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"), index=True, sort_order=-2)
    child: Mapped[str] = mapped_column(String(40), sort_order=-1)
    valid_from_return_id: Mapped[int] = mapped_column(ForeignKey("sufficiency_returns.id"), sort_order=1)
    valid_to_return_id: Mapped[int | None] = mapped_column(
        ForeignKey("sufficiency_returns.id"), index=True, sort_order=2
    )
    return_id: Mapped[int] = mapped_column(ForeignKey("sufficiency_returns.id"), sort_order=3)


class Ssda903Child(_Ssda903Version, Base):
    """An SSDA903 header row, pseudonymised: the LA's CHILD id, sex, date of birth, ethnicity.
    UPN, MOTHER and MC_DOB are not stored."""

    __tablename__ = "ssda903_children"

    sex: Mapped[str] = mapped_column(String(2))
    dob: Mapped[dt.date] = mapped_column(Date)
    ethnic: Mapped[str] = mapped_column(String(4))


class Ssda903Episode(_Ssda903Version, Base):
    """An SSDA903 episode; identity (la, child, decom). Postcodes are held as sector at most."""

    __tablename__ = "ssda903_episodes"

    decom: Mapped[dt.date] = mapped_column(Date)
    rne: Mapped[str] = mapped_column(String(2))
    ls: Mapped[str] = mapped_column(String(3))
    cin: Mapped[str] = mapped_column(String(3))
    place: Mapped[str] = mapped_column(String(4))
    place_provider: Mapped[str | None] = mapped_column(String(4))
    dec: Mapped[dt.date | None] = mapped_column(Date)
    rec: Mapped[str | None] = mapped_column(String(4))
    reason_place_change: Mapped[str | None] = mapped_column(String(6))
    home_post: Mapped[str | None] = mapped_column(String(6))
    pl_post: Mapped[str | None] = mapped_column(String(6))
    urn: Mapped[str | None] = mapped_column(String(16))


class Ssda903Uasc(_Ssda903Version, Base):
    """An SSDA903 UASC row: the child and the date UASC status ceased (DUC)."""

    __tablename__ = "ssda903_uasc"

    duc: Mapped[dt.date | None] = mapped_column(Date)


class Ssda903ReturnRow(Base):
    """Which row versions each return supplied (``kind``: children | episodes | uasc)."""

    __tablename__ = "ssda903_return_rows"

    return_id: Mapped[int] = mapped_column(
        ForeignKey("sufficiency_returns.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    row_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class MatchingPolicy(TimestampMixin, Base):
    """An RCC's overrides of :class:`matching.Policy`; fields not overridden keep the library default."""

    __tablename__ = "matching_policies"

    rcc_id: Mapped[int] = mapped_column(ForeignKey("rccs.id", ondelete="CASCADE"), primary_key=True)
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_by_key_id: Mapped[int | None] = mapped_column(Integer)


class OfferChild(Base):
    __tablename__ = "offer_children"

    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("homes.id"), index=True)


class Offer(TimestampMixin, Base):
    """A proposed placement sent to a provider: pending -> accepted | declined | withdrawn."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    matching_run_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id"))
    created_by_key_id: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decline_reason: Mapped[str | None] = mapped_column(String(30))
    decline_text: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    weekly_core: Mapped[int | None] = mapped_column(Integer)
    weekly_additional_support: Mapped[int | None] = mapped_column(Integer)
    weekly_education: Mapped[int | None] = mapped_column(Integer)
    weekly_other: Mapped[int | None] = mapped_column(Integer)

    children: Mapped[list[OfferChild]] = relationship(
        cascade="all, delete-orphan", order_by=OfferChild.child_id
    )
    referral: Mapped[Referral] = relationship()


class UnmetNeedRecord(Base):
    """Evidence for sufficiency planning: a referral no home could meet, or met only in a
    placement type the care plan did not prefer, far from home or outside the home LA."""

    __tablename__ = "unmet_need_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"), index=True)
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"))
    kind: Mapped[str] = mapped_column(String(30), index=True)
    detail: Mapped[str] = mapped_column(Text)
    distance_miles: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    matching_run_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id", ondelete="SET NULL"))


# One record per (referral, child, kind); a NULL child is the referral itself (migration 0010). The
# ``ON CONFLICT`` target in :mod:`rcc.matching.unmet` names the same elements.
Index(
    "uq_unmet_need_once",
    UnmetNeedRecord.referral_id,
    func.coalesce(UnmetNeedRecord.child_id, 0),
    UnmetNeedRecord.kind,
    unique=True,
)


# ---------------------------------------------------------------- National Placement Standard records
# The register's own columns hold what they can (the child's suitability, risks and living companions;
# the referral's urgency, siblings and out-of-LA reason; the placement's home and weekly costs).
# ``standard`` holds, normalised, every other property of the record as it was imported, so that export
# reproduces the record. One row per child per referral (migration 0004).


class NpsRecordRow(TimestampMixin, Base):
    __tablename__ = "nps_records"
    __table_args__ = (
        UniqueConstraint("referral_id", "child_id"),
        UniqueConstraint("la_id", "record_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placements.id", ondelete="SET NULL"))
    record_key: Mapped[str | None] = mapped_column(String(200))  # placementId, else the record's @id
    standard: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# ---------------------------------------------------------------- events, webhooks, rejected returns (0005)


class OutboxEvent(Base):
    """An event written in the same transaction as the change it reports; the dispatcher fans it
    out to matching webhook subscriptions (``dispatched_at`` set once that is done)."""

    __tablename__ = "event_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    subject: Mapped[str] = mapped_column(String(60))  # e.g. "offer/12"
    la_id: Mapped[int | None] = mapped_column(ForeignKey("local_authorities.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class WebhookSubscription(Base):
    """A URL that receives events of the listed kinds within the scope of the key that made it."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20))
    rcc_id: Mapped[int | None] = mapped_column(ForeignKey("rccs.id", ondelete="CASCADE"))
    la_id: Mapped[int | None] = mapped_column(ForeignKey("local_authorities.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebhookDelivery(Base):
    """One event for one subscription: pending -> delivered | failed (after the last retry)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("subscription_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("event_outbox.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    event: Mapped[OutboxEvent] = relationship()
    subscription: Mapped[WebhookSubscription] = relationship()


class WebhookAttempt(Base):
    """The delivery log: one row per HTTP attempt."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class RejectedReturn(Base):
    """A refused SSDA903 submission: who, when, the files' SHA-256 and the errors; never the rows."""

    __tablename__ = "rejected_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"), index=True)
    collection_year: Mapped[int | None] = mapped_column(Integer)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20))
    content_sha256: Mapped[str] = mapped_column(String(64))
    file_names: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)


class OwnerGroupAlias(Base):
    """Another name for an owner group (matched case- and space-insensitively)."""

    __tablename__ = "owner_group_aliases"

    alias: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner_group: Mapped[str] = mapped_column(String(200))


# ---------------------------------------------------------------- people who sign in (migration 0005_web_users)


class User(Base):
    """A person who signs in to the web pages; same role and scope columns as :class:`ApiKey`.

    ``api_key_id`` points at a key row whose secret is never issued: the person acts through it,
    so jobs, audit events and returns attribute their actions as they do a key's.
    ``oidc_issuer``/``oidc_subject`` are the seam for single sign-on (see :mod:`rcc.web.users`).
    """

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    rcc_id: Mapped[int | None] = mapped_column(ForeignKey("rccs.id"))
    la_id: Mapped[int | None] = mapped_column(ForeignKey("local_authorities.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), unique=True)
    oidc_issuer: Mapped[str | None] = mapped_column(String(300))
    oidc_subject: Mapped[str | None] = mapped_column(String(200))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A signed-in browser: the cookie holds a random token, stored here only as its SHA-256."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
