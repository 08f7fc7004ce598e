"""Golden tests against the example sessions of AWS's CMU and KMU command reference pages.

A test holds a page's example session verbatim (with the page's URL), types the commands the
page shows into `hsmshell emulate cmu|kmu`, and compares the screen with the page after
`masked()`, the one place that says what may differ between the page and hsmshell:

- values the emulated cluster chooses itself: key handles after `Key Handle:` (numbered in
  order of appearance), the handles and ids the test pairs in `Values` (on typed lines and
  in lists of handles only, so a count that equals a handle stays), IPs and HSM ids
  (numbered in order of appearance on each side; the blanks that pad an IP's column count as one, since IPs differ
  in length), key handles, user ids the test maps explicitly, serial numbers,
  firmware versions, memory and temperature figures, timestamps and key bytes (hex dumps, KCVs, hashes);
- the order of a `Cluster Error Status` block's `Node id` lines (KMU lists the nodes as
  they answer: the pages show every order);
- figures computed from key bytes (`got all attributes of size N`, `BER encoded key length
  is N`, a wrapped key's length), and in a -a 512 file the value under `OBJ_ATTR_MODULUS`
  (an RSA modulus or an EC point: key bytes);
- trailing blanks (the pages carry stray ones) and the blank after a prompt (`aws-cloudhsm>
  listUsers` and `aws-cloudhsm>listUsers` both appear: that blank is what was typed);
- the blanks before a prompt, and an indentation's width by level: the pages
  render the same line with 6, 7 or 8 spaces (or a tab), so a line is compared as not
  indented, indented by one blank (findKey's ` number of keys matched`), by a tab stop, or deeper.

Where a page contradicts the majority of the pages (a copy-paste slip such as a third server
called `server 1`), the test corrects the page with `fixed()`, naming the correction.
"""

from __future__ import annotations

import io
import re
import sys
import textwrap

BASE_URL = "https://docs.aws.amazon.com/cloudhsm/latest/userguide/"

PROMPTS = re.compile(r"^(aws-cloudhsm ?>|server ?\d* ?>|Command:)[ \t]*(.*)$")
QUESTIONS = re.compile(r"^(Do you want to continue\(y/n\)\?|Retry/Ignore/Abort\?\(R/I/A\):"
                       r"|Retry/rollBack/Ignore\?\(R/B/I\):|Enter the boolean attribute value \(0 or 1\):)"
                       r"(.*)$")
IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b( +)?")
HSM_ID = re.compile(r"\bhsm-[a-z0-9]{11}\b")
HEX_ROW = re.compile(r"^(?:[0-9A-Fa-f]{2} ){3,}[0-9A-Fa-f]{2}$")
HASH = re.compile(r"\b[0-9a-f]{64}\b")
KCV = re.compile(r"^0x[0-9a-f]{6}$")
SERIAL = re.compile(r"(Serial Number\s+:).*")
MEMORY = re.compile(r"((?:Total|Free)(?:Public|Private)Memory\s+:)\d+")
TEMPERATURE = re.compile(r"(Temperature\s+:)\d+ C")
NUMBER_LIST = re.compile(r"^\d+(?:\([os]\))?(?:, ?\d+(?:\([os]\))?)*$")
HANDLE_CONTEXT = re.compile(r"((?:Key Handle|key handle|Public Key Handle):\s*)(\d+)")
FIGURES = re.compile(r"(got all attributes of size |BER encoded key length is |Wrapped Key written to file .* length )\d+")
FIRMWARE = re.compile(r"^(\s*Firmware (?:Major|Minor|ID)\s+:).*")
UNECHOED = "\x00"          # an answer the terminal did not show (see `typed_lines`)


def unechoed(text: str) -> str:
    """A line typed where the terminal does not show it (a password)."""
    return UNECHOED + text


def url(page: str) -> str:
    return BASE_URL + page + ".html"


def fixed(page_text: str, *corrections: tuple[str, str]) -> str:
    """The page with named corrections (old, new); each must apply, so a test cannot drift."""
    for old, new in corrections:
        assert old in page_text, f"correction does not apply: {old!r}"
        page_text = page_text.replace(old, new)
    return page_text


