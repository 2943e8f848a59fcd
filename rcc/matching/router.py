"""Matching: RCC policy, shortlists, an officer's own choice scored, region-wide runs, offers, unmet need."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query

from api_schemas.common import Id, Page
from api_schemas.matching import (
    AcceptIn,
    ChoiceIn,
    ChoiceOut,
    DeclineIn,
    MatchingPolicyIn,
    MatchingPolicyOut,
    MatchingRunIn,
    MatchingRunOut,
    MatchingRunResult,
    OfferIn,
    OfferOut,
    OfferProfileOut,
    ShortlistOut,
    UnmetNeedOut,
    WithdrawIn,
)
from rcc.api.convert import to_page, validated_json
from rcc.api.deps import DB, Caller, Config, Paging
from rcc.matching import journey
from rcc.matching import offers as offers_svc
from rcc.matching import policy as policy_svc
from rcc.matching import runs as runs_svc
from rcc.matching import shortlist as shortlist_svc

router = APIRouter()


class OfferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class UnmetKind(StrEnum):
    NO_ELIGIBLE_HOME = "no_eligible_home"
    NO_PLACE_LEFT_IN_RUN = "no_place_left_in_run"
    NOT_PREFERRED_TYPE = "not_preferred_type"
    OVER_20_MILES = "over_20_miles"
    OUTSIDE_HOME_LA = "outside_home_la"


@router.get("/rccs/{rcc_id}/matching-policy", response_model=MatchingPolicyOut, tags=["matching"])
def get_policy(rcc_id: Id, db: DB, who: Caller):
    return MatchingPolicyOut.model_validate(policy_svc.get_policy(db, who, rcc_id), from_attributes=True)


@router.put("/rccs/{rcc_id}/matching-policy", response_model=MatchingPolicyOut, tags=["matching"])
def put_policy(rcc_id: Id, body: MatchingPolicyIn, db: DB, who: Caller):
    return MatchingPolicyOut.model_validate(
        policy_svc.put_policy(db, who, rcc_id, body), from_attributes=True
    )


@router.post("/referrals/{referral_id}/shortlist", response_model=ShortlistOut, tags=["matching"])
def shortlist(
    referral_id: Id,
    db: DB,
    who: Caller,
    top_n: Annotated[int, Query(ge=1, le=shortlist_svc.SHORTLIST_MAX)] = 10,
    rcc: Annotated[Id | None, Query(description="only homes located in this RCC's LAs")] = None,
):
    return validated_json(
        ShortlistOut, shortlist_svc.shortlist(db, who, referral_id, top_n=top_n, rcc_id=rcc)
    )


@router.post("/referrals/{referral_id}/validate-choice", response_model=ChoiceOut, tags=["matching"])
def validate_choice(referral_id: Id, body: ChoiceIn, db: DB, who: Caller, rcc: Id | None = None):
    return shortlist_svc.validate_choice(db, who, referral_id, body, rcc_id=rcc)


@router.post("/matching-runs", response_model=MatchingRunOut, status_code=202, tags=["matching"])
def submit_run(body: MatchingRunIn, db: DB, who: Caller, cfg: Config):
    job = runs_svc.submit_run(db, who, body, default_time_limit_s=cfg.matching_time_limit_s)
    return MatchingRunOut.model_validate(job)


@router.get("/matching-runs/{run_id}", response_model=MatchingRunOut, tags=["matching"])
def get_run(run_id: str, db: DB, who: Caller):
    return MatchingRunOut.model_validate(runs_svc.get_run(db, who, run_id))


@router.get("/matching-runs/{run_id}/result", response_model=MatchingRunResult, tags=["matching"])
def run_result(run_id: str, db: DB, who: Caller):
    return runs_svc.run_result(db, who, run_id)


@router.post("/matching-runs/{run_id}/cancel", response_model=MatchingRunOut, tags=["matching"])
def cancel_run(run_id: str, db: DB, who: Caller):
    return MatchingRunOut.model_validate(runs_svc.cancel_run(db, who, run_id))


@router.post("/offers", response_model=OfferOut, status_code=201, tags=["offers"])
def create_offer(body: OfferIn, db: DB, who: Caller):
    return OfferOut.model_validate(offers_svc.create_offer(db, who, body))


@router.get("/offers", response_model=Page[OfferOut], tags=["offers"])
def list_offers(
    db: DB, who: Caller, page: Paging, status: OfferStatus | None = None,
    referral_id: Id | None = None, home_id: Id | None = None,
):  # fmt: skip
    result = offers_svc.list_offers(db, who, page, status=status, referral_id=referral_id, home_id=home_id)
    return to_page(result, OfferOut)


@router.get("/offers/{offer_id}", response_model=OfferOut, tags=["offers"])
def get_offer(offer_id: Id, db: DB, who: Caller):
    return OfferOut.model_validate(offers_svc.get_offer(db, who, offer_id))


@router.post("/offers/{offer_id}/accept", response_model=OfferOut, tags=["offers"])
def accept_offer(offer_id: Id, body: AcceptIn, db: DB, who: Caller):
    return OfferOut.model_validate(offers_svc.accept_offer(db, who, offer_id, body))


@router.post("/offers/{offer_id}/decline", response_model=OfferOut, tags=["offers"])
def decline_offer(offer_id: Id, body: DeclineIn, db: DB, who: Caller):
    return OfferOut.model_validate(offers_svc.decline_offer(db, who, offer_id, body))


@router.post("/offers/{offer_id}/withdraw", response_model=OfferOut, tags=["offers"])
def withdraw_offer(offer_id: int, db: DB, who: Caller, body: WithdrawIn | None = None):
    return OfferOut.model_validate(journey.withdraw_offer(db, who, offer_id, body or WithdrawIn()))


@router.get("/offers/{offer_id}/child-profile", response_model=OfferProfileOut, tags=["offers"])
def offer_child_profile(offer_id: int, db: DB, who: Caller):
    return OfferProfileOut.model_validate(journey.child_profile(db, who, offer_id))


@router.get("/matching/unmet-need", response_model=Page[UnmetNeedOut], tags=["matching"])
def list_unmet_need(
    db: DB, who: Caller, page: Paging, rcc: Id | None = None, la: str | None = None,
    kind: UnmetKind | None = None,
):  # fmt: skip
    result = runs_svc.list_unmet_need(db, who, page, rcc_id=rcc, la_code=la, kind=kind)
    return to_page(result, UnmetNeedOut)
