"""NPS import/export: the standard's examples, the shape's rules, round trips (see api_schemas/nps.py)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from api_schemas import nps
from rcc.auth import SYSTEM
from rcc.db.models import Child, Home, LocalAuthority, NpsRecordRow, Placement, Provider, Referral
from rcc.errors import Conflict, Invalid
from rcc.nps.exporter import export_record
from rcc.nps.importer import import_record

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "nps"
EXAMPLES = FIXTURES / "examples"
VALID = sorted(p.name for p in EXAMPLES.glob("valid-*.jsonld"))
# each invalid example and the property its reason must name
INVALID = {
    "invalid-bad-enum.jsonld": {
        "placementRequirements.specificCommunicationRequirement[0]",
        "placementRequirements.pets",
        "riskAssessment.riskSelfHarm",
    },
    "invalid-missing-required.jsonld": {"riskAssessment"},
    "invalid-negative-cost.jsonld": {"actualPlacement.otherWeeklyCost"},
    "invalid-other-missing-text.jsonld": {
        "placementAvailability.outOfLAReasonOther",
        "placementRequirements.culturalNeedsOther",
        "placementRequirements.specificCommunicationRequirementOther",
        "placementRequirements.additionalSupportOther",
    },
    "invalid-postcode.jsonld": {"actualPlacement.placementLocation"},
}
LA = "E08000021"  # Newcastle upon Tyne
EXT = {"la_code": LA, "sex": "female", "birth_month": "2011-03", "home_postcode_sector": "NE1 4"}


def example(name: str, **ext) -> dict:
    doc = json.loads((EXAMPLES / name).read_text())
    doc[nps.EXTENSION_KEY] = {**EXT, **ext}
    return doc


def standard(doc: dict) -> dict:
    """The standard's content of a record as concepts (key order, labels vs local names, 2500.00 vs 2500 aside)."""
    return nps.parse_record(doc).data


def test_every_example_is_covered():
    assert set(VALID) == {
        "valid-neededby-symbolic.jsonld",
        "valid-other-options.jsonld",
        "valid-placement.jsonld",
    }
    assert {p.name for p in EXAMPLES.glob("invalid-*")} == set(INVALID) | {"invalid-cost-out-of-range.jsonld"}


def test_vocabularies_are_the_shapes_and_the_contexts():
    shape = (FIXTURES / "shacl-shape.ttl").read_text()
    in_lists = {
        tuple(re.findall(r"\w+:(\w+)", m.group(2)))
        for m in re.finditer(r"sh:path pl:(\w+) ;[^\]]*?sh:in \(([^)]*)\)", shape, re.S)
    }
    ours = [
        nps.URGENCY, nps.OUT_OF_LA_REASON, nps.PRESENCE, nps.COMMUNICATION_NEED, nps.CULTURAL_NEED,
        nps.LIVING_ARRANGEMENT, nps.PETS, nps.SUPPORT_TYPE, nps.SUITABILITY, nps.RISK_LEVEL, nps.PLACEMENT_TYPE,
    ]  # fmt: skip
    assert {v.concepts for v in ours} == in_lists
    assert nps.POSTCODE_PREFIX.pattern in shape
    ctx = json.loads((FIXTURES / "context.jsonld").read_text())["@context"]
    for name in nps.NODES:
        for prop in nps.node_props(name)[1]:
            if not isinstance(prop.kind, nps.Vocab):
                continue
            scoped = ctx[prop.name].get("@context", {})
            for label, iri in scoped.items():
                if label == "@vocab":
                    continue
                concept = iri.split(":", 1)[1]
                assert prop.kind.resolve(label) == (concept, True), (name, prop.name, label)
            for concept in prop.kind.concepts:  # every label we write is one the context maps (or @vocab)
                label = prop.kind.label(concept)
                assert label == concept or scoped.get(label, "").endswith(":" + concept)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_examples_are_rejected_naming_the_property(name, session):
    with pytest.raises(Invalid) as exc:
        import_record(session, SYSTEM, example(name))
    fields = {d.field for d in exc.value.details}
    assert INVALID[name] <= fields, fields
    assert session.scalar(select(Child.id)) is None  # nothing stored


def test_cost_out_of_range_is_a_warning_not_an_error(session):
    doc = example("invalid-cost-out-of-range.jsonld")
    result = import_record(session, SYSTEM, doc)
    assert [w.field for w in result.warnings if "sense-check" in w.message] == [
        "actualPlacement.totalWeeklyCost"
    ]
    assert result.placement_id is None  # URN-9999 is not a registered home: kept in the record only
    assert "actualPlacement.providerURN" in {w.field for w in result.warnings}
    assert export_record(session, SYSTEM, result.referral_id)["actualPlacement"]["totalWeeklyCost"] == 50
    session.rollback()
    with pytest.raises(Invalid) as exc:  # SHACL counts a Warning as non-conformance: strict mode agrees
        import_record(session, SYSTEM, example("invalid-cost-out-of-range.jsonld"), strict=True)
    assert "actualPlacement.totalWeeklyCost" in {d.field for d in exc.value.details}


