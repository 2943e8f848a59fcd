"""Every role's pages over HTTP (no browser): forms post through CSRF into the same services as the API."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from tests.api.helpers import home_body
from tests.ssda903_builders import child, episode, files, return_2021
from tests.web.conftest import csrf_of, sign_in


def _home(client, world, **over) -> int:
    r = client.post(
        "/api/v1/homes", json=home_body(world.provider_a, urn=None, **over), headers=world.h("admin")
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _sheet(response) -> dict[str, list[list]]:
    """A downloaded workbook's sheets as rows of cell values."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["content-disposition"].endswith('.xlsx"')
    wb = load_workbook(io.BytesIO(response.content))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


REFERRAL_FORM = {
    "la_child_id": "WEB-1",
    "birth_month-month": "6",
    "birth_month-year": "2012",
    "sex": "female",
    "ethnicity": "WBRI",
    "needs": ["complex_trauma"],
    "risks": ["riskMissing"],
    "home_postcode_sector": "NE1 4",
    "suitability_foster": "preferred",
    "suitability_residential": "suitable",
    "suitability_supported": "unsuitable",
    "living_companions": "no_preference",
    "needed_by": "< 5 days",
    "preferred_location_local": "on",
    "wishes": "To stay near my school",
}


def test_officer_creates_a_referral_sees_the_shortlist_in_words_and_sends_an_offer(web, client, world, users):
    near = _home(web, world, name="Near House", postcode="NE6 1")
    _home(web, world, name="Toddler House", postcode="NE4 5", age_min=0, age_max=7)
    sign_in(web, users["officer"])
    form = web.get("/officer/referrals/new")
    assert 'for="la_child_id"' in form.text and 'for="home_postcode_sector"' in form.text
    r = web.post("/officer/referrals/new", data={**REFERRAL_FORM, "csrf_token": csrf_of(form.text)},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    page = web.get(r.headers["location"])
    assert "Near House" in page.text and "miles from home" in page.text
    assert "Why 1 homes were excluded" in page.text and "Age range: 1 home" in page.text
    ref_id = int(re.search(r"/officer/referrals/(\d+)", r.headers["location"]).group(1))
    r = web.post(f"/officer/referrals/{ref_id}/offers", data={"home_id": str(near), "csrf_token": csrf_of(page.text)},
                 follow_redirects=True)  # fmt: skip
    assert "1 offer sent" in r.text and "Waiting for the provider" in r.text
    assert f'data-refresh-url="/officer/referrals/{ref_id}/offers"' in r.text  # polled while pending
    part = web.get(f"/officer/referrals/{ref_id}/offers")
    assert "Near House" in part.text and "<html" not in part.text
    # the same offer through the API, made by the page
    offers = client.get(f"/api/v1/offers?referral_id={ref_id}", headers=world.h("officer_a")).json()["items"]
    assert [o["children"][0]["home_id"] for o in offers] == [near] and offers[0]["status"] == "pending"


def test_referral_form_errors_are_summarised_and_shown_beside_each_field(web, world, users):
    sign_in(web, users["officer"])
    form = web.get("/officer/referrals/new")
    bad = {**REFERRAL_FORM, "la_child_id": "", "home_postcode_sector": "", "birth_month-month": "13",
           "preferred_location_local": "", "out_of_la_reason": "", "csrf_token": csrf_of(form.text)}  # fmt: skip
    r = web.post("/officer/referrals/new", data=bad)
    assert r.status_code == 422
    assert "There is a problem" in r.text
    for field in ("la_child_id", "birth_month", "home_postcode_sector", "out_of_la_reason"):
        assert f'href="#{field}"' in r.text, field  # the summary links to the field
        assert f'id="{field}-error"' in r.text, field  # and the message sits beside it
    assert 'value="WEB-1"' not in r.text and "To stay near my school" in r.text  # what was typed is kept


def test_officer_sees_their_own_las_unmet_need_only(web, users):
    sign_in(web, users["officer"])
    r = web.get("/officer/unmet-need")
    assert r.status_code == 200 and "No unmet need recorded" in r.text


def test_provider_confirms_a_stale_vacancy_in_one_click_and_declines_with_a_coded_reason(
    web, client, world, users, factory
):
    import datetime as dt

    from rcc.db import transaction
    from rcc.db.models import Vacancy

    home = _home(web, world, name="Hill House", postcode="NE6 1")
    r = client.post("/api/v1/vacancies", headers=world.h("admin"),
                    json={"home_id": home, "places": 1, "available_from": "2026-01-01", "confirmed_by": "x"})  # fmt: skip
    vid = r.json()["id"]
    with transaction(factory) as s:
        s.get(Vacancy, vid).confirmed_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    sign_in(web, users["provider"])
    page = web.get("/provider")
    assert "1 vacancy is stale" in page.text and "vacancy--stale" in page.text
    r = web.post(f"/provider/vacancies/{vid}/confirm", data={"csrf_token": csrf_of(page.text)})
    assert "Every vacancy has been confirmed" in r.text and "vacancy--stale" not in r.text
    assert (
        "Priya Provider"
        in client.get(f"/api/v1/vacancies/{vid}", headers=world.h("admin")).json()["confirmed_by"]
    )

    # an offer arrives; the provider declines it with a coded reason
    c = client.post("/api/v1/children", headers=world.h("officer_a"), json={
        "la_code": world.la_a, "la_child_id": "P1", "birth_month": "2012-06-01", "sex": "female",
        "home_postcode_sector": "NE1 4", "needs": ["complex_trauma"]}).json()["id"]  # fmt: skip
    ref = client.post("/api/v1/referrals", headers=world.h("officer_a"),
                      json={"la_code": world.la_a, "child_ids": [c], "needed_by": "< 5 days"}).json()["id"]  # fmt: skip
    offer = client.post(
        "/api/v1/offers", headers=world.h("officer_a"), json={"referral_id": ref, "home_id": home}
    )
    assert offer.status_code == 201, offer.text
    oid = offer.json()["id"]
    page = web.get("/provider/offers")
    assert f"Offer {oid}" in page.text and "Hill House" in page.text
    # the child's non-identifying profile, in words; the LA's own child ID never reaches the provider
    card = page.text[page.text.index(f'id="offer-{oid}"'):]
    profile = card[card.index('<dl class="summary-list profile">'):card.index("</dl>")]
    assert "Complex trauma (therapeutic care)" in profile and "Female" in profile
    assert re.search(r"<dd>\d+-\d+</dd>", profile)  # an age band, never the birth month
    assert "P1" not in card and "2012-06" not in card
    with factory() as s:
        from sqlalchemy import select

        from rcc.db.models import AuditEvent

        details = list(s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "read")))
    assert details.count(f"offer {oid} child profile (provider {world.provider_a})") == 1
    r = web.post(
        f"/provider/offers/{oid}/decline", data={"reason": "other", "csrf_token": csrf_of(page.text)}
    )
    assert r.status_code == 422 and f'id="text-{oid}-error"' in r.text  # 'other' needs words
    r = web.post(
        f"/provider/offers/{oid}/decline", data={"reason": "risk_to_others", "csrf_token": csrf_of(page.text)}
    )
    assert "Declined: Risk to children already living here" in r.text
    assert (
        client.get(f"/api/v1/offers/{oid}", headers=world.h("officer_a")).json()["decline_reason"]
        == "risk_to_others"
    )


