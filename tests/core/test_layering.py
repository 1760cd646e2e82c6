"""The core package never imports Streamlit (DESIGN.md's layers): it must run in the gateway and in tests alone."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import playground

ROOT = Path(__file__).resolve().parents[2]


def test_no_core_module_imports_streamlit() -> None:
    names = [m.name for m in pkgutil.walk_packages(playground.__path__, "playground.") if not m.name.endswith("__main__")]
    assert "playground.request" in names and "playground.local.server" in names
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'streamlit' or m.startswith('streamlit.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