def _register_home(session, urn: str, home_type: str = "childrens_home") -> Home:
    la = session.scalar(select(LocalAuthority).where(LocalAuthority.gss_code == LA))
    provider = Provider(name="Acme Care", sector="private")
    home = Home(
        provider=provider, urn=urn, name="N18 House", home_type=home_type, postcode="N18 1", easting=434000,
        northing=565000, la_id=la.id, registered_places=3,
    )  # fmt: skip
    session.add(home)
    session.flush()
    return home


@pytest.mark.parametrize("name", VALID)
def test_valid_examples_import_and_export_reproduces_them(name, session):
    _register_home(session, "ABCD10293002")
    doc = example(name)
    result = import_record(session, SYSTEM, doc)
    assert result.created[:2] == ["child", "referral"]
    out = export_record(session, SYSTEM, result.referral_id)
    assert out["@context"] == nps.CONTEXT_URL and out["@type"] == "Placement"
    assert standard(out) == standard(doc)
    for node in nps.NODES:  # the same properties, node by node
        assert set(out.get(node, {})) == set(doc.get(node, {})) - {"placementId"}
    assert [w for w in result.warnings if w.field != "actualPlacement.placementLocation"] == []


def test_a_registered_provider_urn_makes_the_placement(session):
    home = _register_home(session, "ABCD10293002")
    result = import_record(session, SYSTEM, example("valid-placement.jsonld"))
    assert result.created == ["child", "referral", "placement"]
    p = session.get(Placement, result.placement_id)
    assert (p.home_id, p.start_date.isoformat(), p.weekly_total) == (home.id, "2024-03-21", 4500)
    assert (p.weekly_core, p.weekly_additional_support, p.weekly_education, p.weekly_other) == (
        2500,
        1500,
        0,
        500,
    )
    ref = session.get(Referral, result.referral_id)
    assert (ref.status, ref.needed_by, ref.sibling_count, ref.out_of_la_reason) == (
        "placed",
        "< 5 days",
        2,
        "Court order",
    )
    child = session.get(Child, result.child_id)
    assert child.risks == ["riskSelfHarm", "riskMissing"] and child.living_companions == "only_younger"
    assert (child.suitability["foster"], child.suitability["residential"]) == ("preferred", "suitable")
    assert child.communication_needs == ["ESOL"] and child.birth_month.isoformat() == "2011-03-01"


def test_placement_type_must_match_the_home(session):
    _register_home(session, "ABCD10293002", home_type="ifa_foster")
    with pytest.raises(Invalid) as exc:
        import_record(session, SYSTEM, example("valid-placement.jsonld"))
    assert exc.value.details[0].field == "actualPlacement.placementType"


def _stored(session, result) -> dict:
    session.expire_all()
    child = session.get(Child, result.child_id)
    ref = session.get(Referral, result.referral_id)
    rows = session.scalars(select(NpsRecordRow).where(NpsRecordRow.referral_id == ref.id)).all()
    placements = session.scalars(select(Placement).where(Placement.child_id == child.id)).all()
    skip = {"id", "created_at", "updated_at"}

    def cols(obj):
        return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in skip}

    return {
        "child": cols(child),
        "referral": cols(ref),
        "children": [c.id for c in ref.children],
        "records": [cols(r) for r in rows],
        "placements": [cols(p) for p in placements],
        "referrals": session.scalar(select(Referral.id).order_by(Referral.id.desc())),
    }


@pytest.mark.parametrize("name", VALID)
def test_import_of_the_export_keeps_the_stored_data(name, session):
    _register_home(session, "ABCD10293002")
    first = import_record(
        session, SYSTEM, example(name, school_postcode_sector="NE1 4", wishes="Stay near my nan.")
    )
    before = _stored(session, first)
    again = import_record(session, SYSTEM, export_record(session, SYSTEM, first.referral_id))
    assert (again.referral_id, again.child_id, again.placement_id, again.created) == (
        first.referral_id, first.child_id, first.placement_id, [],
    )  # fmt: skip
    assert _stored(session, again) == before


