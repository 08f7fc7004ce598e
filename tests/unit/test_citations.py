"""A reader of the repository finds everything it cites: no code, test, script or document
cites the project's design notes or fact sheets kept outside it (they are not in the
repository). Cite docs/ (docs/architecture.md holds the layers, budgets and contract) or
name AWS's public pages."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# built from parts, so this file does not match itself
OUTSIDE = re.compile("|".join([r"DESIGN" + r"\.md", r"\breference" + "/", r"\breference\s*" + "\u00a7",
                               r"shared/" + "reference"]))


def test_no_file_cites_a_document_outside_the_repository():
    found = []
    for folder, patterns in (("hsmshell", "*.py"), ("tests", "*.py"), ("scripts", "*.py"),
                             ("docs", "*.md"), ("roles", "*"), (".", "README.md")):
        for path in sorted((ROOT / folder).rglob(patterns) if folder != "." else [ROOT / patterns]):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if OUTSIDE.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert found == [], "\n".join(found)
