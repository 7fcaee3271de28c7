# Two columns at once: one nullable, one with a constant default.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

users_last_seen = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_10_users_last_seen",
        version=1,
        title="Users' last sign-in",
        domain="core",
        owners=["team-core"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
ALTER TABLE users ADD COLUMN last_seen_at timestamptz, ADD COLUMN sign_ins bigint NOT NULL DEFAULT 0
""",
            ),
        ],
        down=[
            SchemaStep(
                sql="ALTER TABLE users DROP COLUMN last_seen_at, DROP COLUMN sign_ins",
            ),
        ],
    ),
    dependencies=["core.db.2025_01_users"],
)