def test_siblings_are_named_in_the_extension(session):
    for cid in ("SIB1", "SIB2"):
        doc = example("valid-neededby-symbolic.jsonld")
        doc["childId"], doc["placementId"] = cid, f"PLC-{cid}"
        import_record(session, SYSTEM, doc)
        session.scalar(select(Referral).order_by(Referral.id.desc())).status = "closed"
    doc = example("valid-placement.jsonld", sibling_child_ids=["SIB1"])
    with pytest.raises(Invalid) as exc:  # siblingCount is 2
        import_record(session, SYSTEM, doc)
    assert exc.value.details[0].field == "rcc:extension.sibling_child_ids"
    doc = example("valid-placement.jsonld", sibling_child_ids=["SIB1", "NOPE"])
    with pytest.raises(Invalid) as exc:
        import_record(session, SYSTEM, doc)
    assert exc.value.details[0].field == "rcc:extension.sibling_child_ids[1]"
    del doc["actualPlacement"]
    doc[nps.EXTENSION_KEY]["sibling_child_ids"] = ["SIB1", "SIB2"]
    result = import_record(session, SYSTEM, doc)
    ref = session.get(Referral, result.referral_id)
    assert (
        sorted(c.la_child_id for c in ref.children) == ["ABCD2012", "SIB1", "SIB2"] and ref.sibling_count == 2
    )
    out = export_record(session, SYSTEM, ref.id)
    assert out[nps.EXTENSION_KEY]["sibling_child_ids"] == ["SIB1", "SIB2"]


def test_a_new_child_needs_the_extension(session):
    doc = example("valid-neededby-symbolic.jsonld")
    doc[nps.EXTENSION_KEY] = {"la_code": LA}
    with pytest.raises(Invalid) as exc:
        import_record(session, SYSTEM, doc)
    assert {d.field for d in exc.value.details} == {
        "rcc:extension.sex", "rcc:extension.birth_month", "rcc:extension.home_postcode_sector",
    }  # fmt: skip
    doc[nps.EXTENSION_KEY] = {**EXT, "home_postcode_sector": "NE1 4ST"}  # sector at most
    with pytest.raises(Invalid) as exc:
        import_record(session, SYSTEM, doc)
    assert exc.value.details[0].field == "rcc:extension.home_postcode_sector"
    doc[nps.EXTENSION_KEY] = {**EXT, "colour": "blue"}
    with pytest.raises(Invalid) as exc:
        import_record(session, SYSTEM, doc)
    assert exc.value.details[0].field == "rcc:extension.colour"


def test_reimport_updates_and_a_placement_cannot_be_undone(session):
    _register_home(session, "ABCD10293002")
    doc = example("valid-placement.jsonld")
    first = import_record(session, SYSTEM, doc)
    doc["actualPlacement"]["otherWeeklyCost"] = 600.0
    doc["actualPlacement"]["totalWeeklyCost"] = 4600
    doc["riskAssessment"]["riskMissing"] = "No known risk"
    again = import_record(session, SYSTEM, doc)
    assert (again.referral_id, again.placement_id, again.created) == (
        first.referral_id,
        first.placement_id,
        [],
    )
    assert session.get(Placement, first.placement_id).weekly_total == 4600
    assert session.get(Child, first.child_id).risks == ["riskSelfHarm"]
    assert export_record(session, SYSTEM, first.referral_id)["actualPlacement"]["totalWeeklyCost"] == 4600
    del doc["actualPlacement"]
    with pytest.raises(Conflict):
        import_record(session, SYSTEM, doc)


def test_parse_accepts_labels_local_names_and_iris():
    doc = json.loads((EXAMPLES / "valid-placement.jsonld").read_text())
    doc["riskAssessment"]["riskSelfHarm"] = "rl:RiskPresent"
    doc["riskAssessment"]["riskMissing"] = nps.PREFIXES["rl"] + "RiskPresent"
    doc["placementRequirements"]["additionalSupport"] = "Taxis to school"  # a single value for a @set
    assert standard(doc) == standard(json.loads((EXAMPLES / "valid-placement.jsonld").read_text()))
    doc["placementRequirements"]["pets"] = "no"
    rec = nps.parse_record(doc)
    assert (
        rec.data["placementRequirements"]["pets"] == "No"
        and rec.warnings[0].field == "placementRequirements.pets"
    )
    doc["actualPlacement"]["totalWeeklyCost"] = "lots"
    doc["qualityAssurance"]["costDate"] = "25/03/2024"
    doc["placementAvailability"]["siblingCount"] = -1
    with pytest.raises(nps.NpsInvalid) as exc:
        nps.parse_record(doc)
    assert {p.field for p in exc.value.errors} == {
        "actualPlacement.totalWeeklyCost", "qualityAssurance.costDate", "placementAvailability.siblingCount",
    }  # fmt: skip
    assert nps.parse_record(json.loads((EXAMPLES / "valid-placement.jsonld").read_text())).data[
        "actualPlacement"
    ]["coreWeeklyCost"] == Decimal("2500")
