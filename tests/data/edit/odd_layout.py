# A spec written by hand, in no particular style.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name='core.db.2025_05_odd',  # the name never changes
        # bumped when the migration changes
        version=3,
        title='Odd layout',
        description=(
            "A description that was long enough "
            "to be split over two lines."
        ),
        owners=['team-core']  # no trailing comma here
    ),
    plan=MigrationPlan(up=[SchemaStep('CREATE TABLE odd (id INTEGER)')]),  # one line

    # dependencies come last
    dependencies=['core.db.2025_01_add_users']
)
