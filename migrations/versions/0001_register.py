"""The register: LAs, RCCs, providers, homes, vacancies, children, referrals, placements,
API keys, the append-only audit trail and persisted jobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:51:53.692535
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
]
APPEND_ONLY_POSTGRES = [
    "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$",
    "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_entity_id"), ["entity_id"], unique=False)

    op.create_table(
        "local_authorities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gss_code", sa.String(length=9), nullable=False),
        sa.Column("dfe_code", sa.String(length=3), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("region", sa.String(length=60), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("easting", sa.Float(), nullable=True),
        sa.Column("northing", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dfe_code"),
        sa.UniqueConstraint("gss_code"),
    )
    with op.batch_alter_table("local_authorities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_local_authorities_region"), ["region"], unique=False)

    op.create_table(
        "providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sector", sa.String(length=20), nullable=False),
        sa.Column("owner_group", sa.String(length=200), nullable=True),
        sa.Column("companies_house_number", sa.String(length=8), nullable=True),
        sa.Column("difficult_to_replace", sa.Boolean(), nullable=False),
        sa.Column("risk_rating", sa.String(length=10), nullable=True),
        sa.Column("contingency_plan_held", sa.Boolean(), nullable=False),
        sa.Column("contingency_plan_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_providers_owner_group"), ["owner_group"], unique=False)

    op.create_table(
        "rccs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=True),
        sa.Column("rcc_id", sa.Integer(), nullable=True),
        sa.Column("la_id", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["la_id"],
            ["local_authorities.id"],
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["rcc_id"],
            ["rccs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prefix"),
    )
    op.create_table(
        "children",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("la_id", sa.Integer(), nullable=False),
        sa.Column("la_child_id", sa.String(length=40), nullable=False),
        sa.Column("birth_month", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=10), nullable=False),
        sa.Column("ethnicity", sa.String(length=4), nullable=True),
        sa.Column("uasc", sa.Boolean(), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("home_postcode_sector", sa.String(length=8), nullable=False),
        sa.Column("home_easting", sa.Float(), nullable=False),
        sa.Column("home_northing", sa.Float(), nullable=False),
        sa.Column("school_postcode_sector", sa.String(length=8), nullable=True),
        sa.Column("school_easting", sa.Float(), nullable=True),
        sa.Column("school_northing", sa.Float(), nullable=True),
        sa.Column("must_keep_school", sa.Boolean(), nullable=False),
        sa.Column("sibling_group", sa.String(length=40), nullable=True),
        sa.Column("suitability_foster", sa.String(length=20), nullable=False),
        sa.Column("suitability_residential", sa.String(length=20), nullable=False),
        sa.Column("suitability_supported", sa.String(length=20), nullable=False),
        sa.Column("risks", sa.JSON(), nullable=False),
        sa.Column("living_companions", sa.String(length=20), nullable=False),
        sa.Column("places_to_avoid", sa.JSON(), nullable=False),
        sa.Column("cultural_needs", sa.Text(), nullable=True),
        sa.Column("communication_needs", sa.JSON(), nullable=False),
        sa.Column("wishes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["la_id"],
            ["local_authorities.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("la_id", "la_child_id"),
    )
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_children_la_id"), ["la_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_children_sibling_group"), ["sibling_group"], unique=False)

    op.create_table(
        "homes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("urn", sa.String(length=12), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("home_type", sa.String(length=40), nullable=False),
        sa.Column("registration_status", sa.String(length=20), nullable=False),
        sa.Column("ofsted_judgement", sa.String(length=30), nullable=True),
        sa.Column("ofsted_judgement_date", sa.Date(), nullable=True),
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("easting", sa.Float(), nullable=False),
        sa.Column("northing", sa.Float(), nullable=False),
        sa.Column("la_id", sa.Integer(), nullable=False),
        sa.Column("registered_places", sa.Integer(), nullable=False),
        sa.Column("age_min", sa.Integer(), nullable=False),
        sa.Column("age_max", sa.Integer(), nullable=False),
        sa.Column("sexes_accepted", sa.JSON(), nullable=False),
        sa.Column("needs_met", sa.JSON(), nullable=False),
        sa.Column("fee_core", sa.Integer(), nullable=False),
        sa.Column("fee_additional_support", sa.Integer(), nullable=False),
        sa.Column("fee_education", sa.Integer(), nullable=False),
        sa.Column("fee_other", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["la_id"],
            ["local_authorities.id"],
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("urn"),
    )
    with op.batch_alter_table("homes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_homes_home_type"), ["home_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_homes_la_id"), ["la_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_homes_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("rcc_id", sa.Integer(), nullable=True),
        sa.Column("la_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["la_id"],
            ["local_authorities.id"],
        ),
        sa.ForeignKeyConstraint(
            ["rcc_id"],
            ["rccs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_status"), ["status"], unique=False)

    op.create_table(
        "rcc_members",
        sa.Column("rcc_id", sa.Integer(), nullable=False),
        sa.Column("la_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["la_id"],
            ["local_authorities.id"],
        ),
        sa.ForeignKeyConstraint(["rcc_id"], ["rccs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rcc_id", "la_id"),
    )
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("la_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("needed_by", sa.String(length=10), nullable=False),
        sa.Column("sibling_count", sa.Integer(), nullable=False),
        sa.Column("preferred_location_local", sa.Boolean(), nullable=False),
        sa.Column("out_of_la_reason", sa.String(length=40), nullable=True),
        sa.Column("out_of_la_reason_other", sa.Text(), nullable=True),
        sa.Column("allow_split", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["la_id"],
            ["local_authorities.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_la_id"), ["la_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_status"), ["status"], unique=False)

    op.create_table(
        "placements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("home_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("weekly_core", sa.Integer(), nullable=False),
        sa.Column("weekly_additional_support", sa.Integer(), nullable=False),
        sa.Column("weekly_education", sa.Integer(), nullable=False),
        sa.Column("weekly_other", sa.Integer(), nullable=False),
        sa.Column("reason_ended", sa.String(length=6), nullable=True),
        sa.Column("contract", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
        ),
        sa.ForeignKeyConstraint(
            ["home_id"],
            ["homes.id"],
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_placements_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_placements_home_id"), ["home_id"], unique=False)

    op.create_table(
        "referral_children",
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
        ),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("referral_id", "child_id"),
    )
    op.create_table(
        "vacancies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("home_id", sa.Integer(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("available_from", sa.Date(), nullable=False),
        sa.Column("confirmed_by", sa.String(length=120), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["home_id"], ["homes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vacancies_home_id"), ["home_id"], unique=False)

    dialect = op.get_bind().dialect.name
    for stmt in APPEND_ONLY_POSTGRES if dialect == "postgresql" else APPEND_ONLY_SQLITE:
        op.execute(stmt)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vacancies_home_id"))

    op.drop_table("vacancies")
    op.drop_table("referral_children")
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_placements_home_id"))
        batch_op.drop_index(batch_op.f("ix_placements_child_id"))

    op.drop_table("placements")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_status"))
        batch_op.drop_index(batch_op.f("ix_referrals_la_id"))

    op.drop_table("referrals")
    op.drop_table("rcc_members")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_jobs_kind"))

    op.drop_table("jobs")
    with op.batch_alter_table("homes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_homes_provider_id"))
        batch_op.drop_index(batch_op.f("ix_homes_la_id"))
        batch_op.drop_index(batch_op.f("ix_homes_home_type"))

    op.drop_table("homes")
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_children_sibling_group"))
        batch_op.drop_index(batch_op.f("ix_children_la_id"))

    op.drop_table("children")
    op.drop_table("api_keys")
    op.drop_table("rccs")
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_providers_owner_group"))

    op.drop_table("providers")
    with op.batch_alter_table("local_authorities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_local_authorities_region"))

    op.drop_table("local_authorities")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_entity_id"))

    op.drop_table("audit_events")
