# `_`-prefixed files are skipped: this is not a spec and must not be loaded.
this is not python
