# A data step that proves its work with a post-check.
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec

backfill_display_names = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_05_backfill_display_names",
        version=1,
        title="Backfill display names",
        domain="core",
        owners=["team-core"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            DataStep(
                script="""
UPDATE users SET display_name = split_part(email, '@', 1) WHERE display_name IS NULL
""",
                post_checks=[
                    MigrationCheck(description="every user has a display name", expression="SELECT count(*) = 0 FROM users WHERE display_name IS NULL")
                ],
            ),
        ],
        # Irreversible: the names users had (none) are not worth keeping.
        down=None,
    ),
    dependencies=["core.db.2025_01_users"],
)
