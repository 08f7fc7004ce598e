"""The inventory of AWS's example sessions (inventory.py) is complete and honest: every code
block with a prompt is listed, every test it names exists, and the numbers of the closing
note are counted from it."""

from __future__ import annotations

import importlib
import re

from inventory import EXTRA, INVENTORY
from page_text import PAGE

PROMPT = re.compile(r"^\s*(aws-cloudhsm ?>|server ?\d* ?>|Command:)\s*\S", re.M)
SYNTAX = ("<command-name>", "<user type>")


def test_every_block_with_a_prompt_is_in_the_inventory():
    prompted = {key for key, body in PAGE.items()
                if PROMPT.search(body) and not any(marker in body for marker in SYNTAX)}
    assert sorted(prompted - set(INVENTORY)) == []


def test_every_named_test_exists():
    for value in [*(target for kind, target in INVENTORY.values() if kind == "test"), *EXTRA.values()]:
        module, name = value.split(".")
        assert callable(getattr(importlib.import_module(module), name, None)), value


def test_every_entry_is_a_known_kind_with_a_reason():
    for key, (kind, target) in INVENTORY.items():
        assert kind in ("test", "command only", "left out") and target, key


def counts() -> dict[str, int]:
    """Sessions found (the blocks that show output), reproduced, left out."""
    kinds = [kind for kind, _ in INVENTORY.values()]
    return {"found": kinds.count("test") + kinds.count("left out"), "reproduced": kinds.count("test"),
            "left out": kinds.count("left out"), "command only": kinds.count("command only")}


def test_the_counts():
    c = counts()
    assert c["found"] == c["reproduced"] + c["left out"]
    print(c)


def test_only_sessions_of_commands_not_emulated_are_left_out():
    """Every other session is reproducible (the contradictory pages with named corrections):
    a session left out names a command hsmshell does not have."""
    from hsmshell.commands import command_table
    table = {spec.name for spec in command_table()}
    left = {page.split("-", 1)[1] for (page, _), (kind, _) in INVENTORY.items() if kind == "left out"}
    assert left & table == set(), left & table
