"""The Cfm call each KMU command reports comes from one table (model/opcodes.KMU_CALLS), and
that table says what AWS's key_mgmt_util pages print: for every command a page runs, the call
the table names is one of the `Cfm... returned` lines of its output."""

from __future__ import annotations

import re

from hsmshell.model.opcodes import KMU_CALLS, kmu_call
from page_text import PAGE

COMMAND = re.compile(r"^\s*Command:\s*(\w+)(.*)$")
RETURNED = re.compile(r"^\s*(Cfm\w+:?)(?:\(\))? returned")
# Outputs where the page shows the call of a step before the command's own (the named reason)
NOT_THE_COMMANDS_OWN = {
    ("deleteKey", "a handle no HSM has: the lookup (Cfm3FindKey) fails first"),
    ("unWrapKey", "-noheader: the template calls (Cfm3CreateUnwrapTemplate2, Cfm2UnWrapWithTemplate3)"),
}


def page_calls() -> list[tuple[str, str, str, list[str]]]:
    """(page, command, its arguments, the Cfm calls its output names) for every KMU command
    the pages run that prints a `returned` line."""
    found = []
    for (page, _), text in PAGE.items():
        command = None
        for line in text.splitlines() + ["Command: end"]:
            match = COMMAND.match(line)
            if match:
                if command and calls:
                    found.append((page, command, arguments, calls))
                command, arguments, calls = match.group(1), match.group(2), []
            elif command and RETURNED.match(line):
                calls.append(RETURNED.match(line).group(1))
    return found


def test_the_table_names_each_commands_call_as_the_pages_do():
    excused = {command for command, _ in NOT_THE_COMMANDS_OWN}
    wrong, used, seen = [], [], set()
    for page, command, arguments, calls in page_calls():
        mode = "unwrap" if re.search(r"-m 0\b", arguments) else None
        seen.add(command)
        if kmu_call(command, mode) not in calls:
            (used if command in excused else wrong).append(command)
    assert wrong == []
    assert set(used) == excused               # no excuse is left without a use
    # the four the three old tables disagreed on are among those the pages decide
    assert {"findSingleKey", "genDSAKeyPair", "unWrapKey", "aesWrapUnwrap"} <= seen
    assert {"findSingleKey": "Cfm3FindKey", "genDSAKeyPair": "Cfm3GenerateKeyPair:",
            "unWrapKey": "Cfm3UnWrapKey", "aesWrapUnwrap": "Cfm3WrapHostKey"}.items() <= KMU_CALLS.items()
    assert kmu_call("aesWrapUnwrap", "unwrap") == "Cfm3UnWrapHostKey"


def test_every_kmu_text_uses_the_one_table():
    from hsmshell.render import classic  # noqa: F401 (classic_keys imports it back)
    from hsmshell.render import classic_keys, kmu_terminal, kmu_views
    assert classic_keys.OPERATIONS is KMU_CALLS or classic_keys.OPERATIONS.items() <= KMU_CALLS.items()
    for module in (kmu_views, kmu_terminal):
        assert not hasattr(module, "OPERATIONS"), module.__name__
    assert classic_keys.returned("findSingleKey").startswith("Cfm3FindKey returned")
    assert kmu_terminal.returned("findSingleKey").startswith("Cfm3FindKey returned")
    assert kmu_views.ok("findSingleKey").startswith("Cfm3FindKey returned")
