"""One function per subcommand (the model: Alembic's command.py).

Commands take plain arguments, return the frozen dataclasses of
`commands.results` (or plain values) and raise ContractspecError; they never
print or exit. `cli` does both. Each opens the project through
`contractspec.project`.
"""
