"""SSDA903 returns through the API: multipart upload, row-level rejection, idempotence, scope."""

from __future__ import annotations

import os

from tests.ssda903_builders import child, episode, files, return_2021

URL = "/api/v1/sufficiency/returns"


def upload(client, headers, la_code, files_, **form):
    parts = {name: (f"{name}.csv", raw, "text/csv") for name, raw in files_.items()}
    return client.post(URL, data={"la_code": la_code, **form}, files=parts, headers=headers)


def test_upload_list_get_and_resubmit(client, world):
    h = world.h("officer_a")
    r = upload(client, h, world.la_a, return_2021())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["outcome"] == "accepted" and body["collection_year_inferred"] is True
    ret = body["return"]
    assert (ret["la_code"], ret["collection_year"], ret["version"], ret["status"]) == (
        world.la_a,
        2021,
        1,
        "accepted",
    )
    assert ret["rows"] == {"header": 2, "episodes": 3, "uasc": 1}
    assert ret["changes"]["episodes"]["added"] == 3 and ret["file_names"]["episodes"] == "episodes.csv"
    again = upload(client, h, world.la_a, return_2021(), collection_year="2021")
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
    assert again.json()["return"]["id"] == ret["id"]
    listed = client.get(URL, params={"la": world.la_a, "collection_year": 2021}, headers=h).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == ret["id"]
    assert client.get(f"{URL}/{ret['id']}", headers=world.h("commissioner")).json()["version"] == 1
    assert client.get(URL, params={"collection_year": 2020}, headers=h).json()["total"] == 0


def test_rejected_upload_is_422_row_by_row_and_stores_nothing(client, world):
    bad = files([child("A")], [episode("A", "10/05/2021", "01/04/2021"), episode("A", "01/06/2021", LS="ZZ")])
    r = upload(client, world.h("officer_a"), world.la_a, bad, collection_year="2021")
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid" and "nothing was stored" in err["message"]
    details = {(d["field"], d["message"].split(":")[0]) for d in err["details"]}
    # spreadsheet rows: the column names are row 1, the first episode row 2
    assert {("episodes[row 2].DEC", "356"), ("episodes[row 3].LS", "144")} <= details
    assert client.get(URL, headers=world.h("admin")).json()["total"] == 0
    # the refusal is recorded: who, when, the files' hash and the errors, none of the rows
    rejected = client.get(f"{URL}/rejected", headers=world.h("officer_a")).json()
    assert rejected["total"] == 1
    rec = rejected["items"][0]
    assert (rec["la_code"], rec["collection_year"], rec["role"]) == (world.la_a, 2021, "la_officer")
    assert rec["error_count"] == len(err["details"])
    assert {e["field"] for e in rec["errors"]} == {d["field"] for d in err["details"]}
    assert set(rec) == {"id", "la_code", "collection_year", "submitted_at", "api_key_id", "role",
                        "content_sha256", "file_names", "error_count", "errors"}  # fmt: skip
    assert client.get(f"{URL}/rejected", headers=world.h("officer_b")).json()["total"] == 0
    assert client.get(f"{URL}/rejected", headers=world.h("provider_a")).status_code == 403


def test_non_csv_huge_or_incomplete_uploads_are_422_not_500(client, world, monkeypatch):
    from rcc.sufficiency import returns as svc

    h = world.h("admin")
    junk = {
        "header": os.urandom(4000) + b"\x81\x8d\x8f",
        "episodes": b"PK\x03\x04" + os.urandom(2000) + b"\x90",
    }
    r = upload(client, h, world.la_a, junk, collection_year="2021")
    assert r.status_code == 422 and {d["field"] for d in r.json()["error"]["details"]} == {
        "header",
        "episodes",
    }
    r = upload(client, h, world.la_a, junk)  # no year to go on
    assert r.status_code == 422
    r = upload(
        client, h, world.la_a, {"header": b"a,b\n1,2\n", "episodes": b"\x00\x00"}, collection_year="2021"
    )
    assert r.status_code == 422
    assert any(
        d["field"] == "header" and "column names" in d["message"] for d in r.json()["error"]["details"]
    )
    r = client.post(URL, data={"la_code": world.la_a}, files={"header": ("h.csv", b"x")}, headers=h)
    assert r.status_code == 422  # episodes missing
    monkeypatch.setattr(svc, "MAX_FILE_BYTES", 1000)
    big = return_2021()
    big["episodes"] += b"\n" * 2000
    r = upload(client, h, world.la_a, big, collection_year="2021")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "episodes"
    r = upload(client, h, world.la_a, return_2021(), collection_year="1066")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "collection_year"
    assert client.get(URL, headers=h).json()["total"] == 0


def test_returns_are_scoped_to_the_la_and_its_rcc(client, world):
    r = upload(client, world.h("officer_b"), world.la_a, return_2021())
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert upload(client, world.h("provider_a"), world.la_a, return_2021()).status_code == 403
    assert upload(client, world.h("commissioner"), world.la_out, return_2021()).status_code == 403
    rid = upload(client, world.h("officer_a"), world.la_a, return_2021()).json()["return"]["id"]
    assert client.get(f"{URL}/{rid}", headers=world.h("officer_b")).status_code == 404
    assert client.get(URL, headers=world.h("officer_out")).json()["total"] == 0
    assert client.get(URL, headers=world.h("provider_a")).status_code == 403
    assert client.get(URL, headers=world.h("commissioner")).json()["total"] == 1
    assert client.post(URL, data={"la_code": world.la_a}, files={}).status_code == 401


