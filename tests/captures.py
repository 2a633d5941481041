"""pixiv's real captured API answers, kept in tests/fixtures (personal texts replaced by stand-ins, see
tests/fixtures/README.md), and a loader for them."""

from __future__ import annotations

import json
import re
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(relative: str):
    """A capture as JSON; doc-extracts with trailing commas left by trimming are read leniently."""
    text = (FIXTURES / relative).read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads(re.sub(r",(\s*[\]}])", r"\1", text))
