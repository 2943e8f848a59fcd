"""SSDA903 code lists by collection year (start year: 2024 = 2024-25).

Source: DfE's validator ``csc-validator-be-903`` 0.1.17 (MIT, Social Finance Ltd), files
``lac_validator/rules/lac20YY_YY/rule_<code>.py`` cited at each list. Years before 2022-23 (the
earliest pack DfE ships) use the 2022-23 lists. K3 is spelled correctly (DfE's 2024-25 list has
``"k3"``, which rejects every K3 row after its ingress upper-cases input).

P2 (independent living) is not valid for episodes open on or after 28 October 2023 (DfE rule
217t, 2023-24 pack). DfE dropped 217t from its 2024-25 pack but kept P2 in that year's 146
list, so its 2024-25 validator accepts P2 although every episode in a 2024-25 return is open
after that date. Here 217t applies to 2023-24 and 2024-25 (a documented deliberate
difference, see ``descriptions.DELIBERATE_DIFFERENCES``); 146 drops P2 from 2025-26 as DfE does.
"""

from __future__ import annotations

from datetime import date

__all__ = [
    "CIN_CODES",
    "ETHNIC_CODES",
    "LS_CODES",
    "MOTHER_CODES",
    "P2_LAST_DAY",
    "PLACE_PROVIDER_CODES",
    "REASON_PLACE_CHANGE_CODES",
    "REC_CODES",
    "RNE_CODES",
    "CONTINUATION_RNE",
    "FINAL_REC",
    "LEFT_CARE_REC",
    "code_lists",
    "collection_year_bounds",
    "no_provider_places",
]

# rule 101, lac2022_23/rule_101.py; lac2024_25/rule_101.py switches to M/F/U.
_SEX_TO_2023 = frozenset({"1", "2"})
_SEX_FROM_2024 = frozenset({"M", "F", "U"})
# rule 103, lac2022_23/rule_103.py (unchanged up to lac2026_27).
ETHNIC_CODES = frozenset(
    {
        "WBRI",
        "WIRI",
        "WOTH",
        "WIRT",
        "WROM",
        "MWBC",
        "MWBA",
        "MWAS",
        "MOTH",
        "AIND",
        "APKN",
        "ABAN",
        "AOTH",
        "BCRB",
        "BAFR",
        "BOTH",
        "CHNE",
        "OOTH",
        "REFU",
        "NOBT",
    }
)
# rule 143, lac2022_23/rule_143.py
RNE_CODES = frozenset({"S", "P", "L", "T", "U", "B"})
# rule 144, lac2022_23/rule_144.py
LS_CODES = frozenset({"C1", "C2", "D1", "E1", "V2", "V3", "V4", "J1", "J2", "J3", "L1", "L2", "L3"})
# rule 145, lac2022_23/rule_145.py
CIN_CODES = frozenset({"N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"})
# rule 149, lac2022_23/rule_149.py
REC_CODES = frozenset(
    {
        "E11",
        "E12",
        "E2",
        "E3",
        "E4A",
        "E4B",
        "E13",
        "E41",
        "E45",
        "E46",
        "E47",
        "E48",
        "E5",
        "E6",
        "E7",
        "E8",
        "E9",
        "E14",
        "E15",
        "E16",
        "E17",
        "X1",
    }
)
# rule 1009, lac2022_23/rule_1009.py
REASON_PLACE_CHANGE_CODES = frozenset(
    {
        "CARPL",
        "CLOSE",
        "ALLEG",
        "STAND",
        "APPRR",
        "CREQB",
        "CREQO",
        "CHILD",
        "LAREQ",
        "PLACE",
        "CUSTOD",
        "OTHER",
    }
)
# rule 178, lac2022_23/rule_178.py and lac2025_26/rule_178.py
PLACE_PROVIDER_CODES = frozenset({"PR0", "PR1", "PR2", "PR3", "PR4", "PR5"})
_NO_PROVIDER_PLACES_TO_2024 = frozenset({"T0", "T1", "T2", "T3", "T4", "Z1"})
_NO_PROVIDER_PLACES_FROM_2025 = frozenset({"T0", "T1", "T2", "T3", "Z11", "Z12", "Z13", "Z14"})
# rule 146: lac2022_23/rule_146.py is the base list; lac2024_25 adds K3 (spelled "k3" there, a
# typo); lac2025_26 adds Z11-Z14 and drops H5, P2 and Z1.
_PLACE_2022 = frozenset(
    {
        "A3",
        "A4",
        "A5",
        "A6",
        "H5",
        "K1",
        "K2",
        "P1",
        "P2",
        "P3",
        "R1",
        "R2",
        "R3",
        "R5",
        "S1",
        "T0",
        "T1",
        "T2",
        "T3",
        "T4",
        "U1",
        "U2",
        "U3",
        "U4",
        "U5",
        "U6",
        "Z1",
    }
)
_PLACE_2024 = _PLACE_2022 | {"K3"}
_PLACE_2025 = (_PLACE_2024 - {"H5", "P2", "Z1"}) | {"Z11", "Z12", "Z13", "Z14"}
# rule 165 (value part only), lac2022_23/rule_165.py
MOTHER_CODES = frozenset({"0", "1"})


def code_lists(collection_year: int) -> dict[str, frozenset[str]]:
    """The valid codes for each coded field in ``collection_year`` (start year)."""
    if collection_year >= 2025:
        place = _PLACE_2025
    elif collection_year >= 2024:
        place = _PLACE_2024
    else:
        place = _PLACE_2022
    return {
        "SEX": _SEX_FROM_2024 if collection_year >= 2024 else _SEX_TO_2023,
        "ETHNIC": ETHNIC_CODES,
        "RNE": RNE_CODES,
        "LS": LS_CODES,
        "CIN": CIN_CODES,
        "PLACE": place,
        "PLACE_PROVIDER": PLACE_PROVIDER_CODES,
        "REC": REC_CODES,
        "REASON_PLACE_CHANGE": REASON_PLACE_CHANGE_CODES,
        "MOTHER": MOTHER_CODES,
    }


def no_provider_places(collection_year: int) -> frozenset[str]:
    return _NO_PROVIDER_PLACES_FROM_2025 if collection_year >= 2025 else _NO_PROVIDER_PLACES_TO_2024


def collection_year_bounds(collection_year: int) -> tuple[date, date]:
    """First and last day of the collection year: 1 April ``y`` to 31 March ``y+1``."""
    return date(collection_year, 4, 1), date(collection_year + 1, 3, 31)


# rule 217t, lac2023_24/rule_217t.py: P2 not valid from 28 October 2023.
P2_LAST_DAY = date(2023, 10, 28)
# rule 432, lac2022_23/rule_432.py: every REC except X1 means the child left care.
LEFT_CARE_REC = REC_CODES - {"X1"}
# rule 433: RNE codes for an episode that continues a period of care.
CONTINUATION_RNE = frozenset({"P", "L", "T", "U", "B"})
# rule 437: the child died (E2) or reached 18 (E15); nothing can follow.
FINAL_REC = frozenset({"E2", "E15"})
