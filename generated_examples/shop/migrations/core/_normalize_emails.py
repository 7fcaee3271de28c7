"""Called by core.db.2025_03_backfill_display_names with the open connection.

It runs inside the migration's transaction: raising rolls everything back.
"""


def normalize(connection):
    connection.execute(
        "UPDATE users SET email = lower(email) WHERE email <> lower(email)"
    )
