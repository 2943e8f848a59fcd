"""Input limits (issue 9): ids in the database integer range, NUL and lone surrogates refused, dates in
sane bounds, birth months in childhood, null refused for required fields, integrity errors as a 422
naming the field, 405 with ``Allow``. Each is a 422 (or 405) in the usual envelope, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest

from api_schemas.children import birth_month_in_childhood

API = "/api/v1"

BIG = 2**31


def _fields(r) -> list[str]:
    assert r.status_code == 422, (r.status_code, r.text)
    return [d["field"] for d in r.json()["error"]["details"]]


def _home(client, world, **over) -> int:
    body = {"provider_id": world.provider_a, "name": "Elm House", "home_type": "childrens_home",
            "postcode": "NE1 4", "registered_places": 2, "age_min": 8, "age_max": 17,
            "sexes_accepted": ["male", "female"]} | over  # fmt: skip
    r = client.post(f"{API}/homes", json=body, headers=world.h("admin"))
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.mark.parametrize(
    "url, field",
    [("/homes", "home_id"), ("/providers", "provider_id"), ("/children", "child_id"), ("/referrals", "referral_id"),
     ("/placements", "placement_id"), ("/rccs", "rcc_id"), ("/offers", "offer_id"), ("/vacancies", "vacancy_id"),
     ("/sufficiency/returns", "return_id")],
)  # fmt: skip
def test_ids_beyond_the_database_integer_are_422_on_every_id_route(client, world, url, field):
    for ident in (BIG, 0, 2**70):
        assert _fields(client.get(f"{API}{url}/{ident}", headers=world.h("admin"))) == [field]


def test_ids_and_offsets_in_queries_and_bodies(client, world):
    h = world.h("admin")
    assert _fields(client.get(f"{API}/homes", params={"offset": BIG}, headers=h)) == ["offset"]
    assert _fields(client.get(f"{API}/homes", params={"provider_id": BIG}, headers=h)) == ["provider_id"]
    r = client.get(f"{API}/commissioning/concentration", params={"rcc": -(2**70)}, headers=h)
    assert _fields(r) == ["rcc"]
    r = client.post(f"{API}/homes", json={"provider_id": BIG}, headers=h)
    assert "provider_id" in _fields(r)
    r = client.post(f"{API}/providers", json={"name": "Acme", "sector": "private", "x": 2**40}, headers=h)
    assert _fields(r) == ["x"]


def test_nul_and_lone_surrogates_are_refused_in_any_string(client, world):
    h = world.h("admin")
    r = client.post(f"{API}/providers", json={"name": "Acme\u0000", "sector": "private"}, headers=h)
    assert _fields(r) == ["name"]
    raw = b'{"name": "Acme \\ud800", "sector": "private"}'
    r = client.post(f"{API}/providers", content=raw, headers=h | {"Content-Type": "application/json"})
    assert _fields(r) == ["name"] and "surrogate" in r.json()["error"]["details"][0]["message"]
    assert _fields(client.get(f"{API}/homes", params={"la": "E08\x00"}, headers=h)) == ["la"]
    assert client.get(f"{API}/providers", headers=h).json()["total"] == 2  # nothing was stored


def test_dates_out_of_bounds_name_the_field(client, world):
    h = world.h("commissioner")
    base = {"rcc": world.rcc_id, "period_start": "2024-04-01"}
    r = client.get(f"{API}/commissioning/cost-of-care", params=base | {"period_end": "9999-12-31"}, headers=h)
    assert _fields(r) == ["period_end"]
    r = client.get(f"{API}/commissioning/financial-oversight", params={"rcc": world.rcc_id, "as_of": "0001-01-01"},
                   headers=h)  # fmt: skip
    assert _fields(r) == ["as_of"]


def test_birth_months_are_within_childhood():
    today = dt.date(2026, 11, 30)
    assert birth_month_in_childhood(dt.date(2008, 11, 15), today) == dt.date(2008, 11, 15)
    assert birth_month_in_childhood(dt.date(2026, 11, 30), today) == dt.date(2026, 11, 30)
    with pytest.raises(ValueError, match="future"):
        birth_month_in_childhood(dt.date(2026, 12, 1), today)
    with pytest.raises(ValueError, match="18 years"):
        birth_month_in_childhood(dt.date(2008, 10, 31), today)


def test_child_birth_month_in_2099_or_1900_is_422(client, world):
    body = {"la_code": world.la_a, "la_child_id": "X1", "sex": "female", "home_postcode_sector": "NE1 4"}
    for month in ("2099-01-01", "1990-01-01"):
        r = client.post(f"{API}/children", json=body | {"birth_month": month}, headers=world.h("officer_a"))
        assert _fields(r) == ["birth_month"], month


def test_patch_with_null_on_a_required_field_is_422(client, world):
    home = _home(client, world)
    r = client.patch(f"{API}/homes/{home}", json={"age_min": None}, headers=world.h("admin"))
    assert _fields(r) == ["age_min"] and "may not be null" in r.json()["error"]["details"][0]["message"]
    assert client.get(f"{API}/homes/{home}", headers=world.h("admin")).json()["age_min"] == 8


def test_long_strings_are_422_before_the_database(client, world):
    h = world.h("admin")
    r = client.patch(f"{API}/providers/{world.provider_a}", json={"owner_group": "x" * 201}, headers=h)
    assert _fields(r) == ["owner_group"]


def test_bad_json_body_is_422_not_400(client, world):
    r = client.post(
        f"{API}/providers",
        content=b"\xff\xfe{",
        headers=world.h("admin") | {"Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid"


def test_405_carries_allow(client, world):
    r = client.put(f"{API}/homes", headers=world.h("admin"))
    assert r.status_code == 405
    assert set(r.headers["allow"].split(", ")) == {"GET", "POST"}
    r = client.post(f"{API}/homes/1", headers=world.h("admin"))
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) == {"GET", "PATCH", "DELETE"}


def test_integrity_error_is_422_naming_the_field_without_database_text():
    from sqlalchemy.exc import IntegrityError

    from rcc.api.integrity import integrity_field

    class Orig(Exception):
        pass

    sqlite = IntegrityError(
        "INSERT", {}, Orig("UNIQUE constraint failed: children.la_id, children.la_child_id")
    )
    assert integrity_field(sqlite) == ("la_child_id", "la_child_id already exists")

    class Diag:
        column_name = None
        constraint_name = "homes_provider_id_fkey"
        table_name = "homes"

    pg = Orig('insert or update on table "homes" violates foreign key constraint "homes_provider_id_fkey"')
    pg.diag = Diag()  # type: ignore[attr-defined]
    assert integrity_field(IntegrityError("INSERT", {}, pg)) == (
        "provider_id", "provider_id refers to a record that does not exist"
    )  # fmt: skip
