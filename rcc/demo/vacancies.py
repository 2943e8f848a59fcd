"""Vacancies: every free place of an active home (kinship households excepted), as providers declare them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta

from api_schemas.vocab import HomeType, RegistrationStatus
from rcc.demo.homes import DraftHome
from rcc.demo.params import (
    STALE_AFTER_DAYS,
    STALE_VACANCY_SHARE,
    VACANCY_MAX_LEAD_DAYS,
    VACANCY_MAX_STALE_DAYS,
)
from rcc.demo.region import RegionContext
from rcc.demo.seeds import VacancySeed

# Who confirms a vacancy, by home type (others: the registered manager).
_CONFIRMERS: dict[HomeType, str] = {
    HomeType.LA_FOSTER: "Fostering team manager",
    HomeType.IFA_FOSTER: "Agency placements officer",
    HomeType.PARENT_AND_CHILD: "Fostering team manager",
    HomeType.SUPPORTED_ACCOMMODATION: "Service manager",
    HomeType.SUPPORTED_LODGINGS: "Supported lodgings coordinator",
}


def vacancies(ctx: RegionContext, homes: list[DraftHome], occupied: Mapping[str, int]) -> list[VacancySeed]:
    """One vacancy per home with free places, confirmed recently (some stale) and open within a fortnight."""
    rng = ctx.rng(ctx.name, "vacancies")
    out: list[VacancySeed] = []
    for h in homes:
        if h.status is not RegistrationStatus.ACTIVE or h.home_type is HomeType.KINSHIP_FOSTER:
            continue
        free = h.places - occupied.get(h.key, 0)
        if free <= 0:
            continue
        if rng.random() < STALE_VACANCY_SHARE:
            age_days = float(rng.uniform(STALE_AFTER_DAYS + 1, VACANCY_MAX_STALE_DAYS))
        else:
            age_days = float(rng.uniform(0, STALE_AFTER_DAYS - 0.01))
        confirmed_at = datetime.combine(ctx.as_of, time(17, 0), tzinfo=UTC) - timedelta(days=age_days)
        confirmed_at = confirmed_at.replace(second=0, microsecond=0)
        out.append(
            VacancySeed(
                home_key=h.key,
                places=free,
                available_from=ctx.as_of + timedelta(days=int(rng.integers(0, VACANCY_MAX_LEAD_DAYS + 1))),
                confirmed_by=_CONFIRMERS.get(h.home_type, "Registered manager"),
                confirmed_at=confirmed_at,
            )
        )
    return out
