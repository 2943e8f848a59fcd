"""Security headers: every response says nosniff; pages also carry the CSP, referrer and framing rules and
are not stored; the API, /docs and static assets do not get the page-only headers."""

from __future__ import annotations

from rcc.web import CSP


def test_pages_carry_the_security_headers_and_the_api_only_nosniff(client):
    page = client.get("/sign-in")
    assert page.status_code == 200
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["content-security-policy"] == CSP
    assert page.headers["referrer-policy"] == "same-origin" and page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert len(page.headers.get_list("x-content-type-options")) == 1  # added once

    api = client.get("/health")
    assert api.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in api.headers and "cache-control" not in api.headers

    docs = client.get("/docs")
    assert docs.status_code == 200 and docs.headers.get("content-security-policy") != CSP  # not the pages

    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and missing.headers["content-security-policy"] == CSP
