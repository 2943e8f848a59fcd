"""Children (pseudonymised), referrals and placements."""

from __future__ import annotations

from fastapi import APIRouter

from api_schemas.children import (
    ChildIn,
    ChildOut,
    ChildPatch,
    PlacementIn,
    PlacementOut,
    PlacementPatch,
    ReferralIn,
    ReferralOut,
    ReferralPatch,
)
from api_schemas.common import Id, Page
from rcc.api.convert import to_page
from rcc.api.crud import Record, Service, record_routes
from rcc.api.deps import DB, Caller, Paging
from rcc.children import placements as placements_svc
from rcc.children import service as svc

router = APIRouter()
record_routes(
    router,
    Record("child", "/children", "children", ChildIn, ChildOut, ChildPatch),
    Service(svc.create_child, svc.get_child, svc.update_child, svc.delete_child),
)
record_routes(
    router,
    Record("referral", "/referrals", "referrals", ReferralIn, ReferralOut, ReferralPatch),
    Service(svc.create_referral, svc.get_referral, svc.update_referral, svc.delete_referral),
)
record_routes(
    router,
    Record("placement", "/placements", "placements", PlacementIn, PlacementOut, PlacementPatch),
    Service(
        placements_svc.create_placement,
        placements_svc.get_placement,
        placements_svc.update_placement,
        placements_svc.delete_placement,
    ),
)


@router.get("/children", response_model=Page[ChildOut], tags=["children"])
def list_children(
    db: DB, who: Caller, page: Paging, la: str | None = None, rcc: Id | None = None,
    sibling_group: str | None = None, uasc: bool | None = None,
):  # fmt: skip
    result = svc.list_children(db, who, page, la_code=la, rcc_id=rcc, sibling_group=sibling_group, uasc=uasc)
    return to_page(result, ChildOut)


@router.get("/referrals", response_model=Page[ReferralOut], tags=["referrals"])
def list_referrals(
    db: DB,
    who: Caller,
    page: Paging,
    la: str | None = None,
    rcc: Id | None = None,
    status: str | None = None,
):
    return to_page(svc.list_referrals(db, who, page, la_code=la, rcc_id=rcc, status=status), ReferralOut)


@router.get("/placements", response_model=Page[PlacementOut], tags=["placements"])
def list_placements(
    db: DB, who: Caller, page: Paging, child_id: Id | None = None, home_id: Id | None = None,
    current: bool | None = None, rcc: Id | None = None,
):  # fmt: skip
    result = placements_svc.list_placements(
        db, who, page, child_id=child_id, home_id=home_id, current=current, rcc_id=rcc
    )
    return to_page(result, PlacementOut)
