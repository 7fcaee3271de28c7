# A data backfill in two parts: plain SQL from a file, then Python for what SQL can't say.
from contractspec import (
    DataStep,
    MigrationCheck,
    MigrationMeta,
    MigrationPlan,
    MigrationSpec,
)

backfill = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_03_backfill_display_names",
        version=1,
        title="Backfill display names",
        description="Users created before display names existed get a placeholder name.",
        domain="core",
        owners=["team-core"],
        tags=["data", "backfill"],
        stability="beta",
    ),
    plan=MigrationPlan(
        up=[
            DataStep(
                script="backfill_display_names.sql",
                description="Give nameless users a placeholder name",
                timeout_ms=30000,
                retries=3,
                post_checks=[
                    MigrationCheck(
                        description="every user has a display name",
                        expression="SELECT COUNT(*) = 0 FROM users WHERE display_name IS NULL",
                    )
                ],
            ),
            DataStep(
                script="_normalize_emails.py:normalize",
                description="Lower-case every email",
                timeout_ms=30000,
            ),
        ],
        down=[
            DataStep(
                script="UPDATE users SET display_name = NULL WHERE display_name = 'user-' || id",
                description="Forget the placeholder names (emails stay lower-case)",
            )
        ],
    ),
    dependencies=["core.db.2025_01_add_users"],
)
