"""Owner groups: aliases first, then a council's name as its LA's, else the name tidied."""

from __future__ import annotations

from rcc.owner_groups import canonical, key, la_name_index

LAS = la_name_index(["Hartlepool", "Camden", "County Durham", "City of Bristol", "Kingston upon Thames"])


def test_council_names_are_their_la():
    assert canonical("Hartlepool Borough Council", {}, LAS) == "Hartlepool"
    assert canonical("Hartlepool", {}, LAS) == "Hartlepool"
    assert canonical("London Borough of Camden", {}, LAS) == "Camden"
    assert canonical("Durham County Council", {}, LAS) == "County Durham"
    assert canonical("Bristol City Council", {}, LAS) == "City of Bristol"
    assert canonical("Royal Borough of Kingston upon Thames", {}, LAS) == "Kingston upon Thames"


def test_other_names_are_kept_tidied_and_aliases_win():
    assert canonical("  Acme   Care Ltd ", {}, LAS) == "Acme Care Ltd"
    assert canonical("Newtown Council", {}, LAS) == "Newtown Council"  # not an LA: unchanged
    aliases = {key("Acme Care Ltd"): "Acme Group", key("Hartlepool Borough Council"): "Hartlepool BC"}
    assert canonical("ACME care ltd", aliases, LAS) == "Acme Group"
    assert canonical("Hartlepool Borough Council", aliases, LAS) == "Hartlepool BC"
    assert canonical(None, aliases, LAS) is None and canonical(" ", aliases, LAS) is None