def typed_lines(page_text: str) -> list[str]:
    """What the user typed in a page's session: the commands after the prompts and the
    answers after the questions. A question followed on the same line by the tool's next
    output (`Do you want to continue(y/n)?Invalid option, ...`) was answered with a line the
    terminal did not show."""
    typed = []
    for line in textwrap.dedent(page_text).splitlines():
        line = line.strip()
        match = PROMPTS.match(line) or QUESTIONS.match(line)
        if match is None:
            continue
        answer = match.group(2)
        if match.re is QUESTIONS and answer.strip().startswith("Invalid option"):
            answer = UNECHOED
        if match.re is PROMPTS and not answer.strip():
            continue                      # the prompt the session ends on
        typed.append(answer)
    return typed


def masked(text: str, values: dict[str, str] | None = None) -> str:
    """The screen text with what may differ replaced (module docstring). `values` maps the
    page's handles and ids to placeholders; apply the same map made from the emulator's own
    values to the screen."""
    lines = text.expandtabs(8).strip("\n").splitlines()
    out = []
    ips: dict[str, str] = {}
    hsms: dict[str, str] = {}
    handles: dict[str, str] = {}
    for line in lines:
        line = line.rstrip()
        match = PROMPTS.match(line.lstrip())
        if match:
            prompt = re.sub(r"\s+", "", match.group(1))
            line = f"{prompt} {match.group(2)}".rstrip() if prompt == "Command:" else prompt + match.group(2)
        if match or NUMBER_LIST.match(line.strip()):      # handles and ids typed or listed
            for old, new in (values or {}).items():
                line = re.sub(rf"(?<![\w.]){re.escape(old)}(?![\w.])", new, line)
        line = HANDLE_CONTEXT.sub(lambda m: m.group(1) + handles.setdefault(m.group(2), f"<h{len(handles)}>"),
                                  line)
        line = IP.sub(lambda m: ips.setdefault(m.group(0).rstrip(), f"<ip{len(ips)}>") + (" " if m.group(1) else ""),
                      line)
        line = HSM_ID.sub(lambda m: hsms.setdefault(m.group(0), f"<hsm{len(hsms)}>"), line)
        line = HASH.sub("<hash>", line)
        line = SERIAL.sub(r"\1<serial>", line)
        line = MEMORY.sub(r"\1<n>", line)
        line = TEMPERATURE.sub(r"\1<n> C", line)
        line = FIRMWARE.sub(r"\1<firmware>", line)
        line = FIGURES.sub(r"\1<n>", line)
        if HEX_ROW.match(line.strip()):
            if out and out[-1] == "<hex rows>":
                continue                       # a dump of key bytes: its length is theirs too
            line = "<hex rows>"
        if KCV.match(line.strip()):
            line = "<kcv>"
        if out and out[-1] == "OBJ_ATTR_MODULUS" and line.strip():
            line = "<key bytes>"
        width = len(line) - len(line.lstrip())
        level = "" if width == 0 else " " if width <= 2 else "\t" if width <= 11 else "\t\t"
        out.append(level + line.lstrip() if line.strip() else "")
    return "\n".join(_nodes_sorted(out))


def _nodes_sorted(lines: list[str]) -> list[str]:
    """KMU lists a cluster's nodes as they answer: a run of `Node id` lines compares as a set."""
    out, run = [], []
    for line in lines + [""]:
        if line.lstrip().startswith("Node id "):
            run.append(line)
            continue
        out += sorted(run)
        run = []
        out.append(line)
    return out[:-1]


