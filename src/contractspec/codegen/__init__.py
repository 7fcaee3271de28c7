"""Spec → harness source.

- `literals`: the one safe literal emitter (every spec string goes through it)
- `scripts`: data-step script classification, location and pinning
- `naming`: harness module names and paths (`harness_path(config, key)`)
- `view`: the plain-data view model templates are fed, and MIGRATION's data
- `render`: jinja2 (templates/harness.py.j2, the per-spec head)
- `generate`: the pipeline (resolve → fingerprint → render → format →
  assemble, the head then the constant tail, templates/harness_tail.py)
- `runtime_package`: the runtime package's files, as build writes them

Spec fingerprints are `contractspec.fingerprint`'s (the loader's spec cache
keeps them too). Importing this package is cheap: jinja2 and black load only
when used.
"""
