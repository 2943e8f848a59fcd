"""Distances between British National Grid points, reported in miles.

The default :class:`StraightLine` source is Euclidean distance on the National Grid
(accurate to well under 1% across England, the grid's scale factor is 0.9996-1.0004).
A travel-time source (for example a self-hosted OSRM returning driving miles or
minutes converted to "equivalent miles") can replace it by implementing
:class:`DistanceSource`; every rule and term that scores distance goes through it.
Only the "places to avoid" rule always uses straight-line distance, because an
exclusion zone is a circle, not a journey.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

METRES_PER_MILE = 1609.344


@runtime_checkable
class DistanceSource(Protocol):
    """Anything that can tell how far apart two BNG points are, in miles.

    ``miles`` handles one pair; ``miles_many`` one origin and many destinations (return
    a 1-D float array, same order). Implementations must be deterministic and
    non-negative; they need not be symmetric (road networks are not). ``miles_many`` must
    give exactly what ``miles`` gives for each destination: the optimiser prices all
    candidate pairs in arrays and the validator scores one pair at a time, and the two must agree.
    """

    def miles(self, e1: float, n1: float, e2: float, n2: float) -> float: ...

    def miles_many(
        self,
        e1: float,
        n1: float,
        eastings: Sequence[float] | np.ndarray,
        northings: Sequence[float] | np.ndarray,
    ) -> np.ndarray: ...


class StraightLine:
    """Straight-line (as the crow flies) distance on the British National Grid."""

    def miles(self, e1: float, n1: float, e2: float, n2: float) -> float:
        return straight_line_miles(e1, n1, e2, n2)

    def miles_many(
        self,
        e1: float,
        n1: float,
        eastings: Sequence[float] | np.ndarray,
        northings: Sequence[float] | np.ndarray,
    ) -> np.ndarray:
        return straight_line_miles_many(e1, n1, eastings, northings)


def straight_line_miles(e1: float, n1: float, e2: float, n2: float) -> float:
    """Bit-for-bit the same as :func:`straight_line_miles_many` (IEEE sqrt is exact-rounded)."""
    de, dn = float(e2) - float(e1), float(n2) - float(n1)
    return math.sqrt(de * de + dn * dn) / METRES_PER_MILE


def straight_line_miles_many(
    e1: float, n1: float, eastings: Sequence[float] | np.ndarray, northings: Sequence[float] | np.ndarray
) -> np.ndarray:
    de = np.asarray(eastings, dtype=float) - float(e1)
    dn = np.asarray(northings, dtype=float) - float(n1)
    return np.sqrt(de * de + dn * dn) / METRES_PER_MILE


STRAIGHT_LINE = StraightLine()
