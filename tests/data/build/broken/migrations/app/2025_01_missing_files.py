# expect: migrations/app/2025_01_missing_files.py:16:29: script file not found: migrations/app/missing.sql (paths are relative to the spec file's folder)
# expect: migrations/app/2025_01_missing_files.py:17:29: script file not found: migrations/app/nowhere/_gone.py (paths are relative to the spec file's folder)
# expect: migrations/app/2025_01_missing_files.py:18:29: script migrations/app/_real.py defines no top-level 'absent'
# expect: migrations/app/2025_01_missing_files.py:20:31: script file '/etc/abs.sql' must be a path relative to the spec file's folder
from contractspec import DataStep, MigrationMeta, MigrationPlan, MigrationSpec

missing_files = MigrationSpec(
    meta=MigrationMeta(
        name="app.db.2025_01_missing_files",
        version=1,
        title="Scripts that are not there",
        owners=["team-app"],
    ),
    plan=MigrationPlan(
        up=[
            DataStep(script="missing.sql"),
            DataStep(script="nowhere/_gone.py:run"),
            DataStep(script="_real.py:absent", description="the file exists, the function doesn't"),
        ],
        down=[DataStep(script="/etc/abs.sql")],
    ),
)
