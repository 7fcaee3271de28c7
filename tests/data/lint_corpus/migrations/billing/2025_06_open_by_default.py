# A default for new rows only: the catalog changes, no row is touched.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

open_by_default = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_06_open_by_default",
        version=1,
        title="New orders start open",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'open'",
            ),
        ],
        down=[
            SchemaStep(
                sql="ALTER TABLE orders ALTER COLUMN status DROP DEFAULT",
            ),
        ],
    ),
    dependencies=["billing.db.2025_02_orders"],
)
