"""Run DfE's SSDA903 validator (csc-validator-be-903 0.1.17) on a batch of returns.

Runs inside bench/ssda903/.venv (pandas 1.x; run_dfe.sh sets it up). Reads a JSON manifest on
stdin: a list of {"id", "collection_year" (START year, 2024 = 2024-25), "files": {table: path},
"previous": {table: path} or null, "rules": [codes] or null (null = the whole pack)}. Writes one JSON line per return to stdout:
{"id", "errors": [[table, row, code], ...], "failed": [codes that crashed], "seconds"}.
Rows are 1-based data record numbers (DfE's 0-based DataFrame position + 1; the bench writes no
blank lines, so they equal rcc's row numbers). Table names are lower-cased to rcc's names.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from pathlib import Path

logging.disable(logging.CRITICAL)

import lac_validator.datastore as _datastore  # noqa: E402
from lac_validator import lac_validator  # noqa: E402
from lac_validator.rules.ruleset_utils import get_year_ruleset  # noqa: E402


def _no_postcodes(episodes, local_authority):
    """Stand-in for DfE's postcode lookup (about 25 s per return against the ONS directory).
    Only rules on PL_LA / PL_LOCATION / PL_DISTANCE (164, 392a, 406, 452, 453, 503G/H/J, ...) read
    these columns, and rcc implements none of them, so the compared rules are unaffected.
    Set DFE_POSTCODES=1 to keep the real lookup."""
    episodes = episodes.copy()
    episodes["PL_LA"] = None
    episodes["PL_LOCATION"] = None
    episodes["PL_DISTANCE"] = float("nan")
    return episodes


if os.environ.get("DFE_POSTCODES") != "1":
    _datastore._add_postcode_derived_fields = _no_postcodes

TABLES = {"Header": "header", "Episodes": "episodes", "UASC": "uasc"}
# A real LA's GSS code is needed for the postcode-derived fields; any English one will do.
LA = "E08000021"


def run_one(item: dict) -> dict:
    files = [
        {"name": f"{t}.csv", "description": "This year", "file_content": Path(p).read_bytes()}
        for t, p in item["files"].items()
    ]
    for t, p in (item.get("previous") or {}).items():
        files.append({"name": f"{t}.csv", "description": "Prev year", "file_content": Path(p).read_bytes()})
    end_year = str(int(item["collection_year"]) + 1)
    # DfE ships rule packs for 2022-23 .. 2026-27; earlier years use the 2022-23 pack (as rcc does).
    registry = get_year_ruleset(str(min(max(int(end_year), 2023), 2027)))
    t0 = time.perf_counter()
    try:  # DfE's 2024-25 rule 503D prints its result; keep stdout for our JSON lines
        with contextlib.redirect_stdout(sys.stderr):
            v = lac_validator.LacValidator(
                metadata={"collectionYear": end_year, "localAuthority": LA},
                files=files,
                registry=registry,
                selected_rules=item.get("rules"),
            )
    except Exception as exc:  # the whole run failed (ingress): report it, do not stop the batch
        return {
            "id": item["id"],
            "errors": [],
            "failed": ["*"],
            "crash": repr(exc)[:300],
            "seconds": time.perf_counter() - t0,
        }
    errors = []
    for name, frame in v.ds_results.items():
        if name not in TABLES:
            continue
        for col in frame.columns:
            if not str(col).startswith("ERR_"):
                continue
            code = str(col)[4:]
            flagged = frame[col].fillna(False).astype(bool)
            for pos, idx in enumerate(frame.index):
                if flagged.iloc[pos]:
                    errors.append([TABLES[name], int(idx) + 1, code])
    return {
        "id": item["id"],
        "errors": errors,
        "failed": sorted(map(str, v.fails)),
        "seconds": time.perf_counter() - t0,
    }


def main() -> None:
    for item in json.load(sys.stdin):
        print(json.dumps(run_one(item)), flush=True)


if __name__ == "__main__":
    main()
