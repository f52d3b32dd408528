"""Where the suite's own tests find the project, and how a pytester project loads the suite.

A pytester project gets the checkout's own ``conftest.py`` (the one line that loads both
plugins) or, for plugin-only sessions, the one documented line of the comparison plugin.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPARISON_PLUGIN_ONLY = 'pytest_plugins = ["gst_compare.pytest_plugin"]'


def load_suite(pytester: pytest.Pytester, ini_lines: str = "") -> None:
    """The suite's conftest and config tree in ``pytester.path``; output stays under it."""
    pytester.makeconftest((ROOT / "conftest.py").read_text(encoding="utf-8"))
    pytester.makeini(f"[pytest]\ngst_config_dir = {ROOT / 'configs'}\n{ini_lines}")
