import contractspec as cs

VERSION = 2
OWNERS = ["team-core"]

migration = cs.MigrationSpec(
    meta=cs.MigrationMeta(
        name="core.db.module_alias",
        version=VERSION,
        title="Through the module",
        owners=OWNERS,
    ),
    plan=cs.MigrationPlan(
        up=[cs.SchemaStep(sql="SELECT 1")],
    ),
)
