# What `migrate create` wrote, never replaced.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

migration = MigrationSpec(
    meta=MigrationMeta(name="lint.pg.placeholder", version=1, title="Placeholder", owners=["t"], stability="in_creation"),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                "\n-- Write the forward SQL here; every statement runs in one transaction.\nSELECT 1\n",
                description="Forward change",
            ),
        ],
        down=None,
    ),
)
# expect: placeholder.py:5:108: warning in-creation @ "in_creation"
# expect: placeholder.py:9:20: error scaffold-placeholder @ -- Write the forward SQL here
# expect: placeholder.py:13:14: warning irreversible-without-reason @ None
