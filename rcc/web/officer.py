"""Placement officer pages: a pseudonymised child and referral, the shortlist, offers, unmet need."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api_schemas.children import ChildIn, ReferralIn
from api_schemas.matching import OfferIn
from api_schemas.vocab import (
    LivingCompanions,
    Need,
    OutOfLAReason,
    RiskFlag,
    Sex,
    Suitability,
    Urgency,
    placement_categories,
)
from rcc.auth import Role
from rcc.children import service as children_svc
from rcc.db.models import LocalAuthority
from rcc.errors import DomainError
from rcc.matching import offers as offers_svc
from rcc.matching import runs as runs_svc
from rcc.matching import shortlist as shortlist_svc
from rcc.pagination import PageRequest
from rcc.register import homes as homes_svc
from rcc.web import labels
from rcc.web.core import FormErrors, flag, form_dict, many, month, posted, render, role_is, text, unit
from rcc.web.users import SignedIn

router = APIRouter(include_in_schema=False)
Officer = Annotated[SignedIn, Depends(role_is(Role.LA_OFFICER))]

CHILD_LABELS = {
    "la_child_id": "Your LA's child ID",
    "birth_month": "Month and year of birth",
    "sex": "Sex",
    "ethnicity": "Ethnicity",
    "home_postcode_sector": "Home postcode sector",
    "school_postcode_sector": "School postcode sector",
    "needs": "Needs",
    "risks": "Risks",
    "cultural_needs": "Cultural and religious needs",
    "wishes": "The child's wishes",
    "needed_by": "When the placement is needed",
    "out_of_la_reason": "Reason for placing outside the LA",
    "out_of_la_reason_other": "Other reason",
    "la_code": "Local authority",
}


def _own_la_code(request: Request, who: SignedIn) -> str | None:
    if who.principal.la_id is None:
        return None
    with unit(request) as s:
        la = s.get(LocalAuthority, who.principal.la_id)
        return la.gss_code if la else None


def _choices() -> dict:
    return {
        "needs": [(n.value, labels.NEEDS[n]) for n in Need],
        "risks": [(r.value, labels.RISKS[r]) for r in RiskFlag],
        "sexes": [(s.value, labels.SEXES[s]) for s in Sex],
        "suitability": [(s.value, labels.SUITABILITY[s]) for s in Suitability],
        "categories": [(c, labels.category(c)) for c in placement_categories()],  # one field each
        "companions": [(c.value, labels.COMPANIONS[c]) for c in LivingCompanions],
        "urgency": [(u.value, labels.URGENCY[u]) for u in Urgency],
        "out_of_la": [(r.value, r.value) for r in OutOfLAReason],
        "ethnicities": sorted(labels.ETHNICITIES.items(), key=lambda kv: kv[1]),
    }


@router.get("/officer")
def dashboard(request: Request, who: Officer, offset: int = 0):
    with unit(request) as s:
        refs = children_svc.list_referrals(s, who.principal, PageRequest(limit=50, offset=max(0, offset)))
        rows = [
            {"id": r.id, "status": r.status, "needed_by": r.needed_by, "children": len(r.child_ids),
             "created_at": r.created_at, "la_code": r.la_code}
            for r in refs.items
        ]  # fmt: skip
        offers = offers_svc.list_offers(s, who.principal, PageRequest(limit=100), status="pending")
        pending = offers.total
    return render(
        request, "officer/dashboard.html.j2", who, referrals=rows, total=refs.total, offset=refs.offset,
        limit=refs.limit, pending_offers=pending, labels=labels,
    )  # fmt: skip


@router.get("/officer/referrals/new")
def new_referral(request: Request, who: Officer):
    form = {"la_code": _own_la_code(request, who) or "", "needed_by": Urgency.WITHIN_5_DAYS.value,
            "preferred_location_local": "on"}  # fmt: skip
    return render(request, "officer/new_referral.html.j2", who, form=form, choices=_choices())


def _child_in(form, la_code: str) -> ChildIn:
    return ChildIn.model_validate(
        {
            "la_code": la_code,
            "la_child_id": text(form, "la_child_id") or "",
            "birth_month": month(form, "birth_month"),
            "sex": text(form, "sex"),
            "ethnicity": text(form, "ethnicity"),
            "uasc": flag(form, "uasc"),
            "needs": many(form, "needs"),
            "home_postcode_sector": text(form, "home_postcode_sector") or "",
            "school_postcode_sector": text(form, "school_postcode_sector"),
            "must_keep_school": flag(form, "must_keep_school"),
            "suitability": {
                category: text(form, f"suitability_{category}") or "not_specified"
                for category in placement_categories()
            },
            "risks": many(form, "risks"),
            "living_companions": text(form, "living_companions") or "no_preference",
            "cultural_needs": text(form, "cultural_needs"),
            "communication_needs": [
                x.strip() for x in (text(form, "communication_needs") or "").split(",") if x.strip()
            ],
            "wishes": text(form, "wishes"),
        }
    )


def _referral_errors(exc: ValidationError) -> FormErrors:
    out = FormErrors.from_validation(exc, CHILD_LABELS)
    fixed = FormErrors()
    for name, msg in out.items:
        if not name:  # a rule across fields: put it beside the field it names
            name = "out_of_la_reason_other" if "out_of_la_reason_other" in msg else "out_of_la_reason"
            msg = {
                "out_of_la_reason": "Choose why the child must be placed outside the LA",
                "out_of_la_reason_other": "Say what the other reason is",
            }[name]
        fixed.add(name, msg)
    return fixed


@router.post("/officer/referrals/new")
async def create_referral(request: Request, who: Officer):
    form = await posted(request, who)
    la_code = _own_la_code(request, who) or text(form, "la_code") or ""
    errors = FormErrors()
    child_in = referral_in = None
    try:
        child_in = _child_in(form, la_code)
    except ValidationError as exc:
        errors.items += FormErrors.from_validation(exc, CHILD_LABELS).items
    local = flag(form, "preferred_location_local")
    ref_data = {
        "la_code": la_code,
        "child_ids": [1],  # a placeholder (ids are 1..2^31-1): replaced by the new child's id below
        "needed_by": text(form, "needed_by"),
        "preferred_location_local": local,
        "out_of_la_reason": None if local else text(form, "out_of_la_reason"),
        "out_of_la_reason_other": None if local else text(form, "out_of_la_reason_other"),
        "allow_split": False,
    }
    try:
        referral_in = ReferralIn.model_validate(ref_data)
    except ValidationError as exc:
        errors.items += _referral_errors(exc).items
    if errors or child_in is None or referral_in is None:
        return render(request, "officer/new_referral.html.j2", who, status=422, form=form_dict(form),
                      errors=errors, choices=_choices())  # fmt: skip
    try:
        with unit(request) as s:
            child = children_svc.create_child(s, who.principal, child_in)
            ref = children_svc.create_referral(
                s, who.principal, referral_in.model_copy(update={"child_ids": [child.id]})
            )
            ref_id = ref.id
    except DomainError as exc:
        return render(request, "officer/new_referral.html.j2", who, status=exc.status, form=form_dict(form),
                      errors=FormErrors.from_domain(exc), choices=_choices())  # fmt: skip
    return RedirectResponse(f"/officer/referrals/{ref_id}?created=1", status_code=303)


def _offers(s, who: SignedIn, referral_id: int) -> tuple[list[dict], dict[int, str]]:
    offers = offers_svc.list_offers(s, who.principal, PageRequest(limit=100), referral_id=referral_id)
    rows = [
        {"id": o.id, "status": o.status, "provider_id": o.provider_id, "homes": sorted({c.home_id for c in o.children}),
         "decline_reason": o.decline_reason, "decline_text": o.decline_text, "created_at": o.created_at,
         "decided_at": o.decided_at, "start_date": o.start_date}
        for o in offers.items
    ]  # fmt: skip
    names = {}
    for hid in {h for r in rows for h in r["homes"]}:
        names[hid] = homes_svc.get_home(s, who.principal, hid).name
    return rows, names


def _referral_page(request: Request, who: SignedIn, referral_id: int, errors: FormErrors | None = None,
                   status: int = 200, sent: int = 0):  # fmt: skip
    with unit(request) as s:
        ref = children_svc.get_referral(s, who.principal, referral_id)
        kids = [children_svc.get_child(s, who.principal, cid) for cid in ref.child_ids]
        children = [
            {"id": c.id, "la_child_id": c.la_child_id, "age": c.age_years, "sex": c.sex,
             "needs": c.needs, "risks": c.risks, "home": c.home_postcode_sector}
            for c in kids
        ]  # fmt: skip
        referral = {"id": ref.id, "status": ref.status, "needed_by": ref.needed_by, "la_code": ref.la_code,
                    "local": ref.preferred_location_local, "out_of_la_reason": ref.out_of_la_reason}  # fmt: skip
        shortlist = None
        if ref.status in shortlist_svc.OPEN_STATUSES:
            shortlist = shortlist_svc.shortlist(s, who.principal, referral_id, top_n=10)
        offer_rows, names = _offers(s, who, referral_id)
    home_names = {**names, **{e["home_id"]: e["home_name"] for e in (shortlist or {}).get("entries", [])}}
    pending = any(o["status"] == "pending" for o in offer_rows)
    return render(
        request, "officer/referral.html.j2", who, status=status, referral=referral, children=children,
        shortlist=shortlist, offers=offer_rows, home_names=home_names, errors=errors, labels=labels,
        created=request.query_params.get("created") == "1", sent=sent, poll=pending,
    )  # fmt: skip


@router.get("/officer/referrals/{referral_id}")
def referral(request: Request, who: Officer, referral_id: int, sent: int = 0):
    return _referral_page(request, who, referral_id, sent=sent)


@router.get("/officer/referrals/{referral_id}/offers")
def offers_fragment(request: Request, who: Officer, referral_id: int):
    """The offers table alone, which the referral page polls while an offer awaits an answer."""
    with unit(request) as s:
        children_svc.get_referral(s, who.principal, referral_id)  # scope: 404 outside the LA
        rows, names = _offers(s, who, referral_id)
    html = render(request, "officer/_offers.html.j2", who, offers=rows, home_names=names, labels=labels).body
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.post("/officer/referrals/{referral_id}/offers")
async def send_offers(request: Request, who: Officer, referral_id: int):
    form = await posted(request, who)
    home_ids = many(form, "home_id")
    if not home_ids:
        errors = FormErrors()
        errors.add("home_id", "Choose at least one home to send an offer to")
        return _referral_page(request, who, referral_id, errors, status=422)
    try:
        with unit(request) as s:
            for hid in home_ids:
                body = OfferIn(referral_id=referral_id, home_id=int(hid))
                offers_svc.create_offer(s, who.principal, body)
    except (DomainError, ValueError) as exc:
        errors = (
            FormErrors.from_domain(exc, {"home_id": "home_id"})
            if isinstance(exc, DomainError)
            else FormErrors([("home_id", "Choose homes from the shortlist")])
        )
        return _referral_page(request, who, referral_id, errors, status=422)
    return RedirectResponse(f"/officer/referrals/{referral_id}?sent={len(home_ids)}", status_code=303)


@router.get("/officer/unmet-need")
def unmet_need(request: Request, who: Officer):
    with unit(request) as s:
        result = runs_svc.list_unmet_need(s, who.principal, PageRequest(limit=500))
        rows = [
            {"referral_id": r.referral_id, "la_code": r.la_code, "child_id": r.child_id, "kind": r.kind,
             "detail": r.detail, "miles": r.distance_miles, "recorded_at": r.recorded_at}
            for r in result.items
        ]  # fmt: skip
    by_kind: dict[str, int] = {}
    for r in rows:
        by_kind[r["kind"]] = by_kind.get(r["kind"], 0) + 1
    return render(request, "officer/unmet_need.html.j2", who, rows=rows, total=result.total, by_kind=by_kind,
                  labels=labels)  # fmt: skip
