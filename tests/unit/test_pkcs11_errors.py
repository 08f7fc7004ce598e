"""docs/pkcs11.md's error table is what the pkcs11 backend does: each CKR_ code it names gives
that reference and exit status (backends/pkcs11/errors.py), CKR_ACTION_PROHIBITED included,
which python-pkcs11 raises only as "Unmapped error code 0x1b"; any other code is token-error
naming the code. Fake exceptions stand in for python-pkcs11's: the mapping goes by class name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hsmshell.backends.pkcs11.errors import _TABLE, token_error

DOC = Path(__file__).resolve().parents[2] / "docs" / "pkcs11.md"


def _documented() -> list[tuple[str, str, int]]:
    rows = []
    for line in DOC.read_text().split("## Errors", 1)[1].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].startswith("`"):
            reference = cells[1].split("`")[1]
            for ckr in re.findall(r"CKR_[A-Z_]+", cells[0]):
                rows.append((ckr, reference, int(cells[2])))
    return rows


def _raised(ckr: str) -> Exception:
    if ckr == "CKR_ACTION_PROHIBITED":
        return type("PKCS11Error", (Exception,), {})("Unmapped error code 0x1b")
    [name] = [name for name, row in _TABLE.items() if row[0] == ckr]
    return type(name, (Exception,), {})()


DOCUMENTED = _documented()


def test_the_doc_table_was_read():
    assert len(DOCUMENTED) >= 15 and ("CKR_ACTION_PROHIBITED", "permission-denied", 3) in DOCUMENTED


@pytest.mark.parametrize("ckr,reference,status", DOCUMENTED)
def test_each_documented_code_gives_its_reference_and_exit(ckr, reference, status):
    error = token_error(_raised(ckr), "C_Sign")
    assert (error.reference, int(error.status)) == (reference, status)
    assert ckr in str(error) and "C_Sign" in str(error) and "\n" not in str(error)


def test_any_other_code_is_token_error_naming_it():
    error = token_error(type("PKCS11Error", (Exception,), {})("Unmapped error code 0x80000123"), "C_Sign")
    assert (error.reference, int(error.status)) == ("token-error", 1) and "0x80000123" in str(error)
