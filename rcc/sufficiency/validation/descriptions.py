"""A short description of every code the validator reports, for the validation report.

DfE codes are DfE's rule numbers (csc-validator-be-903 0.1.17); ``RCC-*`` codes are this
service's own and exist only where DfE has no rule. :data:`DELIBERATE_DIFFERENCES` lists where
the result differs from DfE's validator on purpose (bench/ssda903_diff.py reports them).
"""

from __future__ import annotations

__all__ = ["DELIBERATE_DIFFERENCES", "DESCRIPTIONS", "OWN_CODES", "describe"]

OWN_CODES: dict[str, str] = {
    "RCC-TABLE": "A required file (header, episodes) is missing, or a file is not an SSDA903 table. "
    "DfE's tool refuses such an upload without a code.",
    "RCC-FILE": "The file cannot be read as CSV text (empty, not UTF-8/UTF-16/Windows-1252, broken quoting).",
    "RCC-LEN": "CHILD is longer than 40 or URN longer than 16 characters, more than the register stores.",
    "RCC-COLUMN": "A required column is missing or a column appears twice; the rows are not checked.",
    "RCC-EMPTY": "The header or episodes file has column names but no rows: a return with no children "
    "would silently empty the LA's counts.",
    "RCC-REQ": "CHILD, DECOM, RNE, LS, CIN or PLACE is blank. DfE accepts these blanks; a row without "
    "them cannot be placed or counted, so the service requires them.",
}

DESCRIPTIONS: dict[str, str] = {
    "101": "Sex code not valid (1/2 to 2023-24, M/F/U from 2024-25).",
    "102": "Date of birth is not a valid date.",
    "103": "Ethnicity code not valid or blank.",
    "104": "Date UASC status ceased is not a valid date.",
    "141": "Date episode began is not a valid date.",
    "142": "A new episode started but the previous one has no DEC or REC.",
    "143": "Reason for new episode code not valid.",
    "144": "Legal status code not valid.",
    "145": "Category of need code not valid.",
    "146": "Placement type code not valid in this collection year.",
    "147": "Date episode ceased is not a valid date (including dates after 2262 such as 31/12/9999).",
    "148": "DEC and REC must both be coded or both blank.",
    "149": "Reason episode ceased code not valid.",
    "165": "Mother status not valid.",
    "171": "Date of birth of mother's child is not a valid date.",
    "178": "Placement provider code not valid, or given for a placement that has none.",
    "202": "Sex differs from last year's return.",
    "203": "Date of birth differs from last year's return.",
    "204": "Ethnicity differs from last year's return.",
    "217t": "Placement type P2 not valid for episodes open on or after 28 October 2023.",
    "301": "Date of birth after the collection year ended.",
    "302": "Episode starts before the child was born.",
    "352": "Child started to be looked after aged 18 or over.",
    "354": "Episode starts after the collection year ended (wrong collection year?).",
    "355": "Episode lasted less than 24 hours.",
    "356": "Episode ends before it starts.",
    "357": "A child's first episode in the year must have RNE S.",
    "385": "Episode ends after the collection year ended.",
    "388": "REC X1 without a continuation episode the same day (or a same-day continuation not coded X1).",
    "431": "RNE S but the previous episode ended on or after this one started.",
    "432": "Child left care at the end of the previous episode but RNE is not S.",
    "433": "Continuation RNE but the episode does not start the day the previous one ended.",
    "437": "Child died or turned 18 (E2/E15) but further episodes follow.",
    "501": "Episode starts before the previous episode ends (overlap or duplicate).",
    "502": "First episode does not start on the date of last year's open episode.",
    "503A": "First episode's RNE differs from last year's open episode.",
    "503B": "First episode's legal status differs from last year's open episode.",
    "503C": "First episode's category of need differs from last year's open episode.",
    "503D": "First episode's placement type differs from last year's open episode.",
    "503E": "First episode's placement provider differs from last year's open episode.",
    "503F": "First episode's Ofsted URN differs from last year's open episode.",
    "562": "Episode started before the year but last year's return has no matching last episode.",
    "1009": "Reason for placement change code not valid.",
    "INT03": "Child in episodes is not in the header.",
    "INT09": "Child in UASC is not in the header.",
    "INT18": "DOB in UASC differs from the header.",
    "INT21": "SEX in UASC differs from the header.",
    "INT32": "Child appears more than once in the header.",
    "INT36": "Child appears more than once in UASC.",
    "NoE": "Episode started before the year but the child is not in last year's return.",
    **OWN_CODES,
}

# (codes, what differs, why) - reported by bench/ssda903_diff.py and the README.
DELIBERATE_DIFFERENCES: tuple[tuple[str, str, str], ...] = (
    (
        "141 147 102 104 171",
        "ISO yyyy-mm-dd dates are accepted",
        "spreadsheets re-save dates as ISO; both formats are unambiguous. DfE accepts only dd/mm/yyyy.",
    ),
    (
        "355 433",
        "dates compared as dates, not text",
        "1/5/2021, 01/05/2021 and 2021-05-01 are one day; DfE compares the cell text.",
    ),
    (
        "all",
        "cells are whitespace-stripped; 1.0 read as 1 in CHILD/SEX/MOTHER/URN",
        "spreadsheet round trips; DfE reports padded codes as invalid.",
    ),
    (
        "146",
        "K3 valid in 2024-25",
        "DfE's 2024-25 list has 'k3' in lower case, so it rejects every K3 row (a DfE bug).",
    ),
    (
        "217t",
        "also applied to 2024-25 returns",
        "DfE dropped 217t in 2024-25 but kept P2 in its list; every "
        "2024-25 episode is open after 28/10/2023, when P2 was withdrawn.",
    ),
    (
        "202",
        "SEX 1/2 equals M/F across the 2024-25 code change",
        "DfE compares the text, so it flags every child of a 2024-25 return against 2023-24.",
    ),
    ("302", "every episode before the DOB is flagged", "DfE checks only the first episode."),
    ("RCC-REQ", "blank CHILD/DECOM/RNE/LS/CIN/PLACE rejected", "the row cannot be counted or placed."),
    (
        "INT18 INT21 101",
        "UASC SEX/DOB checked only against the header",
        "as DfE: its 101/102 are header-only.",
    ),
    (
        "142 388 433 501",
        "an episode with an invalid DECOM is left out of the sequence rules",
        "it is reported once (141); DfE sorts it last and also flags its neighbours.",
    ),
    (
        "165",
        "MOTHER must be 0 or 1 whenever given",
        "DfE's 165 runs only when the OC3 table is uploaded, which an RCC return does not carry.",
    ),
    ("INT03", "an empty header is one RCC-EMPTY error", "DfE also reports every episode's child as missing."),
)


def describe(code: str) -> str:
    return DESCRIPTIONS.get(code, "See DfE's SSDA903 validation rules.")
