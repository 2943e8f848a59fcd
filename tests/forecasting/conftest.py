"""Small synthetic SSDA903-shaped histories built in the tests (no files)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

PLACES = [("U1", "PR1"), ("U4", "PR1"), ("U5", "PR4"), ("K2", "PR4"), ("H5", "PR4"), ("P1", "PR0")]


def episode(child, dob, decom, dec=None, place="U4", provider="PR1", ls="C2", la="A", uasc=False, rec=None):
    return {
        "la": la,
        "CHILD": str(child),
        "DOB": pd.Timestamp(dob),
        "SEX": 1,
        "DECOM": pd.Timestamp(decom),
        "DEC": pd.Timestamp(dec) if dec is not None else pd.NaT,
        "LS": ls,
        "PLACE": place,
        "PLACE_PROVIDER": provider,
        "REC": rec if rec is not None else ("E11" if dec is not None else None),
        "REASON_PLACE_CHANGE": None,
        "RNE": "S",
        "UASC": uasc,
    }


def make_history(
    n_children: int = 150,
    la: str = "A",
    seed: int = 0,
    origin: str = "2020-12-31",
    start: str = "2018-01-01",
    places=PLACES,
    p_exit: float = 0.35,
) -> pd.DataFrame:
    """Children entering between ``start`` and ``origin``, moving between placements
    (mean stay 240 days) and leaving with probability ``p_exit`` after each placement."""
    rng = np.random.default_rng(seed)
    origin = pd.Timestamp(origin)
    t0 = pd.Timestamp(start)
    span = (origin - t0).days
    rows = []
    for i in range(n_children):
        entry = t0 + pd.Timedelta(days=int(rng.integers(0, span)))
        dob = entry - pd.Timedelta(days=int(rng.integers(365, 17 * 365)))
        uasc = bool(rng.random() < 0.1)
        d = entry
        while d <= origin:
            place, prov = places[int(rng.integers(len(places)))]
            stay = int(rng.exponential(240)) + 1
            end = d + pd.Timedelta(days=stay)
            leaving = rng.random() < p_exit
            if end > origin:
                rows.append(episode(f"{la}{i}", dob, d, None, place, prov, la=la, uasc=uasc))
                break
            rows.append(
                episode(
                    f"{la}{i}", dob, d, end, place, prov, la=la, uasc=uasc, rec="E11" if leaving else "X1"
                )
            )
            if leaving:
                break
            d = end
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def two_la_history() -> pd.DataFrame:
    return pd.concat([make_history(140, "A", seed=1), make_history(90, "B", seed=2)], ignore_index=True)
