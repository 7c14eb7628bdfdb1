"""Small helpers shared by tests in several folders (tests/ is on sys.path via conftest.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def intervention(name: str, target: str, change: str, effect: str, extra: str = "") -> str:
    """One `[[interventions]]` table of a scenario file, starting 2025-01-01."""
    return f"""
[[interventions]]
name = "{name}"
target = "{target}"
change = "{change}"
effect = {effect}
start = 2025-01-01
{extra}
"""


def load_generator():
    """docs/gen_parameter_table.py as a module."""
    spec = importlib.util.spec_from_file_location("gen_parameter_table", DOCS / "gen_parameter_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
