"""Every journey end to end in a real browser (Debian's Chromium driven by Playwright) against the app
on PostgreSQL, served by uvicorn on loopback, with the North East demo region loaded.

Each test signs in, does the task and checks what the page shows. Every page visited is checked
with axe-core (no serious or critical violation), every request that would leave the machine is
blocked and reported, and a Content-Security-Policy violation fails the test.

Needs ``RCC_TEST_DATABASE_URL`` (PostgreSQL), ``/usr/bin/chromium`` and axe-core (``test.sh``
installs it under ``.test-tools``; or point ``RCC_AXE_JS`` at ``axe.min.js``). Set
``RCC_WEB_SCREENSHOTS=1`` to write the screenshots to ``docs/screenshots``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy import func, select, text

from rcc.config import REPO_ROOT, Settings
from rcc.demo.population import RETURN_YEARS
from tests.conftest import DATA_DIR, KEEP, PG_URL
from tests.support.demo_returns import latest_return, with_a_bad_row, without_the_bad_episode

CHROMIUM = Path(os.environ.get("RCC_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(os.environ.get("RCC_AXE_JS") or REPO_ROOT / ".test-tools/node_modules/axe-core/axe.min.js")
SHOTS = REPO_ROOT / "docs" / "screenshots"
PASSWORD = "correct horse battery staple"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_SCALE = float(os.environ.get("RCC_WEB_DEMO_SCALE", "0.3"))
PAGE_BUDGET_BYTES = 150 * 1024

playwright_sync = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="browser tests run on PostgreSQL (RCC_TEST_DATABASE_URL)"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
    pytest.mark.skipif(not AXE.exists(), reason=f"no axe-core at {AXE} (npm install axe-core)"),
]


@dataclass
class Demo:
    base: str
    la_code: str
    la_name: str
    home_sector: str
    provider_name: str
    offer_id: int
    stale_vacancy_id: int
    owner_group: str
    tmp: Path


def _truncate(url: str) -> None:
    from rcc.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
        victims = [t for t in tables if t not in KEEP]
        if victims:
            # the audit trail refuses TRUNCATE; replica mode skips triggers for this test clean-up only
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {', '.join(victims)} RESTART IDENTITY CASCADE"))
    engine.dispose()


def _setup(url: str, tmp: Path) -> dict:
    """The demo region, a user per journey, stored returns, a pending offer and a stale vacancy."""
    from api_schemas.matching import OfferIn
    from api_schemas.register import VacancyIn
    from rcc.admin import load_demo
    from rcc.auth import SYSTEM, Role
    from rcc.db import make_engine, make_sessionmaker, transaction
    from rcc.db.models import Home, LocalAuthority, Provider, Rcc, RccMember, Referral, Vacancy
    from rcc.matching import offers as offers_svc
    from rcc.matching import shortlist as shortlist_svc
    from rcc.register import homes as homes_svc
    from rcc.web.users import create_user

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    load_demo(factory, DATA_DIR, "North East", 1, DEMO_SCALE, False, as_of=dt.date.today())
    out: dict = {}
    with transaction(factory) as s:
        rcc = s.scalars(select(Rcc)).one()
        la = s.scalars(
            select(LocalAuthority)
            .join(RccMember, RccMember.la_id == LocalAuthority.id)
            .where(RccMember.rcc_id == rcc.id)
            .order_by(LocalAuthority.gss_code)
        ).first()
        out.update(la_code=la.gss_code, la_name=la.name)
        from rcc.db.models import Child

        out["home_sector"] = s.scalar(
            select(Child.home_postcode_sector).where(
                Child.la_id == la.id, Child.home_postcode_sector.is_not(None)
            )
        )
        # a pending offer to the provider of the best home for an open referral
        offer = None
        for ref_id in s.scalars(select(Referral.id).where(Referral.status == "open").order_by(Referral.id)):
            sl = shortlist_svc.shortlist(s, SYSTEM, ref_id, top_n=3)
            for e in sl["entries"]:
                try:
                    offer = offers_svc.create_offer(
                        s, SYSTEM, OfferIn(referral_id=ref_id, home_id=e["home_id"])
                    )
                    break
                except Exception:  # noqa: BLE001 - try the next home
                    continue
            if offer is not None:
                break
        assert offer is not None, "no open referral in the demo could be offered a home"
        provider = s.get(Provider, offer.provider_id)
        out.update(offer_id=offer.id, provider_name=provider.name)
        # one of the provider's vacancies, last confirmed 30 days ago
        vac = s.scalar(select(Vacancy).join(Home).where(Home.provider_id == provider.id).limit(1))
        if vac is None:
            home = next(
                h for h in s.scalars(select(Home).where(Home.provider_id == provider.id))
                if homes_svc.home_view(s, h).free_places > 0
            )  # fmt: skip
            view = homes_svc.create_vacancy(
                s,
                SYSTEM,
                VacancyIn(home_id=home.id, places=1, available_from=dt.date.today(), confirmed_by="demo"),
                14,
            )
            vac = view.vacancy
        vac.confirmed_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
        out["stale_vacancy_id"] = vac.id
        out["owner_group"] = s.scalar(
            select(Provider.owner_group)
            .join(Home, Home.provider_id == Provider.id)
            .where(Provider.sector != "local_authority", Provider.owner_group.is_not(None))
            .group_by(Provider.owner_group)
            .order_by(func.count(Home.id).desc(), Provider.owner_group)
            .limit(1)
        )
        create_user(s, "officer@la.example", "Olu Officer", Role.LA_OFFICER, PASSWORD, la_id=la.id)
        create_user(s, "data@la.example", "Dana Data", Role.LA_OFFICER, PASSWORD, la_id=la.id)
        create_user(
            s, "provider@care.example", "Priya Provider", Role.PROVIDER, PASSWORD, provider_id=provider.id
        )
        create_user(s, "commissioner@rcc.example", "Cora Commissioner", Role.RCC_COMMISSIONER, PASSWORD,
                    rcc_id=rcc.id)  # fmt: skip
    # the files the data officer uploads: the LA's latest return (every member LA has the demo's returns)
    # with a bad row (rejected), then without the bad episode (accepted as a new version)
    _year, latest = latest_return(DATA_DIR, out["la_code"], dt.date.today(), DEMO_SCALE)
    raw, clean = with_a_bad_row(latest), without_the_bad_episode(latest)
    for name, files in (("raw", raw), ("clean", clean)):
        folder = tmp / name
        folder.mkdir()
        for table, body in files.items():
            (folder / f"{table}.csv").write_bytes(body)
    engine.dispose()
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def demo(template_url, tmp_path_factory) -> Iterator[Demo]:
    import uvicorn

    from rcc.app import create_app
    from rcc.web.settings import WebSettings

    _truncate(PG_URL)
    tmp = tmp_path_factory.mktemp("web")
    facts = _setup(PG_URL, tmp)
    settings = Settings(database_url=PG_URL, data_dir=DATA_DIR, worker="inline", stale_vacancy_days=14)
    app = create_app(settings)
    app.state.web_settings = WebSettings(cookie_secure=False)  # plain http, loopback only
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield Demo(base=f"http://127.0.0.1:{port}", tmp=tmp, **facts)
    finally:
        server.should_exit = True
        thread.join(15)
        _truncate(PG_URL)


@pytest.fixture(scope="module")
def browser(demo):
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watch:
    """What a page tried that it must not: requests leaving the machine, CSP violations, script errors."""

    def __init__(self) -> None:
        self.blocked: list[str] = []
        self.problems: list[str] = []
        self.asset_bytes: dict[str, int] = {}

    busy_expected = 0  # 503 answers a test sends on purpose

    def console(self, msg) -> None:
        # a form answered 422 with its errors is intended; a script error or a CSP refusal is not
        if self.busy_expected and "status of 503" in msg.text:
            self.busy_expected -= 1
        elif msg.type == "error" and "the server responded with a status of 4" not in msg.text:
            self.problems.append(msg.text)

    def check(self) -> None:
        assert not self.blocked, f"requests to other hosts: {self.blocked}"
        assert not self.problems, f"console errors: {self.problems}"


@pytest.fixture
def page(browser, demo):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    context.add_init_script(path=str(AXE))  # axe-core in every page, outside the page's own CSP
    watch = Watch()

    def route(r):
        host = urlparse(r.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            watch.blocked.append(r.request.url)
            r.abort("internetdisconnected")

    context.route("**/*", route)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    pg.on("console", watch.console)
    pg.on("pageerror", lambda e: watch.problems.append(str(e)))
    pg.watch = watch  # type: ignore[attr-defined]
    yield pg
    context.close()
    watch.check()


def sign_in(page, demo: Demo, email: str) -> None:
    page.goto(f"{demo.base}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/sign-in" not in page.url, page.content()[:2000]


def accessible(page, name: str) -> None:
    """No serious or critical axe-core violation; and a screenshot of the page."""
    violations = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
        }"""
    )
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {bad}"
    target = (
        SHOTS
        if os.environ.get("RCC_WEB_SCREENSHOTS")
        else Path(os.environ.get("TMPDIR", "/tmp")) / "rcc-shots"
    )
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)


