"""Arrivals of unaccompanied asylum-seeking children (UASC): a regime model per LA.

UASC arrive in regimes that start and stop (a port of entry, a hotel, the national transfer
scheme (NTS) sending children, the scheme's rota moving on), not on a smooth trend. For each LA
the monthly count of new UASC entrants over the last ``window_months`` is modelled as Poisson
with a rate that is constant within a regime, and the latest regime is found by Bayesian
change-point analysis:

- up to two change points in the window (a regime that started and stopped), each month a
  change with prior probability ``hazard``; the latest regime is what matters for the next
  year, so the posterior is kept over where the latest one starts;
- each segment's rate has a Gamma(a0, b0) prior centred on the region's mean rate per LA, so a
  small LA's few arrivals are pooled with the region's; the marginal likelihood of the counts
  (gamma-Poisson) gives the posterior of each split;
- the current rate is drawn from the posterior mixture over splits (the latest segment's gamma
  posterior under each split); so a surge under way is carried on at its current rate, and
  months without arrivals after a surge bring the rate down as soon as the data support it;
- the future: each month the regime may end (probability ``hazard``) and the rate then reverts
  to the LA's long-run rate (gamma posterior over the whole window).

Scenario inputs (see :class:`forecasting.scenario.Scenario`): ``uasc_monthly_arrivals`` replaces
an LA's fitted rate with a fixed one (e.g. the NTS transfers the LA has agreed to take), and
``uasc_quota`` caps the UASC children in care in an LA (the NTS threshold, 0.1% of the child
population): arrivals stop while the LA is at its quota.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_lgamma = np.vectorize(math.lgamma, otypes=[float])


@dataclass(frozen=True)
class UASCArrivals:
    """Fitted arrival model, per LA (arrays of length L) and per candidate split (L, M).

    ``seg_weight[l, m]``: posterior probability that the latest regime is segment m (m = 0:
    no change point, the whole window); ``seg_shape`` / ``seg_rate``: that segment's gamma
    posterior of the monthly rate; ``long_shape`` / ``long_rate``: the whole window's.
    ``last_change_month[l]``: months before the origin of the most probable change (0 = none).
    """

    seg_weight: np.ndarray
    seg_shape: np.ndarray
    seg_rate: np.ndarray
    long_shape: np.ndarray
    long_rate: np.ndarray
    hazard: float
    counts: np.ndarray
    last_change_month: np.ndarray

    @property
    def current_rate(self) -> np.ndarray:
        """Posterior mean of each LA's current monthly rate."""
        return np.asarray((self.seg_weight * self.seg_shape / self.seg_rate).sum(axis=1))

    @property
    def long_run_rate(self) -> np.ndarray:
        return np.asarray(self.long_shape / self.long_rate)

    def expected(self, horizon: int) -> np.ndarray:
        """Expected arrivals per LA and month ahead, shape (L, horizon)."""
        j = np.arange(1, horizon + 1)
        stay = (1 - self.hazard) ** j
        return np.asarray(
            self.current_rate[:, None] * stay[None] + self.long_run_rate[:, None] * (1 - stay[None])
        )

    def draw_rates(self, rng: np.random.Generator, n: int, horizon: int) -> np.ndarray:
        """Monthly rates per draw, LA and month ahead, shape (n, L, horizon): the current regime's
        rate (split drawn from its posterior, rate from the gamma) until the regime ends, then a
        long-run rate."""
        L, M = self.seg_weight.shape
        cum = np.cumsum(self.seg_weight, axis=1)
        u = rng.random((n, L))
        seg = np.minimum((u[:, :, None] > cum[None]).sum(axis=2), M - 1)  # (n, L)
        shape = np.take_along_axis(np.broadcast_to(self.seg_shape, (n, L, M)), seg[..., None], 2)[..., 0]
        rate = np.take_along_axis(np.broadcast_to(self.seg_rate, (n, L, M)), seg[..., None], 2)[..., 0]
        now = rng.gamma(np.maximum(shape, 1e-9)) / rate
        later = rng.gamma(np.maximum(self.long_shape, 1e-9), size=(n, L)) / self.long_rate
        ends = rng.geometric(max(self.hazard, 1e-9), size=(n, L))  # first month of the next regime
        months = np.arange(1, horizon + 1)
        return np.where(months[None, None, :] < ends[..., None], now[..., None], later[..., None])