def test_file_problems_are_diagnosed_in_words_and_encodings_accepted(client, world):
    h = world.h("officer_a")
    good = return_2021()
    swapped = {**good, "header": good["episodes"], "episodes": good["header"]}
    r = upload(client, h, world.la_a, swapped)
    assert r.status_code == 422
    assert "swapped" in r.json()["error"]["message"]
    semicolons = {**good, "episodes": good["episodes"].replace(b",", b";")}
    r = upload(client, h, world.la_a, semicolons, collection_year="2021")
    assert r.status_code == 422
    assert "separated by semicolons" in r.json()["error"]["message"]
    assert r.json()["error"]["details"][0]["field"] == "episodes"
    # UTF-8 with a byte-order mark and Windows-1252 are both read
    bom = {
        **good,
        "header": b"\xef\xbb\xbf" + good["header"],
        "episodes": good["episodes"].decode().encode("cp1252"),
    }
    r = upload(client, h, world.la_a, bom, collection_year="2021")
    assert r.status_code == 201, r.text
    assert client.get(f"{URL}/rejected", headers=h).json()["total"] == 2


def test_quarantine_through_the_api(client, world):
    bad = files(
        [child("A"), child("B")], [episode("A", "10/05/2021", "01/04/2021"), episode("B", "01/06/2021")]
    )
    h = world.h("officer_a")
    assert upload(client, h, world.la_a, bad, collection_year="2021").status_code == 422
    r = upload(client, h, world.la_a, bad, collection_year="2021", quarantine="true")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["quarantined_count"] == len(body["quarantined"]) >= 1
    assert body["quarantined"][0]["field"].startswith("episodes[row 2]")
    assert body["return"]["rows"]["episodes"] == 1


def test_a_submission_is_checked_against_the_stored_previous_year(client, world):
    h = world.h("officer_a")
    first = upload(
        client, h, world.la_a, files([child("B")], [episode("B", "01/01/2021")]), collection_year="2020"
    )
    assert first.status_code == 201, first.text
    assert first.json()["previous_return_id"] is None
    assert first.json()["previous_year_rules"].startswith("skipped: no stored return for 2019-20")
    # 2021-22 says B's continuing episode was in a U3 placement; the stored 2020-21 return said U1
    moved = [episode("B", "01/01/2021", "01/06/2021", PLACE="U3", REC="E11")]
    r = upload(client, h, world.la_a, files([child("B")], moved), collection_year="2021")
    assert r.status_code == 422, r.text
    details = {(d["field"], d["message"].split(":")[0]) for d in r.json()["error"]["details"]}
    assert details == {("episodes[row 2].PLACE", "503D")}
    kept = [episode("B", "01/01/2021", "01/06/2021", REC="E11")]
    ok = upload(client, h, world.la_a, files([child("B")], kept), collection_year="2021")
    assert ok.status_code == 201, ok.text
    assert ok.json()["previous_return_id"] == first.json()["return"]["id"]
    assert ok.json()["previous_year_rules"].startswith("run against the stored 2020-21 return")
    check = client.get(f"{URL}/{ok.json()['return']['id']}", headers=h).json()["previous_year_check"]
    assert check["trigger"] == "submission" and check["previous_return_id"] == first.json()["return"]["id"]
    assert check["finding_count"] == 0 and check["findings"] == []


def test_a_year_uploaded_after_the_next_one_re_checks_it_and_says_so(client, world):
    h = world.h("officer_a")
    moved = [episode("B", "01/01/2021", "01/06/2021", PLACE="U3", REC="E11")]
    later = upload(client, h, world.la_a, files([child("B")], moved), collection_year="2021")
    assert later.status_code == 201, later.text
    later_id = later.json()["return"]["id"]
    assert later.json()["return"]["previous_year_check"]["previous_return_id"] is None  # skipped
    # the 2020-21 return arrives afterwards and says B's open episode was a U1 placement
    before = upload(
        client, h, world.la_a, files([child("B")], [episode("B", "01/01/2021")]), collection_year="2020"
    )
    assert before.status_code == 201, before.text
    recheck = before.json()["later_year_recheck"]
    assert (recheck["return_id"], recheck["collection_year"], recheck["finding_count"]) == (later_id, 2021, 1)
    assert recheck["note"].startswith("year 2021-22 re-checked: 1 finding ")
    got = client.get(f"{URL}/{later_id}", headers=h).json()
    assert got["status"] == "accepted"  # not rejected after the fact
    check = got["previous_year_check"]
    assert (check["trigger"], check["previous_return_id"], check["triggered_by_return_id"]) == (
        "recheck", before.json()["return"]["id"], before.json()["return"]["id"],
    )  # fmt: skip
    assert [(f["child"], f["decom"], f["field"], f["code"]) for f in check["findings"]] == [
        ("B", "2021-01-01", "PLACE", "503D")
    ]