def _workbook(download) -> dict[str, list[list]]:
    """A downloaded Excel file's sheets as rows of cell values (opened with openpyxl)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))  # the saved file has no .xlsx suffix
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


# ---------------------------------------------------------------- journeys


def test_placement_officer_journey(page, demo):
    sign_in(page, demo, "officer@la.example")
    assert page.get_by_role("heading", name="Referrals").is_visible()
    accessible(page, "officer-referrals")
    page.get_by_role("link", name="Start a new referral").click()
    # first a mistake: the error summary at the top links to the field, and the message sits beside it
    page.get_by_role("button", name="Save and see the shortlist").click()
    summary = page.locator(".error-summary")
    assert summary.is_visible() and "There is a problem" in summary.inner_text()
    assert page.locator("#la_child_id-error").is_visible()
    accessible(page, "officer-new-referral-errors")
    page.get_by_label("Your LA's child ID").fill("WEB-0001")
    page.get_by_label("Month", exact=True).fill("6")
    page.get_by_label("Year", exact=True).fill("2011")
    page.get_by_label("Female").check()
    page.get_by_label("Home postcode sector").fill(demo.home_sector)
    page.get_by_label("Complex trauma (therapeutic care)").check()
    page.get_by_label("Going missing").check()
    page.get_by_label("Foster care").select_option("preferred")
    page.get_by_label("Residential care").select_option("suitable")
    page.get_by_label("Within 5 days").check()
    page.get_by_label("The child's wishes (optional)").fill("To stay near my friends")
    page.get_by_role("button", name="Save and see the shortlist").click()
    assert page.get_by_role("heading", name="Shortlist and offers").is_visible()
    assert "saved" in page.locator(".notice--success").inner_text()
    entries = page.locator(".shortlist__item")
    assert entries.count() >= 2
    factors = entries.first.locator(".list--factors li")
    assert factors.count() >= 1 and "mile" in entries.first.inner_text()
    excluded = page.locator("details.details summary").first
    assert "homes were excluded" in excluded.inner_text()
    excluded.click()
    assert page.locator("details.details li").count() >= 1
    accessible(page, "officer-shortlist")
    # choose two homes (keyboard: tab to the checkbox, space to tick it), send offers
    boxes = page.locator(".shortlist input[type=checkbox]")
    boxes.nth(0).focus()
    page.keyboard.press("Space")
    boxes.nth(1).check()
    page.get_by_role("button", name="Send offers").click()
    assert "2 offers sent" in page.locator(".notice--success").inner_text()
    rows = page.locator("#offers tbody tr")
    assert rows.count() == 2 and "Waiting for the provider" in rows.first.inner_text()
    accessible(page, "officer-offers")
    # a provider answers: the officer's page shows it without being reloaded
    _decline_first_offer_on(page.url)
    page.locator("#offers").get_by_text("Declined").wait_for(timeout=20_000)
    page.get_by_role("link", name="Unmet need").click()
    assert page.get_by_role("heading", name="Unmet need in your LA").is_visible()
    accessible(page, "officer-unmet-need")


def _decline_first_offer_on(url: str) -> None:
    from api_schemas.matching import DeclineIn
    from rcc.auth import SYSTEM
    from rcc.db import make_engine, make_sessionmaker, transaction
    from rcc.db.models import Offer

    ref_id = int(url.rstrip("/").split("/")[-1].split("?")[0])
    engine = make_engine(PG_URL)
    from rcc.matching import offers as offers_svc

    with transaction(make_sessionmaker(engine)) as s:
        offer_id = s.scalar(select(Offer.id).where(Offer.referral_id == ref_id).order_by(Offer.id).limit(1))
        offers_svc.decline_offer(s, SYSTEM, offer_id, DeclineIn(reason="no_vacancy"))
    engine.dispose()


def test_provider_journey(page, demo):
    sign_in(page, demo, "provider@care.example")
    assert page.get_by_role("heading", name="Your homes and vacancies").is_visible()
    stale = page.locator(f"#vacancy-{demo.stale_vacancy_id}")
    assert "vacancy--stale" in (stale.get_attribute("class") or "") and "stale" in stale.inner_text().lower()
    assert "stale" in page.locator(".notice--warning").inner_text()
    accessible(page, "provider-homes")
    stale.get_by_role("button", name="Confirm still available").click()
    confirmed = page.locator(f"#vacancy-{demo.stale_vacancy_id}")
    assert "vacancy--stale" not in (confirmed.get_attribute("class") or "")
    assert (
        "Priya Provider" in confirmed.inner_text()
        and "confirmed" in page.locator(".notice--success").inner_text()
    )
    page.get_by_role("link", name="Offers").click()
    card = page.locator(f"#offer-{demo.offer_id}")
    assert "Waiting for the provider" in card.inner_text()
    # the child's non-identifying profile, read through the audited service
    profile = card.locator("dl.profile")
    assert profile.count() >= 1 and "Age" in profile.first.inner_text() and "Needs" in profile.first.inner_text()
    assert _profile_reads(demo.offer_id) >= 1
    accessible(page, "provider-offers")
    # a coded reason is required; 'other' needs words
    card.get_by_label("Reason").select_option("other")
    card.get_by_role("button", name=f"Decline offer {demo.offer_id}").click()
    assert page.locator(f"#text-{demo.offer_id}-error").is_visible()
    card = page.locator(f"#offer-{demo.offer_id}")
    card.get_by_label("Reason").select_option("cannot_meet_needs")
    card.get_by_role("button", name=f"Decline offer {demo.offer_id}").click()
    card = page.locator(f"#offer-{demo.offer_id}")
    assert "Declined: Cannot meet the child's needs" in card.inner_text()


def _profile_reads(offer_id: int) -> int:
    """Audit events recording a read of the offer's child profile."""
    from rcc.db import make_engine
    from rcc.db.models import AuditEvent

    engine = make_engine(PG_URL)
    with engine.connect() as conn:
        n = conn.scalar(
            select(func.count()).select_from(AuditEvent)
            .where(AuditEvent.detail == f"offer {offer_id} child profile (provider {_provider_of(conn, offer_id)})")
        )  # fmt: skip
    engine.dispose()
    return int(n or 0)


