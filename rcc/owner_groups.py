"""One name per owner group, so market shares are not split by spelling.

The same organisation reaches the register under several names: Ofsted lists an LA's homes as owned
by "Hartlepool Borough Council" while the LA's in-house fostering service is "Hartlepool"; a company
appears with and without "Ltd". :func:`canonical` maps a name to its group:

1. an explicit alias in ``owner_group_aliases`` (matched ignoring case and spacing) wins;
2. a council's name is its LA's name ("Hartlepool Borough Council", "London Borough of Camden",
   "Durham County Council" -> "Hartlepool", "Camden", "Durham") when that is an LA;
3. otherwise the name as given, with its spacing tidied.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from rcc.db.models import LocalAuthority, OwnerGroupAlias

_PREFIXES = ("london borough of ", "royal borough of ", "city of ", "council of the ", "the ")
_SUFFIXES = (
    " metropolitan borough council",
    " metropolitan district council",
    " borough council",
    " city council",
    " county council",
    " district council",
    " council",
)


def key(name: str) -> str:
    """Comparison key: case-folded, single-spaced, '&' as 'and'."""
    return re.sub(r"\s+", " ", name.replace("&", " and ")).strip().casefold()


def _council_la(name: str, la_names: Mapping[str, str]) -> str | None:
    k = key(name)
    if k in la_names:
        return la_names[k]
    for suffix in _SUFFIXES:
        if k.endswith(suffix):
            k = k[: -len(suffix)]
            break
    else:
        if not k.startswith(_PREFIXES[:3]):
            return None
    for prefix in _PREFIXES:
        if k.startswith(prefix):
            k = k[len(prefix) :]
            break
    return la_names.get(k)


def canonical(name: str | None, aliases: Mapping[str, str], la_names: Mapping[str, str]) -> str | None:
    """The owner group ``name`` belongs to (``aliases`` and ``la_names`` are keyed by :func:`key`)."""
    if name is None or not name.strip():
        return None
    k = key(name)
    if k in aliases:
        return aliases[k]
    la = _council_la(name, la_names)
    return la if la is not None else re.sub(r"\s+", " ", name).strip()


def la_name_index(names: Iterable[str]) -> dict[str, str]:
    """LA names keyed for :func:`canonical`, also without "City of" / "County" ("City of Bristol"
    is also "bristol", "County Durham" also "durham", "Bristol, City of" also "bristol")."""
    out: dict[str, str] = {}
    for n in names:
        k = key(n)
        out[k] = n
        for prefix in ("city of ", "county "):
            if k.startswith(prefix):
                out.setdefault(k[len(prefix) :], n)
        for suffix in (", city of", ", county of"):
            if k.endswith(suffix):
                out.setdefault(k[: -len(suffix)], n)
    return out


def resolver(session: Session) -> Callable[[str | None], str | None]:
    """:func:`canonical` bound to the stored aliases and the LA names."""
    aliases = {
        key(a): g for a, g in session.execute(select(OwnerGroupAlias.alias, OwnerGroupAlias.owner_group))
    }
    la_names = la_name_index(session.scalars(select(LocalAuthority.name)))
    return lambda name: canonical(name, aliases, la_names)


def set_alias(session: Session, alias: str, owner_group: str) -> None:
    """Record that ``alias`` means ``owner_group`` (replacing any earlier meaning)."""
    row = session.get(OwnerGroupAlias, key(alias))
    if row is None:
        session.add(OwnerGroupAlias(alias=key(alias), owner_group=owner_group.strip()))
    else:
        row.owner_group = owner_group.strip()
    session.flush()
