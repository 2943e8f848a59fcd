"""Import and export of National Placement Standard (NPS) Placement records.

Import validates the record (:func:`api_schemas.nps.parse_record`) and our ``rcc:extension`` block,
then, in the caller's one transaction, creates or updates the child (by LA and ``childId``), the
referral (by ``placementId``, else the record's ``@id``, else the child's open referral) and, when
``actualPlacement.providerURN`` is a registered home, the placement. Export writes the record back
from the register's columns and the stored remainder (:class:`rcc.db.models.NpsRecordRow`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api_schemas.children import ChildIn, ChildPatch, PlacementIn
from api_schemas.nps import (
    CHILD_FIELDS,
    COST_COMPONENTS,
    NODES,
    OUT_OF_LA_REASON,
    RISKS,
    URGENCY,
    NpsExtension,
    NpsInvalid,
    Problem,
    parse_record,
)
from api_schemas.vocab import HOME_TYPE_CATEGORY, HomeType, nps_suitability_properties
from rcc import audit, occupancy
from rcc.auth import Principal, Role
from rcc.children import interface as children_svc
from rcc.db.models import Child, Home, LocalAuthority, NpsRecordRow, Placement, Referral
from rcc.errors import Conflict, FieldProblem, Forbidden, Invalid
from rcc.nps.vocab import (
    COST_COLUMNS,
    EXT,
    LIVING_MAP,
    NULLABLE,
    OPEN,
    SUITABILITY_MAP,
    TYPE_CATEGORY,
    owned,
)
from rcc.pagination import get_or_404, resolve_la


@dataclass
class ImportResult:
    child_id: int
    referral_id: int
    placement_id: int | None
    created: list[str] = field(default_factory=list)  # "child", "referral", "placement"
    warnings: list[Problem] = field(default_factory=list)


def _invalid(problems: list[Problem]) -> Invalid:
    head = "; ".join(f"{p.field}: {p.message}" for p in problems[:3])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return Invalid(
        f"the NPS record is invalid: {head}{more}",
        details=[FieldProblem(p.field, p.message) for p in problems],
    )


def _ext_field(exc: Invalid) -> Invalid:
    """Re-home field names from the children service (``home_postcode_sector``) under the extension."""
    for d in exc.details:
        d.field = f"{EXT}.{d.field}"
    return exc


def _pydantic(exc: ValidationError, prefix: str) -> Invalid:
    problems = []
    for e in exc.errors():
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"])
        problems.append(Problem(f"{prefix}{loc}", e["msg"]))
    return _invalid(problems)


def _whole_pounds(value: Decimal, path: str, warnings: list[Problem]) -> int:
    pounds = int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if pounds != value:
        warnings.append(Problem(path, f"£{value} stored as whole pounds (£{pounds})"))
    return pounds


def _jsonable(node: dict[str, Any]) -> dict[str, Any]:
    """Decimals as canonical strings (2500.00 and 2500 are one value)."""
    return {k: format(v.normalize(), "f") if isinstance(v, Decimal) else v for k, v in node.items()}


def _derived_communication(req: dict[str, Any]) -> list[str]:
    chosen = [c for c in req.get("specificCommunicationRequirement", []) if c not in ("None", "Other")]
    return chosen + list(req.get("specificCommunicationRequirementOther", []))


def _derived_cultural(req: dict[str, Any]) -> str | None:
    if req.get("culturalNeeds") == "Other":
        return "; ".join(req.get("culturalNeedsOther", []))
    if req.get("culturalNeeds") == "Required":
        return "required (not described in the NPS record)"
    return None


def _target_la(session: Session, who: Principal, ext: NpsExtension):
    if who.role not in (Role.ADMIN, Role.LA_OFFICER):
        raise Forbidden("only an LA officer (or an admin) imports NPS records")
    if who.role is Role.ADMIN and not ext.la_code:
        raise Invalid("an admin key must say which LA the record belongs to", f"{EXT}.la_code")
    if ext.la_code:
        la = resolve_la(session, ext.la_code, f"{EXT}.la_code")
    else:
        la = get_or_404(session, LocalAuthority, who.la_id or 0, "local authority")
    if who.role is Role.LA_OFFICER and la.id != who.la_id:
        raise Forbidden("an LA officer imports records only for their own LA")
    return la


def _upsert_child(session: Session, who: Principal, la, child_id_text: str, data: dict, ext: NpsExtension):
    req = data["placementRequirements"]
    rec = data["placementRecommendation"]
    risk = data["riskAssessment"]
    suitability = {c: SUITABILITY_MAP[rec[p]] for p, c in nps_suitability_properties().items() if p in rec}
    fields: dict[str, Any] = {"suitability": suitability}
    fields["risks"] = [r for r in RISKS if risk[r] == "RiskPresent"]
    fields["living_companions"] = LIVING_MAP[req["livingCompanions"]]
    sent = ext.model_fields_set
    for name in CHILD_FIELDS:
        if name in sent:
            fields[name] = getattr(ext, name)
    if "communication_needs" not in sent:
        fields["communication_needs"] = _derived_communication(req)
    if "cultural_needs" not in sent:
        fields["cultural_needs"] = _derived_cultural(req)
    existing = session.scalar(select(Child).where(Child.la_id == la.id, Child.la_child_id == child_id_text))
    try:
        if existing is not None:
            if ext.birth_month is not None:
                existing.birth_month = ext.birth_month.replace(day=1)
            patch = ChildPatch(**{k: v for k, v in fields.items() if v is not None or k in NULLABLE})
            return children_svc.update_child(session, who, existing.id, patch).child, False
        missing = [n for n in ("sex", "birth_month", "home_postcode_sector") if getattr(ext, n) is None]
        if missing:
            raise Invalid(
                f"childId {child_id_text!r} is new to {la.name}: the extension must give {', '.join(missing)}",
                details=[
                    FieldProblem(f"{EXT}.{n}", "required when the record creates the child") for n in missing
                ],
            )
        body = ChildIn(la_code=la.gss_code, la_child_id=child_id_text, birth_month=ext.birth_month, **fields)
        return children_svc.create_child(session, who, body).child, True
    except ValidationError as exc:
        raise _pydantic(exc, EXT) from exc
    except Invalid as exc:
        if any(d.field in CHILD_FIELDS for d in exc.details):
            raise _ext_field(exc) from exc
        raise


def _siblings(session: Session, la, child: Child, ext: NpsExtension, avail: dict) -> list[Child] | None:
    if ext.sibling_child_ids is None:
        return None
    out = []
    for i, sid in enumerate(ext.sibling_child_ids):
        sib = session.scalar(select(Child).where(Child.la_id == la.id, Child.la_child_id == sid))
        if sib is None or sib.id == child.id:
            raise Invalid(
                f"{sid!r} is not another registered child of {la.name}", f"{EXT}.sibling_child_ids[{i}]"
            )
        out.append(sib)
    if out and "siblingCount" in avail and avail["siblingCount"] != len(out):
        raise Invalid(
            f"names {len(out)} siblings but placementAvailability.siblingCount is {avail['siblingCount']}",
            f"{EXT}.sibling_child_ids",
        )
    return out


def _find_referral(
    session: Session, la, child: Child, key: str | None
) -> tuple[Referral | None, NpsRecordRow | None]:
    if key is not None:
        row = session.scalar(
            select(NpsRecordRow).where(NpsRecordRow.la_id == la.id, NpsRecordRow.record_key == key)
        )
        if row is not None:
            if row.child_id != child.id:
                raise Conflict(f"NPS record {key!r} belongs to another child of this LA")
            return session.get(Referral, row.referral_id), row
    ref = session.scalar(
        select(Referral)
        .join(Referral.children)
        .where(Child.id == child.id, Referral.status.in_(OPEN))
        .order_by(Referral.id.desc())
        .limit(1)
    )
    if ref is None:
        return None, None
    row = session.scalar(
        select(NpsRecordRow).where(NpsRecordRow.referral_id == ref.id, NpsRecordRow.child_id == child.id)
    )
    if row is not None and row.record_key is not None and row.record_key != key:
        raise Conflict(
            f"the child's open referral {ref.id} comes from NPS record {row.record_key!r}; close it first"
        )
    return ref, row


def _placement(
    session: Session,
    who: Principal,
    child: Child,
    ref: Referral,
    row: NpsRecordRow | None,
    data: dict,
    ext: NpsExtension,
    warnings: list[Problem],
) -> tuple[Placement | None, bool]:
    actual = data.get("actualPlacement")
    previous = session.get(Placement, row.placement_id) if row is not None and row.placement_id else None
    if actual is None:
        if previous is not None:
            raise Conflict(
                f"the referral led to placement {previous.id}; a record without actualPlacement cannot undo it"
            )
        return None, False
    urn = actual["providerURN"]
    home = session.scalar(select(Home).where(Home.urn == urn))
    if home is None:
        if previous is not None:
            raise Conflict(f"the referral led to placement {previous.id}; send a new record for a move")
        warnings.append(
            Problem(
                "actualPlacement.providerURN",
                f"{urn!r} is not a registered home: kept in the NPS record only",
            )
        )
        return None, False
    category = HOME_TYPE_CATEGORY[HomeType(home.home_type)]
    if TYPE_CATEGORY[actual["placementType"]] is not category:
        raise Invalid(
            f"{urn} is a {home.home_type.replace('_', ' ')} ({category.value}), not {actual['placementType']}",
            "actualPlacement.placementType",
        )
    outward = home.postcode.split()[0] if home.postcode else None
    if outward and outward != actual["placementLocation"]:
        warnings.append(
            Problem(
                "actualPlacement.placementLocation",
                f"the register has {urn} in {outward}, the record says {actual['placementLocation']}",
            )
        )
    costs = {
        COST_COLUMNS[c]: _whole_pounds(actual[c], f"actualPlacement.{c}", warnings)
        for c in COST_COMPONENTS
        if c in actual
    }
    total = actual["totalWeeklyCost"]
    if costs and sum(actual[c] for c in COST_COMPONENTS if c in actual) != total:
        warnings.append(
            Problem("actualPlacement.totalWeeklyCost", "is not the sum of the cost components given")
        )
    if not costs:
        costs = {"weekly_core": _whole_pounds(total, "actualPlacement.totalWeeklyCost", warnings)}
        warnings.append(
            Problem("actualPlacement.totalWeeklyCost", "no breakdown given: recorded as the core cost")
        )
    costs = {col: costs.get(col, 0) for col in COST_COLUMNS.values()}
    start = ext.placement_start_date or dt.date.fromisoformat(data["qualityAssurance"]["placementDate"])
    if previous is not None:
        if previous.home_id != home.id:
            raise Conflict(
                f"the referral led to placement {previous.id} at another home; send a new record for a move"
            )
        for col, v in costs.items():
            setattr(previous, col, v)
        if start < previous.start_date:  # an earlier start needs room over the extra days
            occupancy.lock_homes(session, [home.id])
            occupancy.check_room(session, home.id, start, previous.start_date, exclude_placement=previous.id)
        previous.start_date = start
        if ext.contract:
            previous.contract = ext.contract
        return previous, False
    body = PlacementIn(
        child_id=child.id,
        home_id=home.id,
        referral_id=ref.id,
        start_date=start,
        contract=ext.contract or "spot",
        **costs,
    )
    return children_svc.create_placement(session, who, body), True


def _standard(data: dict, placement: Placement | None) -> dict[str, Any]:
    """The record less what the register's columns own (kept so that export reproduces it)."""
    keep: dict[str, Any] = {k: data[k] for k in ("@id", "placementId") if k in data}
    for name in NODES:
        if name not in data:
            continue
        node = {k: v for k, v in data[name].items() if k not in owned(name)}
        if name == "placementAvailability" and "siblingCount" in data[name]:
            node["_siblingCount"] = True
        if name == "actualPlacement" and placement is not None:
            node["_components"] = [c for c in COST_COMPONENTS if c in node]
            for c in COST_COMPONENTS:
                node.pop(c, None)
        keep[name] = _jsonable(node)
    return keep


