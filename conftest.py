"""Root fixtures, for the tests and the doctests under src/ alike."""

from __future__ import annotations

import tempfile

import pytest


@pytest.fixture(autouse=True)
def _temp_files_stay_in_pytest_folders(tmp_path, monkeypatch):
    """``tempfile.mkdtemp()`` (the doctests' way to get a folder) makes its folders inside the
    test's own ``tmp_path``, which pytest removes (``tmp_path_retention_policy``), instead of
    leaving them in the system temp folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