def _provider_of(conn, offer_id: int) -> int:
    from rcc.db.models import Offer

    return conn.scalar(select(Offer.provider_id).where(Offer.id == offer_id))


def test_commissioner_journey(page, demo):
    sign_in(page, demo, "commissioner@rcc.example")
    assert page.get_by_role("heading", name="Demand against supply").is_visible()
    assert page.locator("svg.chart").count() >= 2
    accessible(page, "commissioner-gap")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download the gap as CSV").click()
    header = Path(dl.value.path()).read_text().splitlines()[0]
    assert "category" in header and "to_commission" in header
    with page.expect_download() as dl:
        page.get_by_role("link", name="download the gap as Excel").click()
    assert dl.value.suggested_filename == "sufficiency-gap.xlsx"
    assert _workbook(dl.value)["gap"][0] == header.split(",")
    page.get_by_role("link", name="Cost of care").click()
    assert page.locator("svg.chart").count() == 2 and page.locator("table").count() >= 2
    accessible(page, "commissioner-cost-of-care")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download as CSV").click()
    rows = list(csv.reader(io.StringIO(Path(dl.value.path()).read_text())))
    assert len(rows) > 1
    with page.expect_download() as dl:
        page.get_by_role("link", name="download as Excel").click()
    assert _workbook(dl.value)["cost of care"][0] == rows[0]
    page.get_by_role("link", name="Market oversight").click()
    assert page.get_by_role("heading", name="Oversight register").is_visible()
    with page.expect_download() as dl:
        page.get_by_role("link", name="download the oversight register as Excel").click()
    register = _workbook(dl.value)["oversight register"]
    assert register[0][:2] == ["provider_id", "provider_name"]
    assert len(register) - 1 == page.locator("table").last.locator("tbody tr td:nth-child(7)").count()
    accessible(page, "commissioner-market")
    page.get_by_role("link", name="Stress test").click()
    page.get_by_label("Owner group that stops trading").select_option(demo.owner_group)
    page.get_by_label("Only into declared vacancies").check()
    page.get_by_label("Optimiser time limit (seconds)").fill("5")
    accessible(page, "commissioner-stress-test-form")
    page.get_by_role("button", name="Run the stress test").click()
    # progress while it runs (polled), then the result without a manual reload
    assert "Status:" in page.locator(".progress, .notice--success").first.inner_text()
    page.get_by_text("children affected").first.wait_for(timeout=180_000)
    assert page.locator(".summary-list").is_visible()
    accessible(page, "commissioner-stress-test-result")


