# CLUSTER rewrites the table under ACCESS EXCLUSIVE.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

orders = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h18_cluster_orders",
        version=1,
        title="Cluster orders by user",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="CLUSTER orders USING orders_user",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["billing.db.2025_02_orders"],
)
# expect: migrations/hazards/h18_cluster_orders.py:16:22: error table-rewrite @ CLUSTER orders
