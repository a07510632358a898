"""Code blocks of the repository's Markdown documents, for tests that hold them to the code."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT

README = ROOT / "README.md"
INSTRUMENTATION = ROOT / "docs" / "instrumentation.md"
EXAMPLE_AGENT = ROOT / "examples" / "weather_agent.py"

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def code_blocks(document: Path, language: str) -> list[str]:
    """The fenced code blocks of ``document`` in ``language``, as they read (with their final newline)."""
    return [body for lang, body in _FENCE.findall(document.read_text()) if lang == language]


def the_block(document: Path, language: str, containing: str) -> str:
    """The one ``language`` block of ``document`` that contains ``containing``."""
    blocks = [b for b in code_blocks(document, language) if containing in b]
    assert len(blocks) == 1, f"{document.name}: expected one {language} block with {containing!r}, found {len(blocks)}"
    return blocks[0]
