"""The National Placement Standard (NPS) Placement record: parse, validate, normalise, serialise.

Pure (standard library and pydantic only). A record is the JSON-LD of the standard's
``context.jsonld`` read as plain JSON: term names as keys, controlled values as the context's
labels (``"< 5 days"``, ``"Risk Present"``) or the concepts' local names (``"WithinFiveDays"``,
``"RiskPresent"``), compact IRIs (``"rl:RiskPresent"``) or full concept IRIs.

:func:`parse_record` re-expresses the SHACL shape (``shacl-shape.ttl``) in Python: required
properties and cardinalities, datatypes, the ``sh:in`` vocabularies, the ``placementLocation``
postcode-prefix pattern, the three-plus-one 'Other' free-text pairings, non-negative cost
components, and the severity-Warning cost sense-checks (which are warnings, not errors). Every
problem names its property as a path, e.g. ``placementAvailability.neededBy``.

The normalised form (:class:`NpsRecord`) keeps only the properties present; controlled values are
concept local names, multi-valued properties lists, costs :class:`~decimal.Decimal`, dates ISO
strings. :func:`to_jsonld` writes it back with the context's labels. The vocabularies are copied
below from ``shacl-shape.ttl`` (``sh:in``) and ``context.jsonld`` (labels);
``tests/services/test_nps.py`` checks the copies against those files.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api_schemas.children import PlaceToAvoid
from api_schemas.common import Id
from api_schemas.nps_shape import (  # noqa: F401  (re-exported: the shape is part of this module's API)
    BASE,
    COMMUNICATION_NEED,
    COST_COMPONENTS,
    COST_MAX,
    COST_MIN,
    CULTURAL_NEED,
    LIVING_ARRANGEMENT,
    NODES,
    OTHER_PAIRINGS,
    OUT_OF_LA_REASON,
    PETS,
    PLACEMENT_TYPE,
    POSTCODE_PREFIX,
    PREFIXES,
    PRESENCE,
    REQUIRED_NODES,
    RISK_LEVEL,
    RISKS,
    SUITABILITY,
    SUPPORT_TYPE,
    URGENCY,
    Prop,
    Vocab,
    node_props,
)
from api_schemas.vocab import Need, Sex

CONTEXT_URL = "https://socialcaredata.github.io/ontology/placements/context.jsonld"
EXTENSION_KEY = "rcc:extension"  # our own block; not an NPS term, so JSON-LD processors ignore it


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


class NpsInvalid(Exception):
    """The record breaks the shape; ``errors`` name each property."""

    def __init__(self, errors: list[Problem], warnings: list[Problem] | None = None):
        self.errors = errors
        self.warnings = warnings or []
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in errors))


@dataclass
class NpsRecord:
    """A normalised record: ``data`` holds the standard's properties present, by node.

    ``data = {"@id": …, "childId": …, "placementId": …, "placementAvailability": {"@id": …,
    "neededBy": "WithinFiveDays", …}, …}``; ``extension`` is the raw ``rcc:extension`` block.
    """

    data: dict[str, Any]
    extension: dict[str, Any] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def node(self, name: str) -> dict[str, Any] | None:
        return self.data.get(name)


def _types(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            return None
        return d if d.is_finite() else None
    return None


def _value(prop: Prop, path: str, raw: Any, errors: list[Problem], warnings: list[Problem]) -> Any:
    kind = prop.kind
    if isinstance(raw, dict) and "@value" in raw:  # an expanded value object
        raw = raw["@value"]
    if isinstance(kind, Vocab):
        if not isinstance(raw, str):
            errors.append(Problem(path, f"must be one of {kind.allowed()}"))
            return None
        concept, exact = kind.resolve(raw)
        if concept is None:
            errors.append(Problem(path, f"{raw!r} is not one of {kind.allowed()}"))
        elif not exact:
            warnings.append(
                Problem(path, f"{raw!r} read as {kind.label(concept)!r} (labels are case-sensitive)")
            )
        return concept
    if kind == "str":
        if not isinstance(raw, str):
            errors.append(Problem(path, "must be a string"))
        return raw
    if kind == "bool":
        if not isinstance(raw, bool):
            errors.append(Problem(path, "must be true or false"))
        return raw
    if kind == "nonneg":
        n = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        if isinstance(raw, str) and raw.strip().isdigit():
            n = int(raw)
        if n is None or n < 0:
            errors.append(Problem(path, f"must be a non-negative integer, not {raw!r}"))
        return n
    if kind == "decimal":
        d = _decimal(raw)
        if d is None:
            errors.append(Problem(path, f"must be a decimal number, not {raw!r}"))
        return d
    if kind == "date":
        if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            try:
                return dt.date.fromisoformat(raw).isoformat()
            except ValueError:
                pass
        errors.append(Problem(path, f"must be a date (YYYY-MM-DD), not {raw!r}"))
        return None
    raise AssertionError(kind)  # pragma: no cover


def _node(name: str, raw: Any, errors: list[Problem], warnings: list[Problem], ignored: list[str]) -> dict:
    cls, props = node_props(name)
    if not isinstance(raw, dict):
        errors.append(Problem(name, f"must be an embedded {cls} object"))
        return {}
    if cls not in _types(raw.get("@type")):
        errors.append(Problem(f"{name}.@type", f"must be {cls!r}"))
    out: dict[str, Any] = {}
    if isinstance(raw.get("@id"), str):
        out["@id"] = raw["@id"]
    known = {p.name for p in props}
    ignored.extend(f"{name}.{k}" for k in raw if not k.startswith("@") and k not in known)
    for prop in props:
        path = f"{name}.{prop.name}"
        values = [] if raw.get(prop.name) is None else _types(raw[prop.name])
        if len(values) < prop.min:
            errors.append(
                Problem(path, "is required" if prop.min == 1 else f"needs at least {prop.min} values")
            )
            continue
        if prop.max is not None and len(values) > prop.max:
            errors.append(Problem(path, f"takes at most {prop.max} value"))
            continue
        if not values:
            continue
        many = prop.max is None
        parsed = [
            _value(prop, f"{path}[{i}]" if many else path, v, errors, warnings) for i, v in enumerate(values)
        ]
        if many:
            out[prop.name] = list(dict.fromkeys(parsed))  # a JSON-LD @set: duplicates are one value
        else:
            out[prop.name] = parsed[0]
    return out


def parse_record(doc: Any, *, strict: bool = False) -> NpsRecord:
    """Validate and normalise one Placement record; raises :class:`NpsInvalid` naming each property.

    Warnings (the cost sense-checks, case-insensitive label matches, ignored properties) do not
    reject the record unless ``strict``: SHACL counts a Warning as non-conformance, we report it.
    """
    errors: list[Problem] = []
    warnings: list[Problem] = []
    ignored: list[str] = []
    if not isinstance(doc, dict):
        raise NpsInvalid([Problem("@type", "the record must be a JSON object")])
    if "Placement" not in _types(doc.get("@type")) and "pl:Placement" not in _types(doc.get("@type")):
        errors.append(Problem("@type", "must be 'Placement'"))
    data: dict[str, Any] = {}
    if isinstance(doc.get("@id"), str):
        data["@id"] = doc["@id"]
    for name, required in (("childId", True), ("placementId", False)):
        values = [] if doc.get(name) is None else _types(doc[name])
        if required and not values:
            errors.append(Problem(name, "is required"))
        elif len(values) > 1:
            errors.append(Problem(name, "takes at most 1 value"))
        elif values:
            if not isinstance(values[0], str) or not values[0].strip():
                errors.append(Problem(name, "must be a non-empty string"))
            data[name] = values[0]
    for name in NODES:
        raw = doc.get(name)
        if raw is None:
            if name in REQUIRED_NODES:
                errors.append(Problem(name, f"is required (exactly one {NODES[name][0]})"))
            continue
        if isinstance(raw, list):
            if len(raw) != 1:
                errors.append(Problem(name, "takes exactly one value"))
                continue
            raw = raw[0]
        data[name] = _node(name, raw, errors, warnings, ignored)
    known = {"@context", "@id", "@type", "childId", "placementId", EXTENSION_KEY, *NODES}
    ignored.extend(k for k in doc if k not in known)
    _rules(data, errors, warnings)
    warnings.extend(
        Problem(p, "not a property of the standard's record: ignored, not stored") for p in ignored
    )
    if errors or (strict and warnings):
        raise NpsInvalid(errors + (warnings if strict else []), warnings)
    ext = doc.get(EXTENSION_KEY) or {}
    if not isinstance(ext, dict):
        raise NpsInvalid([Problem(EXTENSION_KEY, "must be an object")])
    return NpsRecord(data, ext, warnings, ignored)


def _rules(data: dict[str, Any], errors: list[Problem], warnings: list[Problem]) -> None:
    """The shape's node-level rules: 'Other' pairings, postcode prefix, costs."""
    for node, prop, other, text in OTHER_PAIRINGS:
        n = data.get(node) or {}
        chosen = n.get(prop)
        if (other in chosen if isinstance(chosen, list) else chosen == other) and not n.get(text):
            errors.append(Problem(f"{node}.{text}", f"is required when {prop} is 'Other' (free text)"))
    actual = data.get("actualPlacement")
    if not actual:
        return
    loc = actual.get("placementLocation")
    if isinstance(loc, str) and (len(loc) > 4 or not POSTCODE_PREFIX.match(loc)):
        errors.append(
            Problem(
                "actualPlacement.placementLocation",
                f"{loc!r} is not a UK outward postcode prefix (e.g. TA3, BS10)",
            )
        )
    for c in COST_COMPONENTS:
        v = actual.get(c)
        if isinstance(v, Decimal) and v < 0:
            errors.append(Problem(f"actualPlacement.{c}", f"must be non-negative, not {v}"))
        elif isinstance(v, Decimal) and v > COST_MAX:
            warnings.append(Problem(f"actualPlacement.{c}", "exceeds £100,000 a week; please sense-check"))
    total = actual.get("totalWeeklyCost")
    if isinstance(total, Decimal) and total < 0:  # a cost cannot be negative: an error, like the components
        errors.append(Problem("actualPlacement.totalWeeklyCost", f"must be non-negative, not {total}"))
    elif isinstance(total, Decimal) and not COST_MIN <= total <= COST_MAX:
        warnings.append(
            Problem(
                "actualPlacement.totalWeeklyCost",
                f"£{total} is outside the expected £100 - £100,000 a week; please sense-check",
            )  # fmt: skip
        )


