"""The runtime package stays in modules a reader can hold (docs/runtime.md,
"The package": about 450 lines each)."""

from __future__ import annotations

from pathlib import Path

import contractspec.runtime

PACKAGE = Path(contractspec.runtime.__file__).parent


def test_no_runtime_module_is_over_about_450_lines():
    sizes = {
        module.name: len(module.read_text(encoding="utf-8").splitlines())
        for module in PACKAGE.glob("*.py")
    }
    assert len(sizes) > 20
    assert {name: lines for name, lines in sizes.items() if lines > 460} == {}
