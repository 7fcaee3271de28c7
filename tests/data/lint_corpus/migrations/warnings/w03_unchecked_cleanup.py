# A data step nothing proves.
from contractspec import DataStep, MigrationMeta, MigrationPlan, MigrationSpec

cleanup = MigrationSpec(
    meta=MigrationMeta(
        name="warnings.db.w03_unchecked_cleanup",
        version=1,
        title="Forget old events",
        domain="warnings",
        owners=["team-warnings"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            DataStep(
                script="DELETE FROM events WHERE at < now() - interval '2 years'",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["audit.db.2025_03_events"],
)
# expect: migrations/warnings/w03_unchecked_cleanup.py:15:13: warning data-step-without-post-check @ DataStep(
