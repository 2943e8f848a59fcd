"""Provider pages: their homes with stale vacancies highlighted, one-click confirmation, offers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from api_schemas.matching import AcceptIn, DeclineIn
from api_schemas.register import VacancyIn, VacancyPatch
from api_schemas.vocab import DeclineReason
from rcc.auth import Role
from rcc.errors import DomainError
from rcc.matching import journey as journey_svc
from rcc.matching import offers as offers_svc
from rcc.pagination import PageRequest
from rcc.register import homes as homes_svc
from rcc.web import labels
from rcc.web.core import FormErrors, form_dict, posted, render, role_is, text, unit
from rcc.web.users import SignedIn

router = APIRouter(include_in_schema=False)
Provider = Annotated[SignedIn, Depends(role_is(Role.PROVIDER))]


def _stale_days(request: Request) -> int:
    return request.app.state.settings.stale_vacancy_days


def _homes_page(request: Request, who: SignedIn, errors: FormErrors | None = None, status: int = 200,
                done: str | None = None, offset: int = 0):  # fmt: skip
    stale_days = _stale_days(request)
    with unit(request) as s:
        filters = homes_svc.HomeFilters(provider_id=who.principal.provider_id)
        homes = homes_svc.list_homes(s, who.principal, PageRequest(limit=100, offset=offset), filters)
        vacs = homes_svc.list_vacancies(s, who.principal, PageRequest(limit=500), stale_days)
        by_home: dict[int, list[dict]] = {}
        for v in vacs.items:
            by_home.setdefault(v.home_id, []).append(
                {"id": v.id, "places": v.places, "available_from": v.available_from,
                 "confirmed_by": v.confirmed_by, "confirmed_at": v.confirmed_at, "stale": v.stale}
            )  # fmt: skip
        rows = [
            {"id": h.id, "name": h.name, "home_type": h.home_type, "postcode": h.postcode,
             "registered": h.registered_places, "free": h.free_places, "judgement": h.ofsted_judgement,
             "vacancies": by_home.get(h.id, [])}
            for h in homes.items
        ]  # fmt: skip
    rows.sort(key=lambda r: (not any(v["stale"] for v in r["vacancies"]), not r["vacancies"], r["name"]))
    stale = sum(1 for r in rows for v in r["vacancies"] if v["stale"])
    return render(
        request, "provider/homes.html.j2", who, status=status, homes=rows, total=homes.total, offset=offset,
        stale=stale, stale_days=stale_days, errors=errors, done=done, labels=labels,
        today=dt.date.today().isoformat(),
    )  # fmt: skip


@router.get("/provider")
def homes(request: Request, who: Provider, done: str | None = None, offset: int = 0):
    return _homes_page(request, who, done=done, offset=max(0, offset))


@router.post("/provider/vacancies/{vacancy_id}/confirm")
async def confirm_vacancy(request: Request, who: Provider, vacancy_id: int):
    await posted(request, who)
    try:
        with unit(request) as s:
            patch = VacancyPatch(confirmed_by=who.user.display_name[:120])
            homes_svc.update_vacancy(s, who.principal, vacancy_id, patch, _stale_days(request))
    except DomainError as exc:
        return _homes_page(request, who, FormErrors.from_domain(exc), status=exc.status)
    return RedirectResponse(f"/provider?done=confirmed-{vacancy_id}#vacancy-{vacancy_id}", status_code=303)


@router.post("/provider/vacancies/{vacancy_id}")
async def update_vacancy(request: Request, who: Provider, vacancy_id: int):
    form = await posted(request, who)
    field = f"places-{vacancy_id}"
    try:
        patch = VacancyPatch(
            places=text(form, "places"),
            available_from=text(form, "available_from"),
            confirmed_by=who.user.display_name[:120],
        )
        with unit(request) as s:
            homes_svc.update_vacancy(s, who.principal, vacancy_id, patch, _stale_days(request))
    except ValidationError as exc:
        errors = FormErrors()
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else "places"
            errors.add(f"{name}-{vacancy_id}", f"Vacancy {vacancy_id}: {e['msg']}")
        return _homes_page(request, who, errors, status=422)
    except DomainError as exc:
        return _homes_page(request, who, FormErrors.from_domain(exc, {"places": field}), status=exc.status)
    return RedirectResponse(f"/provider?done=updated-{vacancy_id}#vacancy-{vacancy_id}", status_code=303)


@router.post("/provider/homes/{home_id}/vacancies")
async def add_vacancy(request: Request, who: Provider, home_id: int):
    form = await posted(request, who)
    try:
        body = VacancyIn(
            home_id=home_id,
            places=text(form, "places"),
            available_from=text(form, "available_from") or dt.date.today(),
            confirmed_by=who.user.display_name[:120],
        )
        with unit(request) as s:
            v = homes_svc.create_vacancy(s, who.principal, body, _stale_days(request))
            vid = v.id
    except ValidationError as exc:
        errors = FormErrors()
        for e in exc.errors():
            errors.add(f"new-places-{home_id}", f"Home {home_id}: {e['msg']}")
        return _homes_page(request, who, errors, status=422)
    except DomainError as exc:
        errors = FormErrors.from_domain(exc, {"places": f"new-places-{home_id}"})
        return _homes_page(request, who, errors, status=exc.status)
    return RedirectResponse(f"/provider?done=added-{vid}#vacancy-{vid}", status_code=303)


# ---------------------------------------------------------------- offers


def _offers_page(request: Request, who: SignedIn, errors: FormErrors | None = None, status: int = 200,
                 form: dict | None = None, done: str | None = None):  # fmt: skip
    with unit(request) as s:
        result = offers_svc.list_offers(s, who.principal, PageRequest(limit=200))
        homes: dict[int, str] = {}
        rows = []
        for o in result.items:
            for c in o.children:
                if c.home_id not in homes:
                    homes[c.home_id] = homes_svc.get_home(s, who.principal, c.home_id).name
            rows.append(
                {"id": o.id, "status": o.status, "referral_id": o.referral_id,
                 "children": [{"child_id": c.child_id, "home_id": c.home_id} for c in o.children],
                 "created_at": o.created_at, "decided_at": o.decided_at, "decline_reason": o.decline_reason,
                 "decline_text": o.decline_text, "start_date": o.start_date, "weekly_core": o.weekly_core}
            )  # fmt: skip
        for r in rows:  # the children's non-identifying profile, for offers still to decide (each read audited)
            r["profile"] = journey_svc.child_profile(s, who.principal, r["id"]) if r["status"] == "pending" else None
    rows.sort(key=lambda r: (r["status"] != "pending", -r["id"]))
    return render(
        request, "provider/offers.html.j2", who, status=status, offers=rows, homes=homes, errors=errors,
        form=form, done=done, labels=labels, today=dt.date.today().isoformat(),
        reasons=[(r.value, labels.DECLINE[r]) for r in DeclineReason],
    )  # fmt: skip


@router.get("/provider/offers")
def offers(request: Request, who: Provider, done: str | None = None):
    return _offers_page(request, who, done=done)


@router.post("/provider/offers/{offer_id}/accept")
async def accept(request: Request, who: Provider, offer_id: int):
    form = await posted(request, who)
    try:
        body = AcceptIn(
            start_date=text(form, "start_date"),
            weekly_core=text(form, "weekly_core"),
            weekly_additional_support=text(form, "weekly_additional_support") or 0,
            weekly_education=text(form, "weekly_education") or 0,
            weekly_other=text(form, "weekly_other") or 0,
        )
        with unit(request) as s:
            offers_svc.accept_offer(s, who.principal, offer_id, body)
    except ValidationError as exc:
        errors = FormErrors()
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else "start_date"
            errors.add(f"{name}-{offer_id}", f"Offer {offer_id}: {name.replace('_', ' ')}: {e['msg']}")
        return _offers_page(request, who, errors, 422, form_dict(form))
    except DomainError as exc:
        errs = FormErrors.from_domain(exc, {"start_date": f"start_date-{offer_id}"})
        return _offers_page(request, who, errs, exc.status, form_dict(form))
    return RedirectResponse(f"/provider/offers?done=accepted-{offer_id}", status_code=303)


@router.post("/provider/offers/{offer_id}/decline")
async def decline(request: Request, who: Provider, offer_id: int):
    form = await posted(request, who)
    try:
        body = DeclineIn(reason=text(form, "reason"), text=text(form, "text"))
        with unit(request) as s:
            offers_svc.decline_offer(s, who.principal, offer_id, body)
    except ValidationError as exc:
        errors = FormErrors()
        for e in exc.errors():
            name = "reason" if e["loc"] else "text"
            msg = "Choose a reason" if name == "reason" else "Say why you are declining"
            errors.add(f"{name}-{offer_id}", f"Offer {offer_id}: {msg}")
        return _offers_page(request, who, errors, 422, form_dict(form))
    except DomainError as exc:
        return _offers_page(request, who, FormErrors.from_domain(exc), exc.status, form_dict(form))
    return RedirectResponse(f"/provider/offers?done=declined-{offer_id}", status_code=303)
