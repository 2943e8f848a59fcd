"""2024-25 and 2025-26 placement code changes, end to end: a small return goes through the returns
validator and store (rcc.sufficiency.returns.submit_return), then the stored episodes through the
forecaster, and the category counts are checked (issue 12, item 1).

Each return has, open at the year end: two children fostered (U1), one in a children's home (K2)
and three children with the code under test. The forecaster is fitted at the year end and run one
month under a frozen scenario (no entries, exits or moves), so its counts are its reading of the
children at the origin, category by category.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

import forecasting as fc
from rcc.auth import SYSTEM
from rcc.db import transaction
from rcc.db.models import LocalAuthority
from rcc.sufficiency import returns as returns_svc
from rcc.sufficiency.episodes import current_episodes
from rcc.sufficiency.validation import validate_return
from tests.ssda903_builders import child, episode, files

FROZEN = fc.Scenario(
    name="frozen", entry_multiplier=0.0, exit_multiplier=0.0, transition_multipliers={("*", "*"): 0.0}
)


def _return(year: int, code: str, decom: str | None = None) -> dict[str, bytes]:
    """Six children aged 16 at the year end (31 March ``year`` + 1), all in care at it."""
    dob = f"15/09/{year - 16}"
    start = decom or f"01/06/{year}"
    rows = [("F1", "U1", "PR1", "1234567"), ("F2", "U1", "PR1", "1234567"), ("R1", "K2", "PR4", "SC123456")]
    provider = "" if code.startswith("Z1") else "PR4"
    rows += [(f"N{i}", code, provider, "XXXXXXX") for i in range(3)]
    sex = "M" if year >= 2024 else "1"  # 2024-25 on: M, F, U
    kids = [child(cid, SEX=sex, DOB=dob, UPN="") for cid, *_ in rows]
    eps = [episode(cid, start, None, PLACE=p, PLACE_PROVIDER=pp, URN=urn) for cid, p, pp, urn in rows]
    return files(kids, eps)


def _counts(factory, la_code: str, year: int) -> dict[str, float]:
    with factory() as s:
        la_id = s.scalar(select(LocalAuthority.id).where(LocalAuthority.gss_code == la_code))
        history = current_episodes(s, [la_id])
    origin = pd.Timestamp(year + 1, 3, 31)
    observed = fc.observed_counts(fc.as_of(history, origin), [origin], categories="coarse", region=None)
    seen = observed.groupby("placement")["count"].sum().to_dict()
    model = fc.MultiStateForecaster(n_sims=20, seed=0, lookback_days=365).fit(history, origin=origin)
    draws, labels, cats = model.draws(1, FROZEN, categories="coarse")
    forecast = draws[:, labels.index(la_code)].sum(axis=1).mean(axis=0)[:, 0]  # (C,) mean over draws
    got = {c: float(forecast[i]) for i, c in enumerate(cats)}
    assert got == pytest.approx({c: float(seen.get(c, 0)) for c in cats})  # forecaster agrees with returns
    return got


def _submit(factory, la_code: str, year: int, data: dict[str, bytes]) -> None:
    with transaction(factory) as s:
        returns_svc.submit_return(s, SYSTEM, la_code, year, data)


@pytest.mark.parametrize(
    ("year", "code", "category"),
    [
        (2024, "K3", "supported"),  # supported accommodation, 2024-25 on
        (2025, "K3", "supported"),
        (2025, "Z11", "other"),  # 2025-26 split of Z1 "other placements"
        (2025, "Z12", "other"),
        (2025, "Z13", "other"),
        (2025, "Z14", "other"),
        (2024, "S1", "other"),  # residential school: DfE's "other placements", not a children's home
        (2025, "S1", "other"),
    ],
)
def test_new_and_changed_codes_are_accepted_and_counted(factory, world, year, code, category):
    data = _return(year, code)
    assert validate_return(data, year).ok
    _submit(factory, world.la_a, year, data)
    got = _counts(factory, world.la_a, year)
    want = {"fostering": 2.0, "residential": 1.0, "supported": 0.0, "other": 0.0}
    want[category] += 3.0
    assert got == pytest.approx(want)


@pytest.mark.parametrize("code", ["Z11", "K3"])
def test_codes_before_their_year_are_refused(factory, world, code):
    year = 2024 if code == "Z11" else 2023
    with transaction(factory) as s:
        with pytest.raises(returns_svc.ReturnRejected) as exc:
            returns_svc.submit_return(s, SYSTEM, world.la_a, year, _return(year, code))
    assert {d.field for d in exc.value.details} >= {
        f"episodes[row {i}].PLACE" for i in (5, 6, 7)
    }  # spreadsheet rows: the header is row 1
    assert all(d.message.startswith("146") for d in exc.value.details if d.field.endswith(".PLACE"))


def test_p2_is_supported_before_the_change_and_refused_once_open_after_28_october_2023(factory, world):
    data = _return(2022, "P2", decom="01/06/2022")  # independent living, in a 2022-23 return
    assert validate_return(data, 2022).ok
    _submit(factory, world.la_a, 2022, data)
    assert _counts(factory, world.la_a, 2022) == pytest.approx(
        {"fostering": 2.0, "residential": 1.0, "supported": 3.0, "other": 0.0}
    )
    # DfE 217t: P2 is not valid for an episode still open on 28 October 2023, wherever it began
    for decom in ("01/06/2023", "01/11/2023"):
        report = validate_return(_return(2023, "P2", decom=decom), 2023)
        assert {(e.code, e.field) for e in report.errors} == {("217t", "PLACE")}
        assert len({e.row for e in report.errors}) == 3
    report = validate_return(_return(2025, "P2"), 2025)  # withdrawn from 2025-26
    assert {(e.code, e.field) for e in report.errors} == {("146", "PLACE")} and len(report.errors) == 3