def test_commissioner_pages_show_charts_tables_and_csv(web, client, world, users):
    home = _home(web, world, name="Hill House", postcode="NE6 1")
    # (cost of care on an RCC with no placement at all fails in the service: KeyError 'all', reported)
    c = client.post("/api/v1/children", headers=world.h("officer_a"), json={
        "la_code": world.la_a, "la_child_id": "P1", "birth_month": "2012-06-01", "sex": "female",
        "home_postcode_sector": "NE1 4"}).json()["id"]  # fmt: skip
    r = client.post("/api/v1/placements", headers=world.h("officer_a"), json={
        "child_id": c, "home_id": home, "start_date": "2026-01-05", "weekly_core": 4000})  # fmt: skip
    assert r.status_code == 201, r.text
    sign_in(web, users["commissioner"])
    for url, words in (("/commissioner", "Demand against supply"), ("/commissioner/cost-of-care", "Cost of care"),
                       ("/commissioner/market", "Oversight register")):  # fmt: skip
        r = web.get(url)
        assert r.status_code == 200 and words in r.text, url
        assert '<svg class="chart"' in r.text and "<table" in r.text, url
    r = web.get("/commissioner/gap.csv")
    assert r.headers["content-type"].startswith("text/csv") and "category" in r.text.splitlines()[0]
    assert web.get("/commissioner/cost-of-care.csv").headers["content-type"].startswith("text/csv")
    assert web.get("/commissioner/concentration.csv").headers["content-type"].startswith("text/csv")
    # the same downloads as Excel: the rows on the first sheet (numbers as numbers), the notes on "About"
    gap_csv = list(csv.reader(io.StringIO(r.text)))
    gap = _sheet(web.get("/commissioner/gap.xlsx"))
    assert gap["gap"][0] == gap_csv[0] and len(gap["gap"]) == len(gap_csv)
    i = gap_csv[0].index("registered_places")
    assert [row[i] for row in gap["gap"][1:]] == [int(row[i]) for row in gap_csv[1:]]
    cost = _sheet(web.get("/commissioner/cost-of-care.xlsx"))["cost of care"]
    cost_csv = list(csv.reader(io.StringIO(web.get("/commissioner/cost-of-care.csv").text)))
    assert cost[0] == cost_csv[0] and len(cost) == len(cost_csv) > 1
    conc = _sheet(web.get("/commissioner/concentration.xlsx"))
    assert "hhi" in conc["concentration"][0] and conc["About"][0] == ["concentration"]
    assert any(row[conc["concentration"][0].index("places")] == 4 for row in conc["concentration"][1:])


