"""What-if scenarios a commissioner can apply to a fitted forecast."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from forecasting.categories import AGE_BANDS, expand_category


@dataclass(frozen=True)
class Scenario:
    """Multipliers applied to the fitted rates before simulating.

    - ``entry_multiplier`` scales all new entrants; ``entry_by_age`` (age band at entry ->
      multiplier) and ``entry_by_placement`` (first placement, fine or coarse category ->
      multiplier) scale particular entrants, e.g. ``Scenario(entry_by_age={"10_to_15": 1.1,
      "16_to_17": 1.1})`` is "10% more teenagers entering".
    - ``exit_multiplier`` scales every hazard of leaving care; ``exit_by_age`` and
      ``exit_by_placement`` scale it for some children.
    - ``transition_multipliers`` maps (from, to) placement categories (fine, coarse or "*")
      to a multiplier on that move's hazard, e.g. ``{("residential", "fostering"): 2.0}``
      is "step-down from residential to fostering doubles".
    - ``las``: if given, the scenario applies to those local authorities only.
    - ``uasc_monthly_arrivals`` (LA -> arrivals per month, "*" = every LA): fixes the UASC
      arrivals of those LAs, replacing the fitted regime model, e.g. the children the national
      transfer scheme (NTS) will transfer to the LA each month.
    - ``uasc_quota`` (LA -> number, "*" = every LA): UASC in care the LA takes at most (the NTS
      threshold, 0.1% of the LA's child population); no UASC arrive in a month while it is
      reached.

    Multipliers must be >= 0. Keys are validated on construction.
    """

    name: str = "baseline"
    entry_multiplier: float = 1.0
    entry_by_age: Mapping[str, float] = field(default_factory=dict)
    entry_by_placement: Mapping[str, float] = field(default_factory=dict)
    exit_multiplier: float = 1.0
    exit_by_age: Mapping[str, float] = field(default_factory=dict)
    exit_by_placement: Mapping[str, float] = field(default_factory=dict)
    transition_multipliers: Mapping[tuple[str, str], float] = field(default_factory=dict)
    las: tuple[str, ...] | None = None
    uasc_monthly_arrivals: Mapping[str, float] = field(default_factory=dict)
    uasc_quota: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        values = [self.entry_multiplier, self.exit_multiplier]
        values += [*self.uasc_monthly_arrivals.values(), *self.uasc_quota.values()]
        for m in (self.entry_by_age, self.exit_by_age):
            for k, v in m.items():
                if k not in AGE_BANDS:
                    raise KeyError(f"unknown age band {k!r}; expected one of {AGE_BANDS}")
                values.append(v)
        for m in (self.entry_by_placement, self.exit_by_placement):
            for k, v in m.items():
                expand_category(k)
                values.append(v)
        for (a, b), v in self.transition_multipliers.items():
            expand_category(a)
            expand_category(b)
            values.append(v)
        if any(float(v) < 0 for v in values):
            raise ValueError("scenario multipliers must be >= 0")

    def key(self) -> str:
        """A stable text key (the dataclass holds dicts, so it is not hashable)."""
        parts = [
            self.name,
            repr(float(self.entry_multiplier)),
            repr(sorted(self.entry_by_age.items())),
            repr(sorted(self.entry_by_placement.items())),
            repr(float(self.exit_multiplier)),
            repr(sorted(self.exit_by_age.items())),
            repr(sorted(self.exit_by_placement.items())),
            repr(sorted(self.transition_multipliers.items())),
            repr(self.las),
        ]
        if self.uasc_monthly_arrivals or self.uasc_quota:
            parts += [repr(sorted(self.uasc_monthly_arrivals.items())), repr(sorted(self.uasc_quota.items()))]
        return "|".join(parts)


BASELINE = Scenario()
