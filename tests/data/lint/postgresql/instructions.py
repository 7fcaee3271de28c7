# A person's work: its instructions are not SQL (never parsed), its post-checks are.
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="lint.pg.instructions", version=1, title="Manual", owners=["t"]),
    plan=MigrationPlan(
        up=[
            SchemaStep("CREATE TABLE ledger (id bigint PRIMARY KEY, cents bigint NOT NULL)"),
            DataStep(instructions="Ask finance to re-export the March ledger; load it into ledger."),
            DataStep(
                instructions="Reconcile the totals with the bank statement.",
                post_checks=[MigrationCheck("ledger balances", "SELECT sum(cents) = 0 FROM ledger")],
                lint_ignore={"manual-step-not-undone": "DROP TABLE ledger undoes both"},
            ),
            DataStep(
                instructions="Tell support the ledger is back.",
                lint_ignore={
                    "instructions-without-post-check": "nothing in the database says support was told",
                    "manual-step-not-undone": "support can't be untold",
                },
            ),
        ],
        down=[SchemaStep("DROP TABLE ledger")],
    ),
)
# expect: instructions.py:9:13: error instructions-without-post-check @ DataStep(
# expect: instructions.py:9:13: warning manual-step-not-undone @ DataStep(