def import_record(session: Session, who: Principal, doc: Any, *, strict: bool = False) -> ImportResult:
    try:
        rec = parse_record(doc, strict=strict)
    except NpsInvalid as exc:
        raise _invalid(exc.errors) from exc
    try:
        ext = NpsExtension.model_validate(rec.extension)
    except ValidationError as exc:
        raise _pydantic(exc, EXT) from exc
    la = _target_la(session, who, ext)
    data, warnings = rec.data, list(rec.warnings)
    avail = data["placementAvailability"]
    if avail["isPreferredLocationLocal"] is False and "outOfLAReason" not in avail:
        warnings.append(
            Problem("placementAvailability.outOfLAReason", "not given though the location is not local")
        )
    child, child_new = _upsert_child(session, who, la, data["childId"], data, ext)
    siblings = _siblings(session, la, child, ext, avail)
    key = data.get("placementId") or data.get("@id")
    ref, row = _find_referral(session, la, child, key)
    created = ["child"] if child_new else []
    if ref is None:
        ref = Referral(la_id=la.id, status="open", needed_by="Today", children=[child])
        session.add(ref)
        created.append("referral")
    if siblings is not None:
        for sib in siblings:
            clash = session.scalar(
                select(Referral.id)
                .join(Referral.children)
                .where(Child.id == sib.id, Referral.status.in_(OPEN), Referral.id != (ref.id or 0))
                .limit(1)
            )
            if clash is not None:
                raise Conflict(f"sibling {sib.la_child_id!r} is already on open referral {clash}")
        ref.children = [child, *siblings]
    elif child not in ref.children:
        ref.children.append(child)
    ref.needed_by = URGENCY.label(avail["neededBy"])
    ref.sibling_count = avail.get("siblingCount", len(ref.children) - 1)
    ref.preferred_location_local = avail["isPreferredLocationLocal"]
    reason = avail.get("outOfLAReason")
    ref.out_of_la_reason = OUT_OF_LA_REASON.label(reason) if reason else None
    ref.out_of_la_reason_other = "; ".join(avail.get("outOfLAReasonOther", [])) or None
    if ext.allow_split is not None:
        ref.allow_split = ext.allow_split
    session.flush()
    placement, placement_new = _placement(session, who, child, ref, row, data, ext, warnings)
    if "actualPlacement" in data:
        ref.status = "placed"
    if placement_new:
        created.append("placement")
    if row is None:
        row = NpsRecordRow(la_id=la.id, child_id=child.id, referral_id=ref.id)
        session.add(row)
    row.record_key = key
    row.placement_id = placement.id if placement is not None else None
    row.standard = _standard(data, placement)
    session.flush()
    audit.record(
        session, who, "update", "child", [child.id], detail=f"NPS record imported to referral {ref.id}"
    )
    return ImportResult(child.id, ref.id, row.placement_id, created, warnings)