def test_la_data_officer_journey(page, demo):
    sign_in(page, demo, "data@la.example")
    page.get_by_role("link", name="SSDA903 returns").click()
    history = page.locator("table").last.locator("tbody tr")
    assert history.count() == RETURN_YEARS  # the demo's returns
    raw = demo.tmp / "raw"
    page.get_by_label("Header file (CSV)").set_input_files(str(raw / "header.csv"))
    page.get_by_label("Episodes file (CSV)").set_input_files(str(raw / "episodes.csv"))
    if (raw / "uasc.csv").exists():
        page.get_by_label("UASC file (CSV, optional)").set_input_files(str(raw / "uasc.csv"))
    page.get_by_role("button", name="Upload and validate").click()
    assert page.get_by_role("heading", name="Validation report").is_visible()
    report = page.locator("#validation-report tbody tr")
    assert report.count() >= 1
    first = report.first.locator("td")
    assert first.nth(1).inner_text().strip().isdigit()  # a spreadsheet row number
    accessible(page, "data-validation-report")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download the validation report as CSV").click()
    lines = Path(dl.value.path()).read_text().splitlines()
    assert lines[0] == "file,spreadsheet_row,record,column,rule,message" and len(lines) == report.count() + 1
    with page.expect_download() as dl:
        page.get_by_role("link", name="download the validation report as Excel").click()
    sheet = _workbook(dl.value)["validation report"]
    assert sheet[0] == ["file", "spreadsheet_row", "record", "column", "rule", "message"]
    assert len(sheet) == len(lines) and sheet[1][1] == int(first.nth(1).inner_text())
    # the refused upload is in the history too, with nothing stored
    rejected = page.locator("table").last.locator("tbody tr.history--rejected")
    assert rejected.count() == 1 and "Nothing stored" in rejected.inner_text()
    clean = demo.tmp / "clean"
    page.get_by_label("Header file (CSV)").set_input_files(str(clean / "header.csv"))
    page.get_by_label("Episodes file (CSV)").set_input_files(str(clean / "episodes.csv"))
    if (clean / "uasc.csv").exists():
        page.get_by_label("UASC file (CSV, optional)").set_input_files(str(clean / "uasc.csv"))
    page.get_by_role("button", name="Upload and validate").click()
    assert "accepted and stored" in page.locator(".notice--success").inner_text()
    history = page.locator("table").last.locator("tbody tr")
    assert history.count() == RETURN_YEARS + 2  # the demo's years, the refused upload, this one
    assert "accepted" in history.last.inner_text()
    accessible(page, "data-returns")
    page.get_by_role("link", name="Forecast").click()
    # the first status poll finds the service busy: the page keeps polling (as Retry-After asks)
    busy = []

    def first_poll_busy(route):
        if busy:
            route.continue_()
        else:
            busy.append(route.request.url)
            page.watch.busy_expected += 1
            route.fulfill(status=503, headers={"Retry-After": "1"}, body='{"error": {"code": "busy"}}')

    page.route("**/jobs/*/status", first_poll_busy)
    page.get_by_role("button", name="Run a new forecast").click()
    assert page.locator(".progress, .notice--success").first.is_visible()
    page.locator(".notice--success").get_by_text("Forecast finished").wait_for(timeout=120_000)
    assert len(busy) == 1
    fans = page.locator(".fan-grid img")
    assert fans.count() >= 2
    for i in range(fans.count()):
        fans.nth(i).scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0",
            arg=fans.nth(i).element_handle(),
            timeout=120_000,  # five charts drawn by matplotlib at once; slow on a busy machine
        )
    accessible(page, "data-forecast")


