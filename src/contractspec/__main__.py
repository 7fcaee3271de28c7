"""`python -m contractspec`: the same as the `contractspec` command."""

from .cli import main

main()
