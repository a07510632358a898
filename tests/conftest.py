"""Shared fixtures."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Upstream reference data (chart values, CRD schemas) lives beside the checkout.
REFERENCE_DIR = Path(os.environ.get("MCP_MESH_REFERENCE", ROOT.parent / "shared" / "reference"))


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    assert REFERENCE_DIR.is_dir(), (
        f"reference data not found at {REFERENCE_DIR}; set MCP_MESH_REFERENCE to shared/reference")
    return REFERENCE_DIR
