"""A secret never reaches the audit log or the history, however a line that carries it is
typed: for every secret-bearing argument of every command (SDK 3's CMU/KMU and SDK 5's
CloudHSM CLI), given by its flag, by its position, out of place, after a typo, with missing
or extra words. What the pipeline keeps of a line is the parsed invocation's text and history
text, or, when the line does not parse, redact_unparsed's text and the error (pipeline.py)."""

from __future__ import annotations

import pytest

from hsmshell.commands import command_table
from hsmshell.commands.spec import PHRASE_TOOL
from hsmshell.errors import HsmshellError
from hsmshell.parse.binder import parse_line, redact_unparsed

SECRET = "Zq9sEcr3tXy"
TABLE = command_table()


def plausible(arg) -> str:
    """A value the argument's converter takes, so a line can parse up to the secret."""
    if arg.choices:
        return arg.choices[0]
    return {"user_type": "CU", "int": "1", "int_list": "1", "flag": ""}.get(arg.kind, "alice")


def variants(spec, arg) -> list[str]:
    name, lines = spec.name, []
    if spec.tool == PHRASE_TOOL:
        flag = arg.flags[0]
        required = " ".join(f"{a.flags[0]} {plausible(a)}" for a in spec.args
                            if a.required and not a.secret and not a.is_switch and a.flags)
        lines += [f"{name} {flag} {SECRET}", f"{name} {flag}={SECRET}", f"{name} {required} {flag} {SECRET}",
                  f"{name} {flag} {SECRET} {required}", f"{name} {flag} {SECRET} --no-such-option 1",
                  f"{name} {SECRET}", f"{name} --typo {SECRET}", f"{name} {required} {SECRET}",
                  f"{name} {flag}", f"{name} {flag} {flag} {SECRET}"]
        return lines
    for flag in arg.flags:
        lines += [f"{name} {flag} {SECRET}", f"{name} {flag} {SECRET} extra words", f"{name} -zz {flag} {SECRET}",
                  f"{name} {flag} {SECRET} {flag} {SECRET}"]
    lines += [f"{name} {SECRET}", f"{name} -hpswd {SECRET}", f"{name} {SECRET} -hpswd"]
    if arg.position is not None:
        before = [plausible(a) for a in spec.positional if a.position < arg.position]
        lines += [" ".join([name, *before, SECRET]), " ".join([name, *before, SECRET, "extra"]),
                  " ".join([name, "-zz", *before, SECRET]), " ".join([name, *["x"] * len(before), SECRET])]
        if arg.required:
            # a word left out: the secret lands in another argument's place. (An optional secret
            # after optional words, signToken's passphrase, then reads as a valid line naming a
            # file: no parser can tell; that case is the user's typo, not a redaction gap.)
            lines.append(" ".join([name, *before[1:], SECRET]))
    return lines


CASES = [(spec, arg) for spec in TABLE for arg in spec.args if arg.secret]


def kept(line: str) -> list[str]:
    try:
        invocation = parse_line(line, TABLE)
    except HsmshellError as error:
        _, text = redact_unparsed(line, TABLE)
        return [text, error.message, error.hint or "", repr(error.detail)]
    return [invocation.text, invocation.history_text, repr(invocation.args)]


def test_every_secret_argument_is_covered():
    tools = {spec.tool for spec, _ in CASES}
    assert PHRASE_TOOL in tools and tools - {PHRASE_TOOL}          # SDK 5 and SDK 3 both
    assert len(CASES) >= 10


@pytest.mark.parametrize("spec, arg", CASES, ids=lambda v: getattr(v, "name", ""))
def test_no_way_of_typing_a_secret_lets_it_through(spec, arg):
    for line in variants(spec, arg):
        leaked = [text for text in kept(line) if SECRET in text]
        assert not leaked, (line, leaked)


def test_through_the_pipeline_no_secret_reaches_the_audit_log_or_the_history(harness):
    lines = [line for spec, arg in CASES for line in variants(spec, arg)]
    for line in lines:
        outcome, _ = harness.run(line)
        assert SECRET not in (outcome.history_text or ""), line
    harness.close()
    logs = list(harness.home.rglob("audit.log"))
    assert logs and all(SECRET.encode() not in p.read_bytes() for p in logs)
    records = logs[0].read_bytes().count(b"\n")
    assert records >= len(lines)                                 # every attempt is in it
