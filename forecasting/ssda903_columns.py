"""The SSDA903 tables' columns, as DfE's return files (and csc-validator-be-903) name them.

One source of truth for the simulator (:mod:`forecasting.synthetic`), the service's validator and its
stored rows (``rcc.sufficiency``): ``rcc`` imports these names, ``forecasting`` never imports ``rcc``.
"""

from __future__ import annotations

HEADER_COLUMNS: tuple[str, ...] = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
EPISODE_FIELDS: tuple[str, ...] = (
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
)
"""An episode's fields after CHILD, in the file's order."""
EPISODE_COLUMNS: tuple[str, ...] = ("CHILD", *EPISODE_FIELDS)
UASC_COLUMNS: tuple[str, ...] = ("CHILD", "SEX", "DOB", "DUC")
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "header": HEADER_COLUMNS,
    "episodes": EPISODE_COLUMNS,
    "uasc": UASC_COLUMNS,
}