def fit_uasc_arrivals(counts: np.ndarray, hazard: float = 1 / 24, min_segment: int = 2) -> UASCArrivals:
    """Fit the regime model to monthly UASC arrivals ``counts`` (L, n months, oldest first)."""
    counts = np.asarray(counts, dtype=float)
    L, n = counts.shape
    region_rate = counts.sum() / max(n * L, 1)
    a0 = 1.0
    b0 = a0 / max(region_rate, 0.02)
    if n == 0:
        z = np.zeros((L, 1))
        return UASCArrivals(
            np.ones((L, 1)), z + a0, z + b0, np.full(L, a0), np.full(L, b0), hazard, counts, np.zeros(L, int)
        )

    def seg_loglik(y_sum: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.asarray(
            _lgamma(a0 + y_sum) - math.lgamma(a0) + a0 * math.log(b0) - (a0 + y_sum) * np.log(b0 + t)
        )

    splits = [s for s in range(1, n) if n - s >= min_segment]  # latest segment = months s..n-1
    cs = np.concatenate([np.zeros((L, 1)), np.cumsum(counts, axis=1)], axis=1)
    total = cs[:, n]
    lh, l1h = math.log(hazard), math.log(1 - hazard)

    # Segment log marginal likelihoods for every (i, j): months i..j-1, table (n+1, n+1, L).
    ii, jj = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    ysum = cs[:, jj] - cs[:, ii]  # (L, n+1, n+1)
    tlen = np.maximum(jj - ii, 0).astype(float)
    table = seg_loglik(np.maximum(ysum, 0.0), np.broadcast_to(tlen, ysum.shape))

    def seg(i: int, j: int) -> np.ndarray:
        return np.asarray(table[:, i, j])

    def prefix(s: int) -> np.ndarray:
        """Log marginal likelihood of months 0..s-1 with at most one change point in them."""
        r = np.arange(1, s)
        terms = np.concatenate(
            [
                (table[:, 0, s] + (s - 1) * l1h)[:, None],
                table[:, 0, r] + table[:, r, s] + lh + (s - 2) * l1h,
            ],
            axis=1,
        )
        m = terms.max(axis=1)
        return np.asarray(m + np.log(np.exp(terms - m[:, None]).sum(axis=1)))

    logw = [seg(0, n) + (n - 1) * l1h]
    shapes = [a0 + total]
    rates = [np.full(L, b0 + n)]
    for s_ in splits:
        after = total - cs[:, s_]
        logw.append(prefix(s_) + seg(s_, n) + lh + (n - s_ - 1) * l1h)
        shapes.append(a0 + after)
        rates.append(np.full(L, b0 + n - s_))
    if total.sum() == 0:  # no UASC arrived anywhere in the region: none expected
        shapes = [np.zeros(L) for _ in shapes]
    lw = np.stack(logw, axis=1)
    w = np.exp(lw - lw.max(axis=1, keepdims=True))
    w = w / w.sum(axis=1, keepdims=True)
    best = np.argmax(w, axis=1)
    last_change = np.array([0] + [n - s_ for s_ in splits])[best]
    return UASCArrivals(
        seg_weight=w,
        seg_shape=np.stack(shapes, axis=1),
        seg_rate=np.stack(rates, axis=1),
        long_shape=a0 + total if total.sum() > 0 else np.zeros(L),
        long_rate=np.full(L, b0 + n),
        hazard=hazard,
        counts=counts,
        last_change_month=last_change,
    )
