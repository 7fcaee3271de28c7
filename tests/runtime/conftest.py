"""Fixtures for the runtime tests; builders live in rtkit.py."""

from __future__ import annotations

import pytest

from contractspec.runtime import harness_runtime


@pytest.fixture
def rt():
    return harness_runtime
