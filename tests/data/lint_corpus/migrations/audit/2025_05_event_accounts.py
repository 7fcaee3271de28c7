# A foreign key on a live table: NOT VALID first, validated outside the transaction.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

event_accounts = MigrationSpec(
    meta=MigrationMeta(
        name="audit.db.2025_05_event_accounts",
        version=1,
        title="Events refer to their account",
        domain="audit",
        owners=["team-audit"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
ALTER TABLE events ADD CONSTRAINT events_account_fk
    FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID
""",
                timeout_ms=5000,
            ),
            SchemaStep(
                sql="ALTER TABLE events VALIDATE CONSTRAINT events_account_fk",
                transactional=False,
            ),
        ],
        down=[
            SchemaStep(
                sql="ALTER TABLE events DROP CONSTRAINT events_account_fk",
            ),
        ],
    ),
    dependencies=["audit.db.2025_03_events"],
)
