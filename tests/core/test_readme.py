"""README.md's Layout section lists every module of the code, so it stays true as modules come and go."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("views", "components", "playground", "bench")


def _blocks(text: str, indent: str) -> dict[str, str]:
    """Bullets at `indent`, keyed by the first `name` they open with (e.g. "views/", "schema/")."""
    out: dict[str, str] = {}
    for block in re.split(rf"\n(?={re.escape(indent)}- )", "\n" + text):
        if m := re.match(rf"{re.escape(indent)}- `([^`]+)`", block.strip("\n")):
            out[m.group(1)] = block
    return out


def test_the_layout_section_lists_every_module() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    top = _blocks(layout, "")
    missing = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "__init__.py" or "__pycache__" in path.parts:
                continue
            block = top.get(f"{folder}/", "")
            parts = path.relative_to(ROOT / folder).parts
            if len(parts) > 1:  # a subpackage: its own bullet inside the folder's
                block = _blocks(block.split("\n", 1)[-1], "  ").get(f"{parts[0]}/", "")
            if f"`{path.name}`" not in block:
                missing.append(str(path.relative_to(ROOT)))
    assert missing == []
