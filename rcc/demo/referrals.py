"""Open referrals: children starting to be looked after who are still waiting for a placement.

Each LA has its weekly DfE starts x ``OPEN_DEMAND_WEEKS`` open referrals (times the referral scale).
Referred children are additional to the children in care, younger on average, and siblings are referred
together, each for the placement setting sought.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from api_schemas.vocab import Need, Urgency
from rcc.demo.children import Child, assign_needs, foster_split, make_children, sample_setting
from rcc.demo.params import (
    OPEN_DEMAND_WEEKS,
    OUT_OF_LA_REASON_SHARES,
    PREFER_LOCAL_SHARE,
    START_AGE_BAND_SHARES,
    URGENCY_SHARES,
)
from rcc.demo.region import RegionContext
from rcc.demo.sampling import choice
from rcc.demo.seeds import ReferralSeed


def open_referrals(
    ctx: RegionContext, referral_scale: float
) -> tuple[list[ReferralSeed], list[tuple[Child, str]]]:
    """The referrals, and each referred child with the setting sought for them."""
    referrals: list[ReferralSeed] = []
    referred: list[tuple[Child, str]] = []
    for la in ctx.la_codes:
        rng = ctx.rng(la, "referrals")
        count = int(round(ctx.data.starts.get(la, 0) / 52 * OPEN_DEMAND_WEEKS * referral_scale))
        kids = make_children(ctx, la, count, f"child:{la}:r", START_AGE_BAND_SHARES, "referral-children")
        groups: dict[str, list[Child]] = {}
        for c in kids:
            if c.setting == "other":  # referrals are for children who need a placement
                c.setting = sample_setting(rng, c.age, c.sex, family_only=bool(c.sibling_group))
                if c.setting == "other":
                    c.setting = foster_split(rng)
            groups.setdefault(c.sibling_group or c.key, []).append(c)
        for n, group in enumerate(groups.values(), start=1):
            sought = group[0].setting
            for c in group:
                c.setting = sought
                assign_needs(rng, c, sought)
            urgency = choice(rng, URGENCY_SHARES)
            if urgency is Urgency.TODAY:
                for c in group:
                    c.needs = tuple(x for x in Need if x in set(c.needs) | {Need.SAME_DAY_EMERGENCY})
            local = bool(rng.random() < PREFER_LOCAL_SHARE)
            created = datetime.combine(ctx.as_of, time(17, 0), tzinfo=UTC) - timedelta(
                minutes=int(rng.integers(0, int(OPEN_DEMAND_WEEKS * 7 * 24 * 60)))
            )
            referrals.append(
                ReferralSeed(
                    key=f"ref:{la}:{n}",
                    la_gss_code=la,
                    child_keys=tuple(c.key for c in group),
                    needed_by=urgency,
                    preferred_location_local=local,
                    out_of_la_reason=None if local else choice(rng, OUT_OF_LA_REASON_SHARES),
                    created_at=created,
                )
            )
            referred += [(c, sought) for c in group]
    return referrals, referred
