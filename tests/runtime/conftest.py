"""Fixtures for the runtime tests; builders live in rtkit.py."""

from __future__ import annotations

import pytest

from contractspec import runtime


@pytest.fixture
def rt():
    return runtime
