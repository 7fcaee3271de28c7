def present(connection):
    pass