class TypedInput(io.StringIO):
    """stdin as the terminal shows it: each line read is echoed to the screen (an UNECHOED
    answer is read as an empty line and not shown). Records where the session starts."""

    def __init__(self, setup: list[str], session: list[str], screen: io.StringIO, values=None):
        lines = [*setup, *session]
        self.values = values
        super().__init__("".join(line.replace(UNECHOED, "") + "\n" for line in lines))
        self.echo = [UNECHOED not in line for line in lines]
        self.first = len(setup)
        self.read_count = 0
        self.screen = screen
        self.session_start = 0
        self.session_end = 0

    def readline(self, *args) -> str:
        if self.read_count == self.first:
            text = self.screen.getvalue()
            self.session_start = text.rfind("\n") + 1     # the prompt before the first command
        line = super().readline(*args)
        if line and self.values is not None and self.read_count >= self.first:
            line = self.values.learn(self.screen.getvalue()[self.session_start:]).rewrite(line)
        if line:
            if self.echo[self.read_count]:
                self.screen.write(line)
            self.read_count += 1
        elif not self.session_end:
            self.session_end = len(self.screen.getvalue())   # the prompt input ended at
            if self.values is not None:
                self.values.learn(self.screen.getvalue()[self.session_start:])
        return line


def run_tool(monkeypatch, home, tool: str, session: list[str], setup: list[str] = (),
             words: tuple[str, ...] = (), from_start: bool = False, values=None) -> str:
    """Run `hsmshell emulate <tool>` on `home`; type `setup` then `session`; return the
    screen from the prompt of the session's first line to the prompt where input ended
    (what the tool prints when it meets the end of its input is not part of a page)."""
    from hsmshell.cli import main
    screen = io.StringIO()
    stdin = TypedInput(list(setup), list(session), screen, values)
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(sys, "stdout", screen)
    main(["--home", str(home), "emulate", tool, *words])
    return screen.getvalue()[0 if from_start else stdin.session_start:stdin.session_end or None]


def assert_session(screen: str, page_text: str, values_screen=None, values_page=None) -> None:
    """The screen equals the page, after masked(); the prompt the screen ends on counts only
    when the page shows it too."""
    expected = masked(page_text, values_page)
    actual = masked(screen, values_screen)
    last = actual.rsplit("\n", 1)[-1]
    bare = PROMPTS.match(last)
    if bare and not bare.group(2) and expected.rsplit("\n", 1)[-1] != last:
        actual = actual[:len(actual) - len(last)].rstrip("\n")
    assert actual == expected, "\n--- page ---\n" + expected + "\n--- emulated ---\n" + actual


class Values:
    """The page's handles and ids and the emulator's, paired: commands are typed with the
    emulator's, and both screens mask each pair to the same placeholder."""

    def __init__(self, **pairs):
        self.pairs: list[tuple[str, str]] = []
        for page, actual in pairs.items():
            self.add(page.lstrip("_"), actual)

    def add(self, page, actual) -> "Values":
        self.pairs.append((str(page), str(actual)))
        return self

    def typed(self, lines: list[str]) -> list[str]:
        return [self.rewrite(line) for line in lines]

    def rewrite(self, line: str) -> str:
        for page, actual in self.pairs:
            line = re.sub(rf"(?<![\w.]){re.escape(page)}(?![\w.])", actual, line)
        return line

    def created(self, *page_handles) -> "Values":
        """Handles the session itself creates, in the order the page creates them: each is
        paired with the emulator's as its `Key Handle:` line appears (before the next line
        is typed)."""
        self.pending = [str(h) for h in page_handles]
        return self

    def learn(self, screen: str) -> "Values":
        made = [h for pair in CREATED.findall(screen) for h in pair if h]
        known = {page for page, _ in self.pairs}
        for page, actual in zip(getattr(self, "pending", []), made):
            if page not in known:
                self.add(page, actual)
        return self

    @property
    def page(self) -> dict[str, str]:
        return {page: f"<v{i}>" for i, (page, _) in enumerate(self.pairs)}

    @property
    def screen(self) -> dict[str, str]:
        return {actual: f"<v{i}>" for i, (_, actual) in enumerate(self.pairs)}


CREATED = re.compile(r"Key Handle: (\d+)|public key handle: (\d+)\s+private key handle: (\d+)")
HANDLE_LINE = re.compile(r"(?:Key Handle|key handle): (\d+)")


def kmu_handles(monkeypatch, home, lines: list[str]) -> list[int]:
    """Run KMU lines (setup) and return the key handles they created, in order."""
    screen = run_tool(monkeypatch, home, "kmu", list(lines))
    return [int(h) for h in HANDLE_LINE.findall(screen)]
