"""The core package never imports Streamlit (DESIGN.md's layers): it must run in the gateway and in tests alone."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import playground

ROOT = Path(__file__).resolve().parents[2]


def _import_report() -> dict[str, list[str]]:
    """One fresh interpreter imports every core module, then each component module first in turn (its
    `components` modules dropped before each), and reports the Streamlit modules the core loaded and the
    components that failed to import first."""
    core = [m.name for m in pkgutil.walk_packages(playground.__path__, "playground.") if not m.name.endswith("__main__")]
    assert "playground.request" in core and "playground.local.server" in core
    components = sorted(f"components.{p.stem}" for p in (ROOT / "components").glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, json, sys\n"
        f"for name in {core!r}: importlib.import_module(name)\n"
        "streamlit = sorted(m for m in sys.modules if m == 'streamlit' or m.startswith('streamlit.'))\n"
        "failed = []\n"
        f"for name in {components!r}:\n"
        "    for m in [m for m in sys.modules if m == 'components' or m.startswith('components.')]:\n"
        "        del sys.modules[m]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ImportError as exc:\n"
        "        failed.append(f'{name}: {exc}')\n"
        "print(json.dumps({'streamlit': streamlit, 'failed': failed}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def imported() -> dict[str, list[str]]:
    return _import_report()


def test_no_core_module_imports_streamlit(imported: dict[str, list[str]]) -> None:
    assert imported["streamlit"] == []


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every `from module import name` in the file, relative imports resolved."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            out.extend((module, alias.name) for alias in node.names)
    return out


def test_no_private_name_is_imported_from_another_module() -> None:
    """A private name stays in its module; what a package's modules share lives in a private module of that
    package (e.g. playground/schema/_shared.py), which only that package's modules import."""
    ours = ("playground", "components", "views", "bench")
    offences = []
    for folder in ours:
        for path in sorted((ROOT / folder).rglob("*.py")):
            package = ".".join(path.relative_to(ROOT).parts[:-1])
            for module, name in _imports(path):
                if module.split(".")[0] not in ours:
                    continue
                if name.startswith("_") and not name.startswith("__"):
                    offences.append(f"{path.relative_to(ROOT)}: {name} from {module}")
                private = [i for i, part in enumerate(module.split(".")) if part.startswith("_") and not part.startswith("__")]
                if private and package != ".".join(module.split(".")[: private[0]]):
                    offences.append(f"{path.relative_to(ROOT)}: {module} is private to its package")
    assert offences == []


def test_every_component_imports_first(imported: dict[str, list[str]]) -> None:
    """Each component module imports when it is the first one asked for (a fresh server's first page, or
    run.py's warm-up), so no two components import each other in a cycle (report, compare_view and controls
    offer each other's words, for one)."""
    assert imported["failed"] == []
