"""Synthetic SSDA903 returns for a region of local authorities (pure: no file I/O).

:func:`simulate_region` takes plain dataclasses (per-LA entry rates and stock scale, trend,
seasonality, short breaks, UASC arrival regimes, the placement-code calendar and a seed) and
returns, for every LA and collection year, the tables an LA submits to DfE: ``header``
(CHILD, SEX, DOB, ETHNIC, and UPN / MOTHER / MC_DOB with no real values: UPN is one of DfE's
"unknown" codes), ``episodes`` (CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER,
DEC, REC, REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN) and ``uasc`` (CHILD, SEX, DOB, DUC),
as strings with dd/mm/yyyy dates, as read from the CSVs. The same seed gives the same returns.

The returns follow DfE's main rules: a child's episodes never overlap; an episode that ends
with REC X1 is followed by the child's next episode starting the same day (RNE P, L, T or U,
with REASON_PLACE_CHANGE on the ending episode when the placement changes); any other REC
ends the period of care; DEC and REC are both blank while an episode is open at the year end;
codes are those valid in the collection year (SEX 1/2 to 2023-24 and M/F from 2024-25; the
PLACE calendar of :data:`DEFAULT_CODE_CALENDAR`: P2 withdrawn in October 2023, K3 from April
2024, Z1 replaced by Z11-Z14 and H5 withdrawn from April 2025; an episode open when its code
is withdrawn during a year is ended and continued with RNE U under the new code, and one open
when a year starts in which its code is no longer valid is listed under the new code by that
year's return, see :data:`RECODE_IN_LATER_RETURNS`); PLACE_PROVIDER is blank
for T0-T4, Z1 and Z11-Z14; URN is "XXXXXXX" unless the placement is an Ofsted-registered
setting.

The truth process is deliberately not the forecaster's model: placement spells have
log-normal lengths, leaving care depends on age and placement at the end of a spell, young
children follow an adoption route, legal status changes split episodes, and unaccompanied
asylum-seeking children (UASC) arrive in regimes with their own ages, placements and leaving
at 18.

The work is split by what is generated: :mod:`~forecasting.synthetic.spec` (inputs and output),
:mod:`~forecasting.synthetic.children` (one child's periods of care), :mod:`~forecasting.synthetic.region`
(the region's entrants) and :mod:`~forecasting.synthetic.returns` (the SSDA903 tables each year).
"""

from forecasting.ssda903_columns import EPISODE_COLUMNS, HEADER_COLUMNS, UASC_COLUMNS
from forecasting.synthetic.region import simulate_region
from forecasting.synthetic.returns import history_from_returns
from forecasting.synthetic.spec import (
    DEFAULT_CODE_CALENDAR,
    NO_PROVIDER_PLACES,
    RECODE_IN_LATER_RETURNS,
    URN_PLACES,
    CodePeriod,
    EntrantShock,
    LASpec,
    RegionSpec,
    SyntheticRegion,
    UASCRegime,
)

__all__ = [
    "DEFAULT_CODE_CALENDAR",
    "EPISODE_COLUMNS",
    "HEADER_COLUMNS",
    "NO_PROVIDER_PLACES",
    "RECODE_IN_LATER_RETURNS",
    "UASC_COLUMNS",
    "URN_PLACES",
    "CodePeriod",
    "EntrantShock",
    "LASpec",
    "RegionSpec",
    "SyntheticRegion",
    "UASCRegime",
    "history_from_returns",
    "simulate_region",
]