def test_oversight_register_downloads_count_children_and_never_list_them(web, client, world, users, factory):
    from rcc.db import transaction
    from rcc.db.models import Provider

    home = _home(web, world, name="Hill House", postcode="NE6 1")
    with transaction(factory) as s:
        p = s.get(Provider, world.provider_a)
        p.difficult_to_replace, p.risk_rating = True, "high"
        name = p.name
    c = client.post("/api/v1/children", headers=world.h("officer_a"), json={
        "la_code": world.la_a, "la_child_id": "P1", "birth_month": "2012-06-01", "sex": "female",
        "home_postcode_sector": "NE1 4"}).json()["id"]  # fmt: skip
    r = client.post("/api/v1/placements", headers=world.h("officer_a"), json={
        "child_id": c, "home_id": home, "start_date": "2026-01-05", "weekly_core": 4000})  # fmt: skip
    assert r.status_code == 201, r.text
    sign_in(web, users["commissioner"])
    assert "/commissioner/oversight.xlsx" in web.get("/commissioner/market").text
    book = _sheet(web.get("/commissioner/oversight.xlsx"))
    head, rows = book["oversight register"][0], book["oversight register"][1:]
    assert "children" not in head and len(rows) == 1
    row = dict(zip(head, rows[0], strict=True))
    assert row["provider_name"] == name and row["risk_rating"] == "high"
    assert row["children_placed"] == 1 and row["homes_in_area"] == 1 and row["contingency_plan_held"] is False
    lines = web.get("/commissioner/oversight.csv").text.splitlines()
    assert any(line.startswith(f"{world.provider_a},{name},") for line in lines)
    assert web.get("/commissioner/oversight.pdf").status_code == 422


