"""Children (pseudonymised), referrals and placements."""

from __future__ import annotations

from fastapi import APIRouter, status

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
from rcc.api.deps import DB, Caller, Paging
from rcc.children import placements as placements_svc
from rcc.children import service as svc

router = APIRouter()


@router.post("/children", response_model=ChildOut, status_code=201, tags=["children"])
def create_child(body: ChildIn, db: DB, who: Caller):
    return ChildOut.model_validate(svc.create_child(db, who, body))


@router.get("/children", response_model=Page[ChildOut], tags=["children"])
def list_children(
    db: DB, who: Caller, page: Paging, la: str | None = None, rcc: Id | None = None,
    sibling_group: str | None = None, uasc: bool | None = None,
):  # fmt: skip
    result = svc.list_children(db, who, page, la_code=la, rcc_id=rcc, sibling_group=sibling_group, uasc=uasc)
    return to_page(result, ChildOut)


@router.get("/children/{child_id}", response_model=ChildOut, tags=["children"])
def get_child(child_id: Id, db: DB, who: Caller):
    return ChildOut.model_validate(svc.get_child(db, who, child_id))


@router.patch("/children/{child_id}", response_model=ChildOut, tags=["children"])
def update_child(child_id: Id, body: ChildPatch, db: DB, who: Caller):
    return ChildOut.model_validate(svc.update_child(db, who, child_id, body))


@router.delete("/children/{child_id}", tags=["children"], status_code=status.HTTP_204_NO_CONTENT)
def delete_child(child_id: Id, db: DB, who: Caller):
    svc.delete_child(db, who, child_id)


@router.post("/referrals", response_model=ReferralOut, status_code=201, tags=["referrals"])
def create_referral(body: ReferralIn, db: DB, who: Caller):
    return ReferralOut.model_validate(svc.create_referral(db, who, body))


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


@router.get("/referrals/{referral_id}", response_model=ReferralOut, tags=["referrals"])
def get_referral(referral_id: Id, db: DB, who: Caller):
    return ReferralOut.model_validate(svc.get_referral(db, who, referral_id))


@router.patch("/referrals/{referral_id}", response_model=ReferralOut, tags=["referrals"])
def update_referral(referral_id: Id, body: ReferralPatch, db: DB, who: Caller):
    return ReferralOut.model_validate(svc.update_referral(db, who, referral_id, body))


@router.delete("/referrals/{referral_id}", tags=["referrals"], status_code=status.HTTP_204_NO_CONTENT)
def delete_referral(referral_id: Id, db: DB, who: Caller):
    svc.delete_referral(db, who, referral_id)


@router.post("/placements", response_model=PlacementOut, status_code=201, tags=["placements"])
def create_placement(body: PlacementIn, db: DB, who: Caller):
    return PlacementOut.model_validate(placements_svc.create_placement(db, who, body))


@router.get("/placements", response_model=Page[PlacementOut], tags=["placements"])
def list_placements(
    db: DB, who: Caller, page: Paging, child_id: Id | None = None, home_id: Id | None = None,
    current: bool | None = None, rcc: Id | None = None,
):  # fmt: skip
    result = placements_svc.list_placements(
        db, who, page, child_id=child_id, home_id=home_id, current=current, rcc_id=rcc
    )
    return to_page(result, PlacementOut)


@router.get("/placements/{placement_id}", response_model=PlacementOut, tags=["placements"])
def get_placement(placement_id: Id, db: DB, who: Caller):
    return PlacementOut.model_validate(placements_svc.get_placement(db, who, placement_id))


@router.patch("/placements/{placement_id}", response_model=PlacementOut, tags=["placements"])
def update_placement(placement_id: Id, body: PlacementPatch, db: DB, who: Caller):
    return PlacementOut.model_validate(placements_svc.update_placement(db, who, placement_id, body))


@router.delete("/placements/{placement_id}", tags=["placements"], status_code=status.HTTP_204_NO_CONTENT)
def delete_placement(placement_id: Id, db: DB, who: Caller):
    placements_svc.delete_placement(db, who, placement_id)
