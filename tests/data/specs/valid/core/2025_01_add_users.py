# `import contractspec as cs`: the model classes through a module alias.
import contractspec as cs

AddUsersMigration = cs.MigrationSpec(
    meta=cs.MigrationMeta(
        name="core.db.2025_01_add_users",
        version=1,
        title="Add users table",
        domain="core",
        owners=["team-core", "alice@example.com"],
        stability="beta",
    ),
    plan=cs.MigrationPlan(
        up=[
            cs.SchemaStep(
                "CREATE TABLE users (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, email TEXT NOT NULL)",
                description="Create users",
            ),
            cs.ValidationStep(assertion="SELECT COUNT(*) = 0 FROM users", description="users starts empty"),
        ],
        down=[],  # reversible, and there is nothing to undo
    ),
    dependencies=["core.db.2025_01_add_accounts"],
)
