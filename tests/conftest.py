"""Shared fixtures."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Upstream reference data (chart values, CRD schemas, chart archives), kept in
# the repository with its provenance (reference/PROVENANCE.md).
REFERENCE_DIR = ROOT / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    assert REFERENCE_DIR.is_dir(), f"reference data not found at {REFERENCE_DIR}"
    return REFERENCE_DIR
