from contractspec import MigrationMeta as Meta
from contractspec import MigrationPlan as Plan
from contractspec import MigrationSpec as Spec
from contractspec import ValidationStep as Check

SPEC = Spec(
    Meta(
        "core.db.renamed",
        1,
        "Renamed imports",
        owners=["team-core"],
        tags=("a", "b"),
    ),
    Plan(
        [
            Check("SELECT 1"),
        ],
        None,
    ),
)