def _number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def to_jsonld(data: dict[str, Any], extension: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON-LD record for normalised ``data`` (controlled values written as the context's labels)."""
    out: dict[str, Any] = {"@context": CONTEXT_URL}
    if "@id" in data:
        out["@id"] = data["@id"]
    out["@type"] = "Placement"
    for name in ("placementId", "childId"):
        if name in data:
            out[name] = data[name]
    for name in NODES:
        cls, props = node_props(name)
        node = data.get(name)
        if node is None:
            continue
        n: dict[str, Any] = {"@id": node["@id"]} if "@id" in node else {}
        n["@type"] = cls
        for prop in props:
            if prop.name not in node:
                continue
            v = node[prop.name]
            if isinstance(prop.kind, Vocab):
                v = [prop.kind.label(x) for x in v] if isinstance(v, list) else prop.kind.label(v)
            elif prop.kind == "decimal":
                v = _number(v)
            n[prop.name] = v
        out[name] = n
    if extension is not None:
        out[EXTENSION_KEY] = extension
    return out


# ---------------------------------------------------------------- our extension block


class NpsExtension(BaseModel):
    """``rcc:extension``: what a matcher needs that the standard leaves out (all ours).

    On import every field is optional except where noted; a field left out leaves the stored value
    as it is (a new child takes the register's default). ``sex``, ``birth_month`` and
    ``home_postcode_sector`` are required when the record creates the child; ``la_code`` is
    required for an admin key (an LA officer's key implies its LA). ``referral_id``, ``child_id`` and
    ``placement_id`` are written on export for reference and ignored on import.
    """

    model_config = ConfigDict(extra="forbid")
    la_code: str | None = Field(default=None, description="responsible LA, GSS or DfE code")
    sex: Sex | None = None
    birth_month: dt.date | None = Field(default=None, description="YYYY-MM or any date in the month")
    ethnicity: str | None = None
    uasc: bool | None = None
    needs: list[Need] | None = None
    home_postcode_sector: str | None = Field(default=None, min_length=2, max_length=8)
    school_postcode_sector: str | None = Field(default=None, min_length=2, max_length=8)
    must_keep_school: bool | None = None
    places_to_avoid: list[PlaceToAvoid] | None = None
    sibling_group: str | None = Field(default=None, max_length=40)
    wishes: str | None = Field(default=None, max_length=4000)
    cultural_needs: str | None = Field(default=None, max_length=2000)
    communication_needs: list[str] | None = None
    sibling_child_ids: list[str] | None = Field(
        default=None, max_length=7, description="the LA's childIds of the siblings to be placed together"
    )
    allow_split: bool | None = None
    placement_start_date: dt.date | None = Field(
        default=None, description="start of the placement; defaults to qualityAssurance.placementDate"
    )
    contract: str | None = Field(default=None, pattern=r"^(spot|contracted|in_house)$")
    referral_id: Id | None = None
    child_id: Id | None = None
    placement_id: Id | None = None

    @field_validator("birth_month", mode="before")
    @classmethod
    def _month(cls, v: Any) -> Any:
        return f"{v}-01" if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}", v) else v


CHILD_FIELDS = (
    "sex", "ethnicity", "uasc", "needs", "home_postcode_sector", "school_postcode_sector", "must_keep_school",
    "places_to_avoid", "sibling_group", "wishes", "cultural_needs", "communication_needs",
)  # fmt: skip
