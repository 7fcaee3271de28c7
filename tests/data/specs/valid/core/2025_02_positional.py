# Positional arguments wherever the model allows them; a tuple reads as a list.
from contractspec import MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    MigrationMeta("core.db.2025_02_positional", 1, "Positional form", "All positional.", "core", ["team-core"], ["x"], "idea"),
    MigrationPlan(
        (
            SchemaStep("CREATE INDEX users_email ON users (email)", pre_checks=[MigrationCheck("users exists", "SELECT 1")]),
            ValidationStep("SELECT 1"),
        ),
        [SchemaStep("DROP INDEX users_email")],
    ),
    ["core.db.2025_01_add_users.v1"],
)