# ---------------------------------------------------------------- offline, budgets, docs

PAGES = {
    "officer@la.example": ["/officer", "/officer/referrals/new", "/officer/unmet-need", "/data/returns", "/data/forecast"],
    "provider@care.example": ["/provider", "/provider/offers"],
    "commissioner@rcc.example": ["/commissioner", "/commissioner/cost-of-care", "/commissioner/market",
                                 "/commissioner/stress-test", "/commissioner/matching-run"],
}  # fmt: skip


def test_every_page_and_the_docs_render_with_the_network_unreachable(browser, demo):
    """Each page is loaded with every non-loopback request blocked: it renders, asks for nothing
    outside, breaks no CSP rule, and its JavaScript and CSS together stay within 150 KB."""
    for email, paths in PAGES.items():
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        watch = Watch()

        def route(r, watch=watch):
            if urlparse(r.request.url).hostname in ("127.0.0.1", "localhost"):
                r.continue_()
            else:
                watch.blocked.append(r.request.url)
                r.abort("internetdisconnected")

        context.route("**/*", route)
        pg = context.new_page()
        pg.on("console", watch.console)
        sign_in(pg, demo, email)
        for path in paths:
            sizes: dict[str, int] = {}

            def on_response(resp, sizes=sizes):
                if resp.request.resource_type in ("script", "stylesheet"):
                    sizes[resp.url] = len(resp.body())

            pg.on("response", on_response)
            pg.goto(f"{demo.base}{path}")
            pg.wait_for_load_state("networkidle")
            pg.remove_listener("response", on_response)
            assert pg.locator("h1").first.is_visible(), path
            assert pg.evaluate("getComputedStyle(document.body).fontFamily").startswith("Arial"), (
                path
            )  # CSS applied
            total = sum(sizes.values())
            assert 0 < total <= PAGE_BUDGET_BYTES, (path, sizes)
        context.close()
        watch.check()
    # the API documentation, rendered by its bundled Swagger UI and ReDoc
    context = browser.new_context()
    watch = Watch()
    context.route(
        "**/*",
        lambda r: (
            r.continue_()
            if urlparse(r.request.url).hostname in ("127.0.0.1", "localhost")
            else (watch.blocked.append(r.request.url), r.abort("internetdisconnected"))
        ),
    )
    pg = context.new_page()
    pg.goto(f"{demo.base}/docs")
    pg.locator(".swagger-ui .info .title").wait_for()
    assert "RCC placement matching" in pg.locator(".swagger-ui .info .title").inner_text()
    assert pg.locator(".opblock").count() > 20
    pg.goto(f"{demo.base}/redoc")
    pg.get_by_role("heading", name="RCC placement matching", exact=False).first.wait_for()
    context.close()
    watch.check()
