# A batched backfill: short transactions of 1,000 rows, a post-check at the end.
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec

nickname_backfill = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_06_nickname_backfill",
        version=1,
        title="Backfill nicknames in batches",
        domain="core",
        owners=["team-core"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            DataStep(
                script="""
UPDATE users SET nickname = display_name
WHERE id IN (
    SELECT id FROM users
    WHERE nickname IS NULL AND display_name IS NOT NULL
    LIMIT 1000
)
""",
                batch_size=1000,
                pause_ms=50,
                post_checks=[
                    MigrationCheck(description="no nameable user lacks a nickname", expression="SELECT count(*) = 0 FROM users WHERE nickname IS NULL AND display_name IS NOT NULL")
                ],
            ),
        ],
        # Irreversible: nicknames are only ever added.
        down=None,
    ),
    dependencies=["core.db.2025_04_user_nickname", "core.db.2025_05_backfill_display_names"],
)
