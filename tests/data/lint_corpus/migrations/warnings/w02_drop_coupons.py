# Dropping a live table: the same advice.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

coupons = MigrationSpec(
    meta=MigrationMeta(
        name="warnings.db.w02_drop_coupons",
        version=1,
        title="Coupons go",
        domain="warnings",
        owners=["team-warnings"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="DROP TABLE coupons",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["billing.db.2025_05_coupons"],
)
# expect: migrations/warnings/w02_drop_coupons.py:16:22: warning ban-drop-table @ DROP TABLE coupons