def test_stress_test_shows_progress_then_the_result(web, world, users, factory):
    from rcc.jobs import worker as jobs

    _home(web, world, name="Hill House", postcode="NE6 1")
    sign_in(web, users["commissioner"])
    page = web.get("/commissioner/stress-test")
    assert "Acme Group" in page.text
    r = web.post("/commissioner/stress-test", data={"owner_group": "Acme Group", "capacity": "vacancies",
                                                    "time_limit_s": "5", "csrf_token": csrf_of(page.text)},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    url = r.headers["location"]
    job_id = url.rsplit("/", 1)[1]
    running = web.get(url)
    assert f'data-poll="/jobs/{job_id}/status"' in running.text
    status = web.get(f"/jobs/{job_id}/status")
    assert status.headers["x-job-status"] == "queued"
    jobs.drain(factory)
    assert web.get(f"/jobs/{job_id}/status").headers["x-job-status"] == "succeeded"
    done = web.get(url)
    assert "Finished." in done.text and "children affected" in done.text


def test_data_officer_upload_rejected_report_by_spreadsheet_row_then_accepted_with_history(web, world, users):
    import base64

    sign_in(web, users["officer"])
    page = web.get("/data/returns")
    bad = files([child("A")], [episode("A", "10/05/2021", "01/09/2021"), episode("A", "31/02/2021")])
    r = web.post("/data/returns", data={"csrf_token": csrf_of(page.text)},
                 files={"header": ("header.csv", bad["header"]), "episodes": ("episodes.csv", bad["episodes"])})  # fmt: skip
    assert r.status_code == 422 and "Validation report" in r.text
    rows = re.findall(r"<tr><td>episodes</td><td class=\"num\">(\d+)</td>", r.text)
    assert "3" in rows  # the second record sits on spreadsheet row 3 (headings are row 1)
    href = re.search(r'href="data:text/csv;base64,([^"]+)"', r.text).group(1)
    report = base64.b64decode(href).decode()
    assert report.splitlines()[0] == "file,spreadsheet_row,record,column,rule,message"
    assert any(line.startswith("episodes,3,2,DECOM") for line in report.splitlines())
    xlsx = re.search(r'href="data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,([^"]+)"',
                     r.text).group(1)  # fmt: skip
    ws = load_workbook(io.BytesIO(base64.b64decode(xlsx)))["validation report"]
    cells = [list(row) for row in ws.iter_rows(values_only=True)]
    assert cells[0] == ["file", "spreadsheet_row", "record", "column", "rule", "message"]
    assert ["episodes", 3, 2, "DECOM"] in [row[:4] for row in cells[1:]]
    assert len(cells) == len(report.splitlines())
    # the refused upload is in the history, with its problems, though none of its rows was stored
    history = r.text[r.text.index("Submission history"):]
    assert "tag--rejected" in history and "Nothing stored: " in history and "DECOM" in history

    good = return_2021()
    r = web.post("/data/returns", data={"csrf_token": csrf_of(page.text)},
                 files={k: (f"{k}.csv", v) for k, v in good.items()})  # fmt: skip
    assert "accepted and stored" in r.text
    assert re.search(r"<td>2021-22</td><td class=\"num\">1</td>", r.text)
    history = r.text[r.text.index("Submission history"):]
    assert history.index("tag--rejected") < history.index("tag--accepted")  # oldest first


def test_data_officer_sees_what_each_return_was_checked_against_and_the_re_check_of_a_later_year(web, users):
    sign_in(web, users["officer"])

    def send(files_, year):
        page = web.get("/data/returns")
        return web.post("/data/returns", data={"csrf_token": csrf_of(page.text), "collection_year": str(year)},
                        files={k: (f"{k}.csv", v) for k, v in files_.items()})  # fmt: skip

    # 2021-22 first: accepted, and the page says the previous-year rules were skipped
    moved = files([child("B")], [episode("B", "01/01/2021", "01/06/2021", PLACE="U3", REC="E11")])
    r = send(moved, 2021)
    later_id = int(re.search(r"Return (\d+) accepted and stored", r.text).group(1))
    notice = r.text[r.text.index('id="outcome"'):r.text.index("</div>", r.text.index('id="outcome"'))]
    assert "Previous-year rules: skipped: no 2020-21 return stored" in notice
    # 2020-21 afterwards, saying B's open episode was U1: accepted; 2021-22 re-checked, one finding
    r = send(files([child("B")], [episode("B", "01/01/2021")]), 2020)
    before_id = int(re.search(r"Return (\d+) accepted and stored", r.text).group(1))
    notice = r.text[r.text.index('id="outcome"'):r.text.index("</div>", r.text.index('id="outcome"'))]
    assert f"Year 2021-22 re-checked: 1 finding (return {later_id} stays accepted" in notice
    row = r.text[r.text.index(f"<tr><td>{later_id}</td>"):]
    row = row[:row.index("</tr>")]
    assert f"re-checked against return {before_id} (2020-21, version 1) when it arrived: 1 finding" in row
    assert "child B, episode from 2021-01-01, PLACE: 503D" in row and "tag--accepted" in row
    # a consistent 2021-22 resubmission: checked against the stored 2020-21 on acceptance, no findings
    r = send(files([child("B")], [episode("B", "01/01/2021", "01/06/2021", REC="E11")]), 2021)
    notice = r.text[r.text.index('id="outcome"'):r.text.index("</div>", r.text.index('id="outcome"'))]
    assert f"Previous-year rules: checked against return {before_id} (2020-21, version 1)." in notice


def test_data_officer_sees_a_return_stored_before_checks_were_kept_and_its_backfilled_check(web, users, factory):
    from rcc.db import transaction
    from rcc.db.models import SufficiencyReturnCheck
    from rcc.sufficiency.previous import check_unrecorded

    sign_in(web, users["officer"])

    def send(files_, year):
        page = web.get("/data/returns")
        r = web.post("/data/returns", data={"csrf_token": csrf_of(page.text), "collection_year": str(year)},
                     files={k: (f"{k}.csv", v) for k, v in files_.items()})  # fmt: skip
        return int(re.search(r"Return (\d+) accepted and stored", r.text).group(1))

    later_id = send(files([child("B")], [episode("B", "01/01/2021", "01/06/2021", PLACE="U3", REC="E11")]), 2021)
    before_id = send(files([child("B")], [episode("B", "01/01/2021")]), 2020)
    with transaction(factory) as s:  # as stored before migration 0011: no check kept
        s.execute(SufficiencyReturnCheck.__table__.delete())

    def row(text: str, rid: int) -> str:
        part = text[text.index(f"<tr><td>{rid}</td>"):]
        return part[:part.index("</tr>")]

    page = web.get("/data/returns").text
    assert "not recorded: stored before checks were kept" in row(page, later_id)
    with transaction(factory) as s:
        check_unrecorded(s)
    page = web.get("/data/returns").text
    assert (
        f"checked afterwards (stored before checks were kept) against return {before_id} (2020-21, version 1): "
        "1 finding" in row(page, later_id)
    )
    assert "skipped: no 2019-20 return stored" in row(page, before_id)


def test_forecast_page_without_returns_says_what_to_do(web, users):
    sign_in(web, users["officer"])
    r = web.get("/data/forecast")
    assert r.status_code == 200 and "upload one" in r.text.lower()


def test_forecast_page_while_the_job_runs_shows_progress_only_then_the_fan_charts(web, users, factory):
    """While a forecast runs its page draws no chart: each would compute a forecast now (seconds of
    CPU) and compete with the job and the page's own status polls (the browser journey timed out so)."""
    from rcc.jobs import worker as jobs

    sign_in(web, users["officer"])
    page = web.get("/data/returns")
    r = web.post("/data/returns", data={"csrf_token": csrf_of(page.text)},
                 files={k: (f"{k}.csv", v) for k, v in return_2021().items()})  # fmt: skip
    assert "accepted and stored" in r.text
    page = web.get("/data/forecast")
    r = web.post("/data/forecast", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    running = web.get(r.headers["location"])
    assert "data-poll=" in running.text and "fan.png" not in running.text
    assert "Run a new forecast" not in running.text and "upload one" not in running.text
    jobs.drain(factory)
    done = web.get(r.headers["location"])
    assert "Forecast finished" in done.text and done.text.count("/data/forecast/fan.png") == 5
    job = r.headers["location"].split("job=")[1]
    first = web.get(f"/data/forecast/fan.png?placement=all&job={job}")
    assert first.status_code == 200 and first.content.startswith(b"\x89PNG")
    assert web.get(f"/data/forecast/fan.png?placement=all&job={job}").content == first.content


def test_pages_escape_what_people_type(web, world, users):
    sign_in(web, users["officer"])
    form = web.get("/officer/referrals/new")
    r = web.post("/officer/referrals/new", data={**REFERRAL_FORM, "home_postcode_sector": "",
                                                 "wishes": "<script>alert(1)</script>",
                                                 "csrf_token": csrf_of(form.text)})  # fmt: skip
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


def test_docs_and_redoc_use_only_bundled_assets(web):
    for url in ("/docs", "/redoc"):
        html = web.get(url).text
        srcs = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert srcs and all(s.startswith("/") for s in srcs), srcs
        for s in srcs:
            if s.startswith("/static-docs/"):
                assert web.get(s).status_code == 200, s


def test_api_errors_keep_the_json_envelope(web):
    r = web.get("/api/v1/children")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorised"
    r = web.get("/no-such-page")
    assert r.status_code == 404 and "Page not found" in r.text


def test_matching_run_shows_progress_then_proposals(web, world, users, factory):
    from rcc.jobs import worker as jobs

    sign_in(web, users["commissioner"])
    page = web.get("/commissioner/matching-run")
    bad = web.post("/commissioner/matching-run", data={"time_limit_s": "0", "csrf_token": csrf_of(page.text)})
    assert bad.status_code == 422 and 'id="time_limit_s-error"' in bad.text
    r = web.post("/commissioner/matching-run", data={"time_limit_s": "5", "csrf_token": csrf_of(page.text)},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    running = web.get(r.headers["location"])
    assert "data-poll=" in running.text
    jobs.drain(factory)
    done = web.get(r.headers["location"])
    assert "Finished:" in done.text and "Proposals" in done.text
