def fill(conn):
    return 0
