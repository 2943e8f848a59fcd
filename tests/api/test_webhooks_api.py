"""Webhooks: subscriptions through the API, delivery to a real receiver on 127.0.0.1 with an
HMAC-SHA256 signature, retries with backoff, scope, and the delivery log."""

from __future__ import annotations

import datetime as dt
import json

from rcc import events
from rcc.db import transaction
from rcc.db.models import LocalAuthority, utcnow
from rcc.webhooks import delivery
from rcc.webhooks import service as wh
from tests.support.receiver import receiver

T0 = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def _la_id(factory, code: str) -> int:
    with factory() as s:
        return s.query(LocalAuthority).filter_by(gss_code=code).one().id


def test_event_kinds_are_listed(client, world):
    r = client.get("/api/v1/webhooks/events", headers=world.h("provider_a"))
    assert r.status_code == 200
    assert {k["kind"] for k in r.json()} == set(events.KINDS)


def test_subscription_rejects_unknown_events_and_bad_urls(client, world):
    r = client.post(
        "/api/v1/webhooks",
        headers=world.h("provider_a"),
        json={"url": "http://127.0.0.1:9/x", "events": ["offer.eaten"]},
    )
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "events"
    r = client.post(
        "/api/v1/webhooks",
        headers=world.h("provider_a"),
        json={"url": "ftp://example.org/x", "events": ["offer.made"]},
    )
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "url"


def test_delivery_is_signed_retried_with_backoff_and_logged(client, world, factory):
    la_a = _la_id(factory, world.la_a)
    with receiver() as rx:
        r = client.post(
            "/api/v1/webhooks",
            headers=world.h("provider_a"),
            json={"url": rx.url, "events": ["offer.made", "offer.withdrawn"]},
        )
        assert r.status_code == 201, r.text
        sub = r.json()
        secret = sub["secret"]
        assert len(secret) >= 32
        # others cannot see it
        assert client.get(f"/api/v1/webhooks/{sub['id']}", headers=world.h("provider_b")).status_code == 404

        with transaction(factory) as s:
            events.emit(
                s,
                events.OFFER_MADE,
                "offer/1",
                {"offer_id": 1},
                la_id=la_a,
                provider_id=world.provider_a,
                at=T0,
            )
            # another provider's offer and a kind not subscribed to are not delivered
            events.emit(
                s,
                events.OFFER_MADE,
                "offer/2",
                {"offer_id": 2},
                la_id=la_a,
                provider_id=world.provider_b,
                at=T0,
            )
            events.emit(
                s,
                events.OFFER_DECLINED,
                "offer/1",
                {"offer_id": 1},
                la_id=la_a,
                provider_id=world.provider_a,
                at=T0,
            )

        rx.fail_next = 1
        first = delivery.dispatch(factory, now=T0)
        assert (first.fanned_out, first.delivered, first.retrying, first.failed) == (1, 0, 1, 0)
        # not due again until the backoff has passed
        assert delivery.dispatch(factory, now=T0 + dt.timedelta(seconds=wh.backoff_seconds(1) - 1)).delivered == 0
        second = delivery.dispatch(factory, now=T0 + dt.timedelta(seconds=wh.backoff_seconds(1)))
        assert second.delivered == 1

        assert len(rx.requests) == 2
        got = rx.requests[-1]
        assert got.headers["X-RCC-Event"] == "offer.made"
        assert wh.verify(secret, got.headers["X-RCC-Timestamp"], got.body, got.headers["X-RCC-Signature"])
        assert not wh.verify(
            "wrong-secret-wrong-secret",
            got.headers["X-RCC-Timestamp"],
            got.body,
            got.headers["X-RCC-Signature"],
        )
        doc = json.loads(got.body)
        assert (doc["kind"], doc["subject"], doc["data"]) == ("offer.made", "offer/1", {"offer_id": 1})
        # the same delivery id on the retry, so receivers can de-duplicate
        assert rx.requests[0].headers["X-RCC-Delivery"] == got.headers["X-RCC-Delivery"]

    log = client.get(f"/api/v1/webhooks/{sub['id']}/deliveries", headers=world.h("provider_a")).json()
    assert log["total"] == 1
    d = log["items"][0]
    assert (d["status"], d["attempts"], d["kind"]) == ("delivered", 2, "offer.made")
    assert [a["status_code"] for a in d["attempt_log"]] == [503, 204]


