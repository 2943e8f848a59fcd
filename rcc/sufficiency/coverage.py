"""What a sufficiency figure is built on, said in its headline.

A gap computed from one LA's returns is not the RCC's gap, and a forecast whose returns end years
before today is not today's. :func:`coverage` states which of the scope's LAs have returns, which
are missing and the origin (31 March ending the latest collection year stored); :func:`headline`
puts the figure and those caveats in one sentence, so neither can be read without the other.
:func:`data_label` is the short form for chart titles. :func:`coverage_headline` and
:func:`covers_label` say the same of a forecast's per-LA coverage notes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

STALE_AFTER_DAYS = 18 * 31  # a 31 March origin is current until the next return is due (about 18 months)


def coverage(
    la_codes: Sequence[str],
    la_names: Mapping[str, str],
    covered: Sequence[str],
    origin: str | None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    today = today or dt.date.today()
    have = [la for la in la_codes if la in set(covered)]
    missing = [la for la in la_codes if la not in set(covered)]
    origin_date = dt.date.fromisoformat(origin) if origin else None
    age_days = (today - origin_date).days if origin_date else None
    return {
        "las_total": len(la_codes),
        "las_with_returns": [{"code": la, "name": la_names.get(la, la)} for la in have],
        "las_missing": [{"code": la, "name": la_names.get(la, la)} for la in missing],
        "origin": origin,
        "origin_age_days": age_days,
        "stale": bool(age_days is not None and age_days > STALE_AFTER_DAYS),
        "complete": not missing and not (age_days is not None and age_days > STALE_AFTER_DAYS),
    }


def _names(items: Sequence[Mapping[str, str]], limit: int = 4) -> str:
    names = [i["name"] for i in items]
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit} more"


def _age(days: int) -> str:
    years, months = divmod(round(days / 30.44), 12)
    parts = [f"{years} year{'s' * (years != 1)}"] if years else []
    if months or not parts:
        parts.append(f"{months} month{'s' * (months != 1)}")
    return " ".join(parts)


def caveat(cov: Mapping[str, Any]) -> str:
    """The coverage caveat alone ("" when the data is complete and current)."""
    parts = []
    if cov["las_missing"]:
        n_have, n = len(cov["las_with_returns"]), cov["las_total"]
        parts.append(f"built on {n_have} of {n} LAs' returns; no returns from {_names(cov['las_missing'])}")
    if cov["stale"]:
        parts.append(f"the returns end {cov['origin']}, {_age(cov['origin_age_days'])} ago")
    return "; ".join(parts)


def headline(figure: str, cov: Mapping[str, Any]) -> str:
    """``figure`` followed by what it is built on when that is incomplete or stale."""
    if not cov["las_with_returns"]:
        return f"No forecast: none of the {cov['las_total']} LAs has SSDA903 returns stored."
    note = caveat(cov)
    origin = f" (returns to {cov['origin']})" if cov.get("origin") else ""
    return f"{figure}{origin}" + (f" — {note}." if note else ".")


def data_label(cov: Mapping[str, Any], scope_name: str) -> str:
    """For chart titles: the scope when every LA is covered, else the LAs that are."""
    have = cov["las_with_returns"]
    if not cov["las_missing"]:
        who = scope_name
    elif len(have) == 1:
        who = f"{have[0]['name']} only (1 of {cov['las_total']} LAs)"
    else:
        who = f"{len(have)} of {cov['las_total']} LAs of {scope_name}"
    return f"{who}; returns to {cov['origin']}" if cov.get("origin") else who


def coverage_headline(coverage: list[dict[str, Any]], origin: str, total_label: str | None) -> str | None:
    """One plain sentence for a headline when the forecast does not cover every member LA (missing or
    stale returns); None when it does."""
    left_out = [c for c in coverage if not c["in_forecast"]]
    stale = [c for c in coverage if c["in_forecast"] and c["status"] not in ("covered", "unknown")]
    if not left_out and not stale:
        return None

    def name(c: dict[str, Any]) -> str:
        return f"{c['la_name']} ({c['la']})" if c.get("la_name") else str(c["la"])

    def why(c: dict[str, Any]) -> str:
        return "no return stored" if c["covered_to"] is None else f"latest return ends {c['covered_to']}"

    covered = [name(c) for c in coverage if c["in_forecast"]]
    parts = []
    if left_out:
        parts.append(
            "not in this forecast, no return covering the origin "
            f"{origin}: " + "; ".join(f"{name(c)}, {why(c)}" for c in left_out)
        )
    if stale:
        parts.append("returns behind the origin: " + "; ".join(f"{name(c)}, {why(c)}" for c in stale))
    text = "Incomplete data. " + ". ".join(p[0].upper() + p[1:] for p in parts) + "."
    if total_label and left_out:
        text += f" The {total_label} totals cover only {', '.join(covered) or 'no LA'}."
    return text


def covers_label(name: str, coverage: list[dict[str, Any]]) -> str:
    """What a total covers, for chart titles: ``name`` when every member LA is forecast, else the
    names of the LAs that are (e.g. "North East RCC: Newcastle upon Tyne only")."""
    if not coverage or all(c["in_forecast"] for c in coverage):
        return name
    inside = [c.get("la_name") or c["la"] for c in coverage if c["in_forecast"]]
    return f"{name}: {', '.join(inside) or 'no LA'} only"
