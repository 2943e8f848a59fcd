"""Deterministic SSDA903 returns for the differential benchmark, and one fault per rule.

* :func:`region_histories` builds each child's whole care history (periods of care made of
  episodes) for a few LAs; sizes are each LA's "looked after on 31 March" count from
  ``dfe_children_looked_after_by_la_2021_2025.csv`` scaled down, and the codes (LS, CIN,
  PLACE, REC, ethnicity) are drawn with the frequencies of the public SSDA903 sample. Nothing
  is hand-typed but the structure of a valid history.
* :func:`return_for` cuts a collection year's return out of the histories the way a case
  system does: the episodes open at some point in the year, an episode still open on 31 March
  returned open. Consecutive years are therefore consistent (502, 503*, 562, NoE pass).
* :data:`FAULTS` injects one fault for a rule into a valid return: each function edits one
  row (or adds one) and says which (table, row) the rule should flag.

A return here is ``{"header": [row, ...], "episodes": [...], "uasc": [...]}`` with every cell a
string (blank = ""); :func:`to_files` writes the CSV bytes both validators read.
"""

from __future__ import annotations

import copy
import csv
import io
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from rcc.sufficiency.validation import REQUIRED_COLUMNS

Rows = list[dict[str, str]]
Return = dict[str, Rows]

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# Placement types valid in every year 2022-23 .. 2025-26 (no H5/P2/Z1/K3, no A3/A5 whose RNE is
# constrained by rule 217, no T* whose provider must be blank).
STABLE_PLACES = ("U1", "U2", "U3", "U4", "U5", "U6", "K2", "R1", "R2", "R3", "R5", "S1")
LEAVE_REC = ("E11", "E12", "E13", "E14", "E3", "E41", "E45", "E46", "E47", "E48", "E4A", "E4B", "E5", "E6")


