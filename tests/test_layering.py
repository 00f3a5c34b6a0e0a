"""The engine and everything under it never import Textual (rule 1 of the house)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "claw_tui"
UI_FREE = ["engine", "providers", "tools", "permissions", "mcp", "bus.py", "events.py", "config.py", "watch.py",
           "headless.py"]


@pytest.mark.parametrize("module", [
    "claw_tui.engine.session", "claw_tui.engine.agent", "claw_tui.providers.anthropic", "claw_tui.providers.openai",
    "claw_tui.tools.registry", "claw_tui.permissions.policy", "claw_tui.bus", "claw_tui.watch", "claw_tui.headless",
])
def test_importing_does_not_load_textual(module):
    code = f"import sys, {module}; print([m for m in sys.modules if m == 'textual' or m.startswith('textual.')])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_ui_free_source_mentions_textual():
    offenders = []
    for entry in UI_FREE:
        path = PKG / entry
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for f in files:
            tree = ast.parse(f.read_text())
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                if any(n == "textual" or n.startswith(("textual.", "claw_tui.ui")) for n in names):
                    offenders.append(f"{f.relative_to(PKG)}:{node.lineno}")
    assert offenders == []


def test_engine_import_does_not_load_provider_sdks():
    code = ("import sys, claw_tui.engine.session, claw_tui.headless; "
            "print([m for m in ('anthropic', 'openai', 'mcp') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
