"""The README's examples as steps a test can run, and a terminal that runs them as a person would.

Every fenced block in README.md must have a marker on the line before it, so a new section
(pkcs11, CloudHSM CLI, KMS, ...) joins the test by saying what its block is:

    <!-- readme-test: session -->        lines to type: `$ cmd` (or a bare line) in the system
                                         shell, `cluster:who> cmd` at hsmshell's prompt (after a
                                         `$ ./scripts/hsmshell` or `$ hsmshell` that starts it),
                                         `# ...` comment lines; `\\` continues a shell line
    <!-- readme-test: file NAME -->      the block is the content of the file NAME (made in the
                                         working directory before the next block runs)
    <!-- readme-test: skip REASON -->    not run (a synopsis, output); the reason is required
    <!-- readme-test: session needs TOOL ... -->  a session that needs these programs (SoftHSM2's
                                         softhsm2-util ...): skipped, with a warning that says so,
                                         where one is missing (scripts/test installs them as root)

A trailing `# exit N` comment says the command exits with N (else 0 is expected); at the
shell's prompt, a trailing `# refused...` or `# exit N` says it prints an error (else it must
not). Hidden prompts are answered: a password with the password of the user the command
names (`$<USER>_PW` if an `export` line set it, else `<user>-Passw0rd`), a pass phrase with
CA_PASSPHRASE, `(y/n)?` with y, `Retry/Ignore/Abort?(R/I/A)` with A (abort, as the README says).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

MARKER = re.compile(r"^<!--\s*readme-test:\s*(?P<kind>[a-z]+)\s*(?P<arg>.*?)\s*-->\s*$")
FENCE = re.compile(r"^```")
REPL_LINE = re.compile(r"^(?P<prompt>[A-Za-z0-9_.-]+:[^>]*?> )(?P<text>.*)$")
EXIT_COMMENT = re.compile(r"^exit (\d+)\b")
CA_PASSPHRASE = "Ca-pass-phrase-1"
KINDS = ("session", "file", "skip")


@dataclass
class Step:
    line: int                 # README line number, for messages
    kind: str                 # shell | repl | file
    text: str                 # as typed (comments included: the shells must ignore them)
    expect_status: int = 0    # shell steps
    expect_error: bool = False   # repl steps
    content: str = ""         # file steps
    needs: tuple = ()         # programs the block needs (`session needs TOOL ...`)

    @property
    def where(self) -> str:
        return f"README.md:{self.line}: {self.text}"


class ReadmeError(ValueError):
    pass


def blocks(markdown: str) -> list[tuple[int, str, str, list[tuple[int, str]]]]:
    """(line of the fence, kind, argument, [(line, text), ...]) for every fenced block."""
    found, lines = [], markdown.splitlines()
    index = 0
    while index < len(lines):
        if not FENCE.match(lines[index]):
            index += 1
            continue
        start = index
        previous = next((lines[i] for i in range(start - 1, -1, -1) if lines[i].strip()), "")
        marker = MARKER.match(previous.strip())
        index += 1
        body = []
        while index < len(lines) and not FENCE.match(lines[index]):
            body.append((index + 1, lines[index]))
            index += 1
        if index >= len(lines):
            raise ReadmeError(f"README.md:{start + 1}: a fenced block is not closed")
        index += 1
        if marker is None or marker["kind"] not in KINDS:
            raise ReadmeError(f"README.md:{start + 1}: a fenced block without a "
                              "`<!-- readme-test: session|file NAME|skip REASON -->` line before it")
        if marker["kind"] in ("file", "skip") and not marker["arg"]:
            raise ReadmeError(f"README.md:{start + 1}: `readme-test: {marker['kind']}` needs "
                              f"{'a file name' if marker['kind'] == 'file' else 'a reason'}")
        found.append((start + 1, marker["kind"], marker["arg"], body))
    return found


def steps(markdown: str) -> list[Step]:
    out: list[Step] = []
    for start, kind, arg, body in blocks(markdown):
        if kind == "skip":
            continue
        if kind == "file":
            out.append(Step(start, "file", arg, content="".join(t + "\n" for _, t in body)))
            continue
        needs = tuple(arg.split()[1:]) if arg.startswith("needs ") else ()
        first = len(out)
        pending: tuple[int, str] | None = None
        for number, raw in body:
            if pending is not None:                     # a `\` continuation
                text = pending[1][:-1].rstrip() + " " + raw.strip()
                if text.endswith("\\"):
                    pending = (pending[0], text)
                    continue
                out.append(_shell(pending[0], text))
                pending = None
                continue
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            repl = REPL_LINE.match(line)
            if repl:
                text = repl["text"]
                comment = _comment(text)
                out.append(Step(number, "repl", text, expect_error=comment.startswith("refused")
                                or bool(EXIT_COMMENT.search(comment))))
                continue
            text = line[2:] if line.startswith("$ ") else line
            if text.endswith("\\"):
                pending = (number, text)
                continue
            out.append(_shell(number, text))
        if pending is not None:
            raise ReadmeError(f"README.md:{pending[0]}: the last line ends with a continuation")
        for step in out[first:]:
            step.needs = needs
    return out


def _shell(number: int, text: str) -> Step:
    match = EXIT_COMMENT.search(_comment(text))
    return Step(number, "shell", text, expect_status=int(match.group(1)) if match else 0)


def _comment(text: str) -> str:
    """The trailing comment of a line: from a `#` that starts a word outside quotes."""
    quote = None
    for index, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or text[index - 1].isspace()):
            return text[index + 1:].strip()
    return ""


def exported(text: str) -> dict[str, str]:
    """NAME=VALUE pairs of an `export` line (values as the shell would see them, unexpanded)."""
    try:
        words = shlex.split(text, comments=True)
    except ValueError:
        return {}
    if not words or words[0] != "export":
        return {}
    return dict(w.split("=", 1) for w in words[1:] if "=" in w)


def named_user(command: str) -> str | None:
    """The HSM user a command that may ask for a password names: `credentials set NAME`, or
    the user of the first statement that says -hpswd (`changePswd CO admin -hpswd`)."""
    words = command.split()
    if "credentials" in words and "set" in words:
        return words[words.index("set") + 1]
    for statement in re.split(r"[;'\"]", command):
        parts = statement.split()
        if "-hpswd" in parts and len(parts) >= 3:
            return parts[2]
    return None