def _fmt(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def _parse(s: str) -> date:
    day, month, year = (int(x) for x in s.split("/"))
    return date(year, month, day)


@dataclass(frozen=True)
class Mix:
    """Code frequencies of the public sample (all five years' episodes and headers)."""

    ls: tuple[list[str], list[int]]
    cin: tuple[list[str], list[int]]
    place: tuple[list[str], list[int]]
    ethnic: tuple[list[str], list[int]]

    @staticmethod
    def from_sample(root: Path = DATA / "ssda903-sample") -> Mix:
        counts: dict[str, Counter[str]] = {k: Counter() for k in ("LS", "CIN", "PLACE", "ETHNIC")}
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            for row in csv.DictReader(io.StringIO((folder / "episodes.csv").read_text())):
                counts["LS"][row["LS"]] += 1
                counts["CIN"][row["CIN"]] += 1
                if row["PLACE"] in STABLE_PLACES:
                    counts["PLACE"][row["PLACE"]] += 1
            for row in csv.DictReader(io.StringIO((folder / "header.csv").read_text())):
                counts["ETHNIC"][row["ETHNIC"]] += 1
        counts["LS"] = Counter({k: v for k, v in counts["LS"].items() if k not in ("V3", "V4")})

        def pair(c: Counter[str]) -> tuple[list[str], list[int]]:
            items = sorted(c.items())
            return [k for k, _ in items], [v for _, v in items]

        return Mix(pair(counts["LS"]), pair(counts["CIN"]), pair(counts["PLACE"]), pair(counts["ETHNIC"]))


@dataclass
class Child:
    child: str
    sex: int  # 1 or 2; written M/F from 2024-25
    dob: date
    ethnic: str
    upn: str
    uasc_duc: date | None
    episodes: list[dict[str, str]] = field(default_factory=list)  # DEC "" = still open


def _history(rng: random.Random, mix: Mix, child_id: str, first: date, last: date) -> Child:
    def pick(p: tuple[list[str], list[int]]) -> str:
        return rng.choices(p[0], weights=p[1])[0]

    age_days = rng.randint(30, 13 * 365)
    start = first + timedelta(days=rng.randint(0, (last - first).days - 1))
    dob = start - timedelta(days=age_days)
    kid = Child(child_id, rng.choice((1, 2)), dob, pick(mix.ethnic), f"A{rng.randint(10**11, 10**12 - 1)}",
                dob + timedelta(days=18 * 365) if rng.random() < 0.06 else None)  # fmt: skip
    day, periods = start, rng.choice((1, 1, 1, 2))
    for period in range(periods):
        cin, ls = pick(mix.cin), pick(mix.ls)
        rne = "S"
        k = rng.randint(1, 4)
        for n in range(k):
            place = pick(mix.place)
            end = day + timedelta(days=rng.randint(20, 500))
            ep = {
                "CHILD": child_id, "DECOM": _fmt(day), "RNE": rne, "LS": ls, "CIN": cin, "PLACE": place,
                "PLACE_PROVIDER": f"PR{rng.randint(0, 5)}", "DEC": "", "REC": "",
                "REASON_PLACE_CHANGE": "CARPL" if rne == "P" else "",
                "HOME_POST": "NE1 4ST", "PL_POST": f"NE{rng.randint(1, 9)} {rng.randint(1, 9)}AA",
                "URN": f"SC{rng.randint(100000, 999999)}",
            }  # fmt: skip
            kid.episodes.append(ep)
            if end > last:
                return kid
            ep["DEC"] = _fmt(end)
            if n < k - 1:
                ep["REC"] = "X1"
                rne = rng.choice("PPPL")
                if rne == "L":
                    ls = pick(mix.ls)
                day = end
                continue
            ep["REC"] = rng.choice(LEAVE_REC)
            break
        if period == periods - 1:
            break
        day = _parse(kid.episodes[-1]["DEC"]) + timedelta(days=rng.randint(30, 300))
        if day > last:
            break
    return kid


def _la_sizes(n_las: int, scale: int) -> list[tuple[str, int]]:
    rows = csv.DictReader((DATA / "dfe_children_looked_after_by_la_2021_2025.csv").open())
    cla = [
        (r["la_gss_code"], int(r["children"]))
        for r in rows
        if r["year"] == "2025" and r["measure"] == "Children looked after on 31 March each year"
        and r["la_gss_code"].startswith("E06")
        and r["children"].isdigit()
    ]  # fmt: skip
    return [(gss, max(8, n // scale)) for gss, n in sorted(cla)[:n_las]]


def region_histories(
    n_las: int = 3, first_year: int = 2021, last_year: int = 2024, scale: int = 25, seed: int = 903
) -> dict[str, list[Child]]:
    """Care histories per LA (GSS code) over the collection years ``first_year``..``last_year``."""
    mix = Mix.from_sample()
    out: dict[str, list[Child]] = {}
    for la, size in _la_sizes(n_las, scale):
        rng = random.Random(f"{seed}-{la}")
        first, last = date(first_year - 2, 4, 1), date(last_year + 1, 3, 31)
        kids = [_history(rng, mix, f"{la[-3:]}{i:04d}", first, last) for i in range(size * 3)]
        out[la] = kids
    return out


def return_for(children: list[Child], year: int) -> Return:
    """The collection-year (start year) return the histories imply."""
    start, end = date(year, 4, 1), date(year + 1, 3, 31)
    ret: Return = {"header": [], "episodes": [], "uasc": []}
    for kid in children:
        eps = []
        for ep in kid.episodes:
            decom = _parse(ep["DECOM"])
            dec = _parse(ep["DEC"]) if ep["DEC"] else None
            if decom > end or (dec is not None and dec < start):
                continue
            row = dict(ep)
            if dec is not None and dec > end:
                row["DEC"], row["REC"] = "", ""
            eps.append(row)
        if not eps:
            continue
        sex = str(kid.sex) if year < 2024 else "MF"[kid.sex - 1]
        ret["header"].append({"CHILD": kid.child, "SEX": sex, "DOB": _fmt(kid.dob), "ETHNIC": kid.ethnic,
                              "UPN": kid.upn, "MOTHER": "", "MC_DOB": ""})  # fmt: skip
        ret["episodes"] += eps
        if kid.uasc_duc is not None:
            ret["uasc"].append(
                {"CHILD": kid.child, "SEX": sex, "DOB": _fmt(kid.dob), "DUC": _fmt(kid.uasc_duc)}
            )
    return ret


def to_files(ret: Return) -> dict[str, bytes]:
    out = {}
    for table, rows in ret.items():
        buf = io.StringIO()
        writer = csv.DictWriter(
            buf, fieldnames=REQUIRED_COLUMNS[table], lineterminator="\r\n"
        )  # CRLF: a value holding CR or LF is quoted
        writer.writeheader()
        writer.writerows(rows)
        out[table] = buf.getvalue().encode()
    return out


# --------------------------------------------------------------------------------------------
# Faults: fn(current, previous, year, rng) edits the return(s) in place and returns the
# (table, 1-based row) the rule should flag, or None when the return has no row to break.
# --------------------------------------------------------------------------------------------

Fault = Callable[[Return, Return | None, int, random.Random], tuple[str, int] | None]


def _episodes_by_child(ret: Return) -> dict[str, list[int]]:
    """Episode row indexes (0-based) per child in date order."""
    out: dict[str, list[int]] = {}
    for i, ep in enumerate(ret["episodes"]):
        out.setdefault(ep["CHILD"], []).append(i)
    for rows in out.values():
        rows.sort(key=lambda i: _parse(ret["episodes"][i]["DECOM"]))
    return out


def _pick(rng: random.Random, items: list) -> object | None:
    return rng.choice(items) if items else None


def _set(
    table: str, column: str, value: str, where: Callable[[Return, int, dict[str, str]], bool] | None = None
) -> Fault:
    def fault(ret: Return, prev: Return | None, year: int, rng: random.Random) -> tuple[str, int] | None:
        rows = [i for i, r in enumerate(ret[table]) if where is None or where(ret, i, r)]
        i = _pick(rng, rows)
        if i is None:
            return None
        ret[table][i][column] = value
        return table, i + 1

    return fault


def _is_last(ret: Return, i: int) -> bool:
    return _episodes_by_child(ret)[ret["episodes"][i]["CHILD"]][-1] == i


def _position(ret: Return, i: int) -> int:
    return _episodes_by_child(ret)[ret["episodes"][i]["CHILD"]].index(i)


def _prev_row(ret: Return, i: int) -> dict[str, str] | None:
    rows = _episodes_by_child(ret)[ret["episodes"][i]["CHILD"]]
    k = rows.index(i)
    return ret["episodes"][rows[k - 1]] if k else None


def _fault_dup(table: str, copy_of: Callable[[Return, int, dict[str, str]], bool] | None = None) -> Fault:
    def fault(ret: Return, prev: Return | None, year: int, rng: random.Random) -> tuple[str, int] | None:
        rows = [i for i, r in enumerate(ret[table]) if copy_of is None or copy_of(ret, i, r)]
        i = _pick(rng, rows)
        if i is None:
            return None
        ret[table].append(dict(ret[table][i]))
        return table, len(ret[table])

    return fault


def _shift_dob(years: int, days: int = 0) -> Fault:
    """Move a child's DOB so that it lies ``years`` years (+days) before their first episode."""

    def fault(ret: Return, prev: Return | None, year: int, rng: random.Random) -> tuple[str, int] | None:
        by_child = _episodes_by_child(ret)
        rows = [
            i
            for i, h in enumerate(ret["header"])
            if h["CHILD"] in by_child and ret["episodes"][by_child[h["CHILD"]][0]]["RNE"] == "S"
        ]
        i = _pick(rng, rows)
        if i is None:
            return None
        child = ret["header"][i]["CHILD"]
        first = ret["episodes"][by_child[child][0]]
        d = _parse(first["DECOM"])
        dob = date(d.year - years, d.month, min(d.day, 28)) + timedelta(days=days)
        ret["header"][i]["DOB"] = _fmt(dob)
        for u in ret["uasc"]:
            if u["CHILD"] == child:
                u["DOB"] = _fmt(dob)
        return "episodes", by_child[child][0] + 1  # 302 / 352 are flagged on the first episode

    return fault


def _episode_fault(
    select: Callable[[Return, int, dict[str, str], int], bool], edit: Callable[[Return, int, int], None]
) -> Fault:
    def fault(ret: Return, prev: Return | None, year: int, rng: random.Random) -> tuple[str, int] | None:
        rows = [i for i, r in enumerate(ret["episodes"]) if select(ret, i, r, year)]
        i = _pick(rng, rows)
        if i is None:
            return None
        edit(ret, i, year)
        return "episodes", i + 1

    return fault


def _closed_final(ret: Return, i: int, r: dict[str, str], year: int) -> bool:
    return bool(r["DEC"]) and r["REC"] != "X1" and _is_last(ret, i)


def _continuation(ret: Return, i: int, r: dict[str, str], year: int) -> bool:
    return r["RNE"] in ("P", "L") and _position(ret, i) > 0


def _first_in_year(ret: Return, i: int, r: dict[str, str], year: int) -> bool:
    return _position(ret, i) == 0 and _parse(r["DECOM"]) >= date(year, 4, 1)


def _ended_x1(ret: Return, i: int, r: dict[str, str], year: int) -> bool:
    return r["REC"] == "X1" and not _is_last(ret, i)


def _after_leaving(ret: Return, i: int, r: dict[str, str], year: int) -> bool:
    p = _prev_row(ret, i)
    return p is not None and p["REC"] not in ("", "X1")


def _edit(**values: str) -> Callable[[Return, int, int], None]:
    def edit(ret: Return, i: int, year: int) -> None:
        ret["episodes"][i].update(values)

    return edit


def _dec_plus(days: int, rec: str | None = None) -> Callable[[Return, int, int], None]:
    def edit(ret: Return, i: int, year: int) -> None:
        ep = ret["episodes"][i]
        ep["DEC"] = _fmt(_parse(ep["DECOM"]) + timedelta(days=days))
        if rec is not None:
            ep["REC"] = rec

    return edit


def _decom_shift(days: int) -> Callable[[Return, int, int], None]:
    def edit(ret: Return, i: int, year: int) -> None:
        ep = ret["episodes"][i]
        ep["DECOM"] = _fmt(_parse(ep["DECOM"]) + timedelta(days=days))

    return edit


def _year_end(days: int, col: str) -> Callable[[Return, int, int], None]:
    def edit(ret: Return, i: int, year: int) -> None:
        ret["episodes"][i][col] = _fmt(date(year + 1, 3, 31) + timedelta(days=days))

    return edit


def _open_last(ret: Return, i: int, r: dict[str, str], year: int) -> bool:
    return not r["DEC"] and _is_last(ret, i)


def _carried_over(prev: Return | None, ret: Return, year: int) -> list[int]:
    """This year's first episodes that continue last year's open last episode."""
    if prev is None:
        return []
    open_last = {}
    for child, rows in _episodes_by_child(prev).items():
        ep = prev["episodes"][rows[-1]]
        if not ep["DEC"]:
            open_last[child] = ep
    return [rows[0] for child, rows in _episodes_by_child(ret).items() if child in open_last]


def _prev_fault(column: str, value: Callable[[str], str]) -> Fault:
    def fault(ret: Return, prev: Return | None, year: int, rng: random.Random) -> tuple[str, int] | None:
        i = _pick(rng, _carried_over(prev, ret, year))
        if i is None:
            return None
        ep = ret["episodes"][i]
        ep[column] = value(ep[column])
        return "episodes", i + 1

    return fault


def _noe(ret: Return, prev: Return | None, year: int, rng: random.Random) -> tuple[str, int] | None:
    rows = _carried_over(prev, ret, year)
    i = _pick(rng, rows)
    if i is None or prev is None:
        return None
    child = ret["episodes"][i]["CHILD"]
    prev["episodes"][:] = [e for e in prev["episodes"] if e["CHILD"] != child]
    return "episodes", i + 1


def _header_change(column: str, value: Callable[[str], str]) -> Fault:
    def fault(ret: Return, prev: Return | None, year: int, rng: random.Random) -> tuple[str, int] | None:
        if prev is None:
            return None
        before = {h["CHILD"] for h in prev["header"]}
        rows = [i for i, h in enumerate(ret["header"]) if h["CHILD"] in before]
        i = _pick(rng, rows)
        if i is None:
            return None
        ret["header"][i][column] = value(ret["header"][i][column])
        child = ret["header"][i]["CHILD"]
        for u in ret["uasc"]:  # keep UASC consistent with the header: one fault only
            if u["CHILD"] == child and column in u:
                u[column] = ret["header"][i][column]
        return "header", i + 1

    return fault


def _other_sex(s: str) -> str:
    return {"1": "2", "2": "1", "M": "F", "F": "M"}.get(s, "1")


def _p2(ret: Return, prev: Return | None, year: int, rng: random.Random) -> tuple[str, int] | None:
    if year not in (2023, 2024):
        return None
    rows = [i for i, r in enumerate(ret["episodes"]) if not r["DEC"]]
    i = _pick(rng, rows)
    if i is None:
        return None
    ret["episodes"][i]["PLACE"] = "P2"
    return "episodes", i + 1


def _uasc_sex(ret: Return, prev: Return | None, year: int, rng: random.Random) -> tuple[str, int] | None:
    i = _pick(rng, list(range(len(ret["uasc"]))))
    if i is None:
        return None
    ret["uasc"][i]["SEX"] = _other_sex(ret["uasc"][i]["SEX"])
    return "uasc", i + 1


def _uasc_unknown(ret: Return, prev: Return | None, year: int, rng: random.Random) -> tuple[str, int] | None:
    ret["uasc"].append(
        {"CHILD": "ZZ999", "SEX": "1" if year < 2024 else "M", "DOB": "01/01/2010", "DUC": "01/01/2028"}
    )
    return "uasc", len(ret["uasc"])


def _episode_unknown(
    ret: Return, prev: Return | None, year: int, rng: random.Random
) -> tuple[str, int] | None:
    i = _pick(rng, list(range(len(ret["episodes"]))))
    if i is None:
        return None
    ep = dict(ret["episodes"][i])
    ep.update(CHILD="ZZ998", RNE="S", DEC="", REC="")
    ret["episodes"].append(ep)
    return "episodes", len(ret["episodes"])


FAULTS: dict[str, Fault] = {
    "101": _set("header", "SEX", "3"),
    "102": _set("header", "DOB", "31/02/2010"),
    "103": _set("header", "ETHNIC", "XXXX"),
    "104": _set("uasc", "DUC", "32/01/2026"),
    "141": _set("episodes", "DECOM", "99/99/2021"),
    "142": _episode_fault(_ended_x1, _edit(DEC="", REC="")),
    "143": _set("episodes", "RNE", "Q"),
    "144": _set("episodes", "LS", "C9"),
    "145": _set("episodes", "CIN", "N9"),
    "146": _set("episodes", "PLACE", "Q1"),
    "147": _episode_fault(_closed_final, _edit(DEC="31/12/9999")),
    "148": _episode_fault(_open_last, _edit(REC="E11")),
    "149": _episode_fault(_closed_final, _edit(REC="E99")),
    "165": _set("header", "MOTHER", "2"),
    "178": _set("episodes", "PLACE_PROVIDER", "PR9"),
    "217t": _p2,
    "302": _shift_dob(0, 40),
    "352": _shift_dob(19),
    "354": _episode_fault(_open_last, _year_end(10, "DECOM")),
    "355": _episode_fault(_closed_final, _dec_plus(0)),
    "356": _episode_fault(_closed_final, _dec_plus(-3)),
    "357": _episode_fault(_first_in_year, _edit(RNE="P")),
    "385": _episode_fault(_closed_final, _year_end(5, "DEC")),
    "388": _episode_fault(_closed_final, _edit(REC="X1")),
    "431": _episode_fault(_continuation, _edit(RNE="S")),
    "432": _episode_fault(_after_leaving, _edit(RNE="P")),
    "433": _episode_fault(_continuation, _decom_shift(3)),
    "437": _episode_fault(_ended_x1, _edit(REC="E15")),
    "501": _fault_dup("episodes", lambda ret, i, r: bool(r["DEC"])),
    "1009": _set("episodes", "REASON_PLACE_CHANGE", "WHIM"),
    "INT03": _episode_unknown,
    "INT09": _uasc_unknown,
    "INT18": _set("uasc", "DOB", "01/01/2001"),
    "INT21": _uasc_sex,
    "INT32": _fault_dup("header"),
    "INT36": _fault_dup("uasc"),
    "502": _prev_fault("DECOM", lambda v: _fmt(_parse(v) - timedelta(days=7))),
    "503A": _prev_fault("RNE", lambda v: "L" if v != "L" else "P"),
    "503B": _prev_fault("LS", lambda v: "C1" if v != "C1" else "C2"),
    "503C": _prev_fault("CIN", lambda v: "N2" if v != "N2" else "N3"),
    "503D": _prev_fault("PLACE", lambda v: "U1" if v != "U1" else "U2"),
    "503E": _prev_fault("PLACE_PROVIDER", lambda v: "PR1" if v != "PR1" else "PR2"),
    "503F": _prev_fault("URN", lambda v: "SC000001"),
    "562": _prev_fault("DECOM", lambda v: _fmt(_parse(v) + timedelta(days=3))),
    "NoE": _noe,
    "202": _header_change("SEX", _other_sex),
    "203": _header_change("DOB", lambda v: _fmt(_parse(v) + timedelta(days=1))),
    "204": _header_change("ETHNIC", lambda v: "WIRI" if v != "WIRI" else "WBRI"),
}
PREVIOUS_YEAR_CODES = frozenset(
    {"502", "503A", "503B", "503C", "503D", "503E", "503F", "562", "NoE", "202", "203", "204"}
)


def inject(
    code: str, ret: Return, prev: Return | None, year: int, seed: int
) -> tuple[Return, Return | None, tuple[str, int]] | None:
    """A copy of ``ret`` (and ``prev``) with one fault for ``code``; None when nothing fits."""
    ret2, prev2 = copy.deepcopy(ret), copy.deepcopy(prev)
    where = FAULTS[code](ret2, prev2, year, random.Random(f"{code}-{seed}"))
    return None if where is None else (ret2, prev2, where)
