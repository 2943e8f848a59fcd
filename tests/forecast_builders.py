"""Synthetic multi-year SSDA903 returns for forecast tests (deterministic, valid, small).

Each child has one episode; a return for collection year Y (1 April Y - 31 March Y+1) lists
every episode open at some point in that year, with DEC/REC only if it ended within the year.
"""

from __future__ import annotations

import datetime as dt
import random

from tests.ssda903_builders import child, episode, files

PLACES = (("U1", "PR1", (5, 12)), ("U4", "PR1", (3, 12)), ("U5", "PR4", (6, 13)), ("K2", "PR4", (11, 14)))


def _d(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def synthetic_children(n: int = 40, seed: int = 1, prefix: str = "C") -> list[dict]:
    """Children entering care from April 2018 to March 2022, about half leaving within two years."""
    rng = random.Random(seed)
    start, span = dt.date(2018, 4, 1), (dt.date(2022, 3, 1) - dt.date(2018, 4, 1)).days
    out = []
    for i in range(n):
        place, provider, (amin, amax) = PLACES[i % len(PLACES)]
        decom = start + dt.timedelta(days=rng.randrange(span))
        age = rng.randint(amin, amax)
        dob = dt.date(decom.year - age, rng.randint(1, 12), rng.randint(1, 28))
        if dob >= decom:
            dob = decom - dt.timedelta(days=365 * age)
        dec = decom + dt.timedelta(days=rng.randint(60, 900)) if rng.random() < 0.5 else None
        out.append({"id": f"{prefix}{i:03d}", "dob": dob, "decom": decom, "dec": dec, "place": place,
                    "provider": provider})  # fmt: skip
    return out


def return_for(children: list[dict], year: int) -> dict[str, bytes] | None:
    y0, y1 = dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
    header, eps = [], []
    for c in children:
        if c["decom"] > y1 or (c["dec"] is not None and c["dec"] < y0):
            continue
        dec = c["dec"] if c["dec"] is not None and c["dec"] <= y1 else None
        header.append(child(c["id"], DOB=_d(c["dob"]), UPN=""))
        eps.append(
            episode(
                c["id"],
                _d(c["decom"]),
                _d(dec) if dec else None,
                PLACE=c["place"],
                PLACE_PROVIDER=c["provider"],
                URN="SC123456" if c["place"] == "K2" else "XXXXXXX",
                REC="E13" if dec else "",
            )  # fmt: skip
        )
    if not eps:
        return None
    return files(header, eps)


def returns_by_year(
    n: int = 40, seed: int = 1, years=(2019, 2020, 2021), prefix: str = "C"
) -> dict[int, dict]:
    kids = synthetic_children(n, seed, prefix)
    return {y: r for y in years if (r := return_for(kids, y)) is not None}
