"""Spec → harness source.

- `literals`: the one safe literal emitter (every spec string goes through it)
- `fingerprint`: spec fingerprints (canonical JSON + pinned files)
- `scripts`: data-step script classification, location and pinning
- `naming`: harness module names and paths (`harness_path(config, key)`)
- `view`: the plain-data view model templates are fed
- `render`: jinja2 (templates/harness.py.j2, templates/harness_tail.py.j2)
- `generate`: the pipeline (resolve → fingerprint → render → format → assemble)

Importing this package is cheap: jinja2 and black load only when used.
"""

from .naming import harness_path, module_name

__all__ = ["harness_path", "module_name"]
