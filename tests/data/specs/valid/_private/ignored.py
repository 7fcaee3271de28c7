# Files under `_`-prefixed folders are skipped too.
this is not python
