from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep
spec = MigrationSpec(MigrationMeta("core.db.one_line", 1, "One line", owners=["me"]), MigrationPlan([SchemaStep("SELECT 1")]))