def test_delivery_gives_up_after_max_attempts(client, world, factory):
    la_a = _la_id(factory, world.la_a)
    r = client.post(
        "/api/v1/webhooks",
        headers=world.h("officer_a"),
        json={"url": "http://127.0.0.1:9/closed", "events": ["return.rejected"]},
    )
    sub_id = r.json()["id"]
    with transaction(factory) as s:
        events.emit(
            s, events.RETURN_REJECTED, "rejected_return/1", {"rejected_return_id": 1}, la_id=la_a, at=T0
        )
    now = T0
    for attempt in range(1, wh.MAX_ATTEMPTS + 1):
        report = delivery.dispatch(
            factory, now=now, post=lambda *_: (_ for _ in ()).throw(ConnectionError("refused"))
        )
        assert report.failed == (1 if attempt == wh.MAX_ATTEMPTS else 0)
        now += dt.timedelta(seconds=wh.backoff_seconds(attempt))
    d = client.get(f"/api/v1/webhooks/{sub_id}/deliveries", headers=world.h("officer_a")).json()["items"][0]
    assert (d["status"], d["attempts"]) == ("failed", wh.MAX_ATTEMPTS)
    assert "refused" in d["last_error"]


def test_scope_commissioner_sees_member_las_only(client, world, factory):
    la_b, la_out = _la_id(factory, world.la_b), _la_id(factory, world.la_out)
    sent: list[str] = []
    client.post(
        "/api/v1/webhooks",
        headers=world.h("commissioner"),
        json={"url": "http://127.0.0.1:9/x", "events": ["return.rejected"]},
    )
    with transaction(factory) as s:
        events.emit(s, events.RETURN_REJECTED, "rejected_return/1", {}, la_id=la_b, at=T0)
        events.emit(s, events.RETURN_REJECTED, "rejected_return/2", {}, la_id=la_out, at=T0)
    delivery.dispatch(factory, now=T0, post=lambda url, body, h: sent.append(json.loads(body)["subject"]) or 200)
    assert sent == ["rejected_return/1"]


def test_unsubscribe_cancels_pending(client, world, factory):
    la_a = _la_id(factory, world.la_a)
    sub = client.post(
        "/api/v1/webhooks",
        headers=world.h("officer_a"),
        json={"url": "http://127.0.0.1:9/x", "events": ["offer.made"]},
    ).json()
    with transaction(factory) as s:
        events.emit(s, events.OFFER_MADE, "offer/9", {}, la_id=la_a, at=utcnow())
    with transaction(factory) as s:
        wh.fan_out(s)
    assert client.delete(f"/api/v1/webhooks/{sub['id']}", headers=world.h("officer_a")).status_code == 204
    sent: list[bytes] = []
    assert delivery.dispatch(factory, post=lambda u, b, h: sent.append(b) or 200).delivered == 0
    assert sent == []
    d = client.get(f"/api/v1/webhooks/{sub['id']}/deliveries", headers=world.h("officer_a")).json()["items"]
    assert [x["status"] for x in d] == ["cancelled"]


def test_the_dispatcher_thread_delivers_and_sweeps_stale_vacancies(client, world, factory):
    """What ``rcc serve`` and ``rcc worker`` run: a vacancy left unconfirmed becomes a vacancy.stale event."""
    import time

    from rcc.db.models import Home, Vacancy
    from rcc.webhooks.dispatcher import Dispatcher
    from tests.api.helpers import home_body

    home = client.post(
        "/api/v1/homes", json=home_body(world.provider_a, urn=None), headers=world.h("admin")
    ).json()
    with transaction(factory) as s:
        s.add(Vacancy(home_id=home["id"], places=1, available_from=dt.date(2026, 11, 1), confirmed_by="test",
                      confirmed_at=utcnow() - dt.timedelta(days=30)))  # fmt: skip
        assert s.get(Home, home["id"]) is not None
    with receiver() as rx:
        r = client.post(
            "/api/v1/webhooks",
            headers=world.h("provider_a"),
            json={"url": rx.url, "events": ["vacancy.stale"]},
        )
        assert r.status_code == 201
        d = Dispatcher(factory, stale_days=14, interval=0.1)
        d.start()
        try:
            for _ in range(100):
                if rx.requests:
                    break
                time.sleep(0.1)
        finally:
            d.stop()
        assert [q.headers["X-RCC-Event"] for q in rx.requests] == ["vacancy.stale"]
        assert json.loads(rx.requests[0].body)["data"]["home_id"] == home["id"]
    # swept once per confirmation: no second event for the same vacancy
    assert delivery.dispatch(factory, stale_days=14).fanned_out == 0
