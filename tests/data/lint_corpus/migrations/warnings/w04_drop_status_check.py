# Dropping a live table's constraint: running code may rely on it.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

status_check = MigrationSpec(
    meta=MigrationMeta(
        name="warnings.db.w04_drop_status_check",
        version=1,
        title="Any status goes",
        domain="warnings",
        owners=["team-warnings"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE orders DROP CONSTRAINT orders_status_known",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["billing.db.2025_02_orders"],
)
# expect: migrations/warnings/w04_drop_status_check.py:16:41: warning ban-drop-constraint @ DROP CONSTRAINT orders_status_known
