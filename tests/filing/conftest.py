"""The filing tests walk canteens through the designation lifecycle themselves: the shared fixture
canteens start not designated here (elsewhere they are designated so their meals carry benefits)."""

from __future__ import annotations

import pytest

import tests.conftest as shared


@pytest.fixture(autouse=True)
def _canteens_start_undesignated(monkeypatch):
    monkeypatch.setitem(shared.fixture_designation, "from", None)
