"""`contractspec lint`: the specs to read, then the lint core (`contractspec.lint`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from .. import runtime
from ..config import load_config
from ..errors import UsageError
from ..lint import ERROR, WARNING, LintReport, Reviewed, lint_specs
from ..lint.risk import assess
from ..loader import LoadedSpec
from ..project import Project, open_project


def _changed_specs(project: Project, ref: str) -> list[LoadedSpec]:
    """Specs whose file, or a `.sql` file one of their data steps runs, changed since ref."""
    from ..codegen.scripts import SQL_FILE, classify_script
    from ..vcs import changed_files

    changed = changed_files(project.config.root, ref)
    chosen = []
    for spec in project.registry.list():
        loaded = project.specs[spec.key]
        folder = (project.config.root / loaded.path).parent
        scripts = {
            project.config.relative(folder / step.payload)
            for direction in ("up", "down")
            for step in getattr(spec.plan, direction) or []
            if step.kind == "data" and classify_script(step.payload) == SQL_FILE
        }
        if loaded.path in changed or scripts & changed:
            chosen.append(loaded)
    return chosen


def lint(
    references: Sequence[str] = (),
    *,
    project: Path | None = None,
    database: str | None = None,
    environment: str | None = None,
    changed_since: str | None = None,
    strict: bool = False,
    use_squawk: bool = True,
) -> LintReport:
    if references and changed_since:
        raise UsageError("give migration names or --changed-since, not both")
    # --env names the target (is it protected?) and maybe the dialect; lint never connects
    config = load_config(project, database, environment, connecting=False)
    proj = open_project(config=config)
    if references:
        keys = dict.fromkeys(proj.registry.lookup(ref).key for ref in references)
        specs = [proj.specs[key] for key in keys]
    elif changed_since is not None:
        specs = _changed_specs(proj, changed_since)
    else:
        specs = [proj.specs[spec.key] for spec in proj.registry.list()]
    # In the order they run, with what runs before them (read for context only).
    chosen = {loaded.key for loaded in specs}
    ordered = [proj.specs[spec.key] for spec in proj.registry.order(chosen)]
    with runtime.interruptible():  # SIGTERM, like Ctrl-C, stops squawk too
        report = lint_specs(ordered, config, use_squawk=use_squawk, reported=chosen)
    linted = [loaded for loaded in ordered if loaded.key in chosen]
    risks = assess(linted, config)
    report.reviewed = [
        Reviewed(
            loaded.key,
            loaded.path,
            loaded.spec.meta.stability,
            tuple(loaded.spec.meta.owners),
            tuple(
                handle
                for owner in loaded.spec.meta.owners
                for handle in config.handles(owner) or ()
            ),
            risks[loaded.key],
        )
        for loaded in linted
    ]
    if strict:  # every warning counts as an error
        report.findings = [
            dataclasses.replace(f, severity=ERROR) if f.severity == WARNING else f
            for f in report.findings
        ]
    return report
