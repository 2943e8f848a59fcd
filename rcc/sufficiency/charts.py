"""PNG charts: the forecast fan chart and the gap chart (matplotlib, headless)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

import forecasting as fc
from rcc.auth import Principal
from rcc.errors import Conflict, Invalid
from rcc.sufficiency.coverage import covers_label
from rcc.sufficiency.forecasts import CATEGORIES, ForecastView, forecast_view
from rcc.sufficiency.gap import gap
from rcc.sufficiency.scope import COMMISSIONED, GapQuery, Scope, load_history, resolve_scope


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def fan_chart(
    session: Session,
    who: Principal,
    *,
    rcc_id: int | None = None,
    la_code: str | None = None,
    horizon: int = 12,
    placement: str = "all",
    job_id: str | None = None,
) -> bytes:
    """PNG: observed children in care for two years before the origin, then the forecast's mean
    with 80% and 95% bands, for the scope's total (or one placement category)."""
    if placement not in (*CATEGORIES, "all"):
        raise Invalid(f"placement must be one of {', '.join((*CATEGORIES, 'all'))}", "placement")
    scope = resolve_scope(session, who, rcc_id, la_code, "rcc", "la")
    view = forecast_view(session, who, scope, horizon, job_id)
    if view is None:
        raise Conflict("no SSDA903 returns are stored for these LAs; nothing to chart")
    return _fan_png(session, scope, view, placement)


def _fan_png(session: Session, scope: Scope, view: ForecastView, placement: str) -> bytes:
    plt = _plt()
    r = view.rows
    r = r[(r["la"] == scope.label) & (r["age_band"] == "all") & (r["placement"] == placement)]
    r = r.sort_values("period")
    history = load_history(session, scope)
    if view.coverage and not history.empty:  # observed like the forecast: the LAs it covers
        history = history[history["la"].astype(str).isin(view.covered_las)]
    origin = pd.Timestamp(view.source["origin"])
    past = pd.date_range(origin - pd.DateOffset(months=24), origin, freq="ME")
    obs = None
    if not history.empty:
        known = fc.as_of(history, origin)
        oc = fc.observed_counts(known, past, categories="coarse", region=None)
        if placement != "all":
            oc = oc[oc["placement"] == placement]
        obs = oc.groupby("period")["count"].sum()
    fig, ax = plt.subplots(figsize=(8, 4.2))
    x = list(r["period"])
    ax.fill_between(x, r["lo_95"], r["hi_95"], color="#9ecae1", alpha=0.5, label="95% interval")
    ax.fill_between(x, r["lo_80"], r["hi_80"], color="#4292c6", alpha=0.5, label="80% interval")
    ax.plot(x, r["mean"], color="#08306b", lw=2, label="forecast (mean)")
    if obs is not None and len(obs):
        ax.plot(obs.index, obs.values, color="black", lw=1.5, label="observed (returns)")
    ax.axvline(origin, color="grey", ls=":", lw=1)
    what = "all placements" if placement == "all" else placement
    name = covers_label(scope.name or scope.label, view.coverage)
    ax.set_title(f"Children looked after, {what}: {name}")
    ax.set_ylabel("children")
    ax.set_ylim(bottom=0)
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    return _png(fig)


def gap_chart(session: Session, who: Principal, q: GapQuery) -> bytes:
    return _gap_png(gap(session, who, q))


def _gap_png(result: dict[str, Any]) -> bytes:
    plt = _plt()
    totals = [t for t in result["totals"] if t["category"] in COMMISSIONED]
    cats = [t["category"] for t in totals]
    xs = np.arange(len(cats))
    w = 0.27
    fig, ax = plt.subplots(figsize=(8, 4.2))
    req = [t["required"] or 0 for t in totals]
    avail = [t["available"] for t in totals]
    gapv = [t["to_commission"] or 0 for t in totals]
    ax.bar(xs - w, req, w, label="required (80% upper)", color="#4292c6")
    ax.bar(xs, avail, w, label="registered places", color="#a1d99b")
    ax.bar(xs + w, gapv, w, label="to commission", color="#de2d26")
    for i, v in enumerate(gapv):
        ax.annotate(str(v), (xs[i] + w, v), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(xs, cats)
    ax.set_ylabel("places")
    period = result["forecast"].get("period") or "no forecast"
    name = covers_label(result["scope"]["name"], result.get("coverage") or [])
    ax.set_title(f"Places required vs registered at {period}: {name}", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)
