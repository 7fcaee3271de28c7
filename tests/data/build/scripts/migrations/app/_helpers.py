"""A data-step function: called with the open connection, inside the migration's transaction."""


def tidy(connection):
    connection.execute("UPDATE notes SET body = upper(body)")
