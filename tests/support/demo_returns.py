"""The demo's stored SSDA903 returns, for journeys that upload one again (with or without a bad row)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

BAD_CHILD = "99999999"


def latest_return(
    data_dir: Path, la_code: str, as_of: dt.date, scale: float, seed: int = 1
) -> tuple[int, dict]:
    """(collection year, files) of ``la_code``'s latest return in the North East demo loaded with these
    arguments (generated again: the demo is deterministic)."""
    from rcc.demo import generate_region

    returns = generate_region("North East", seed, data_dir, scale=scale, as_of=as_of).returns
    latest = max((r for r in returns if r.la_gss_code == la_code), key=lambda r: r.collection_year)
    return latest.collection_year, dict(latest.files)


def with_a_bad_row(files: dict[str, bytes]) -> dict[str, bytes]:
    """The return with one more child whose only episode has a PLACE code DfE does not have."""
    header = files["header"].decode().splitlines()
    episodes = files["episodes"].decode().splitlines()
    child = header[1].split(",")
    child[0] = BAD_CHILD
    ep = episodes[1].split(",")
    ep[0], ep[5] = BAD_CHILD, "ZZ9"
    return {
        **files,
        "header": ("\n".join([*header, ",".join(child)]) + "\n").encode(),
        "episodes": ("\n".join([*episodes, ",".join(ep)]) + "\n").encode(),
    }


def without_the_bad_episode(files: dict[str, bytes]) -> dict[str, bytes]:
    """``with_a_bad_row(files)`` with the bad episode removed (as quarantine would): a new version of the
    return that DfE's rules accept (the extra child's header row stays)."""
    bad = with_a_bad_row(files)
    episodes = bad["episodes"].decode().splitlines()[:-1]
    return {**bad, "episodes": ("\n".join(episodes) + "\n").encode()}
