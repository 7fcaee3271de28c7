"""`python -m contractspec`: the same as the `contractspec` command."""

from .entry import main

main()
