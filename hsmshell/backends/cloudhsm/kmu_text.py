"""Reading key_mgmt_util's text (AWS's key_mgmt_util pages): `Cfm3... returned:` lines,
the Cluster Error Status block, created handles, findKey, getKeyInfo and attribute files."""

from __future__ import annotations

import re

from hsmshell.backends.cloudhsm.cmu_text import Server, lines
from hsmshell.backends.cloudhsm.text_errors import error_from_code
from hsmshell.backends.result import ServerStatus
from hsmshell.record import field, record

RETURNED = re.compile(r"^\s*(Cfm\w+)(?:\(\))?:? returned:? (?:0x)?([0-9a-fA-F]+)(?: ?: ?(.*))?$")
NODE = re.compile(r"^\s*Node id (\d+) (?:and err state|status:) 0x([0-9a-fA-F]+) : ?(.*)$")
KEY_HANDLE = re.compile(r"Key Handle: (\d+)")
PAIR = re.compile(r"public key handle: (\d+)\s+private key handle: (\d+)")
TOTAL = re.compile(r"Total number of keys present:? (\d+)")
NUMBERS = re.compile(r"^\s*\d+(?:\s*,\s*\d+)*\s*,?\s*$")
OWNER = re.compile(r"Owned by user (\d+)")
SHARED = re.compile(r"shared to following (\d+) user")
QUORUM = re.compile(r"(\d+) Users need to approve")


@record
class Reply:
    """One KMU command's answer: its main return code and text, and the per-node status."""
    code: int = 0
    text: str = ""
    nodes: list[ServerStatus] = field(default_factory=list)
    body: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.code == 0

    def error(self, command: str):
        return error_from_code(self.code, f"{command} failed: {self.text}")


def reply(text: str, servers: dict[int, Server]) -> Reply:
    """The first failing `returned` line wins (else the first); nodes from the status block."""
    found, body = Reply(), lines(text)
    found.body = body
    seen_return = False
    for index, line in enumerate(body):
        if m := RETURNED.match(line):
            code = int(m.group(2), 16)
            message = (m.group(3) or "").strip() or _next_text(body, index)
            if not seen_return or (found.code == 0 and code != 0):
                found.code, found.text, seen_return = code, message, True
        elif m := NODE.match(line):
            number, code, message = int(m.group(1)), int(m.group(2), 16), m.group(3).strip()
            server = servers.get(number) or Server(number, "", "")
            found.nodes.append(server.status(error_from_code(code, message) if code else None))
    if not seen_return and not any(l.startswith("Attributes dumped into") for l in body):
        # (a one-attribute getAttribute -out prints no `returned` line, as AWS's pages show)
        found.code, found.text = 0xFF, next((l.strip() for l in body if l.strip()), "no answer")
    return found


def _next_text(body: list[str], index: int) -> str:
    return next((l.strip() for l in body[index + 1:] if l.strip()), "")


def created_handle(body: list[str]) -> int | None:
    for line in body:
        if m := KEY_HANDLE.search(line):
            return int(m.group(1))
    return None


def created_pair(body: list[str]) -> tuple[int, int] | None:
    for line in body:
        if m := PAIR.search(line):
            return int(m.group(1)), int(m.group(2))
    return None


def found_keys(body: list[str]) -> tuple[int, list[int]]:
    """findKey: (total number of keys, the matching handles)."""
    total, handles = 0, []
    for index, line in enumerate(body):
        if m := TOTAL.search(line):
            total = int(m.group(1))
        elif "number of keys matched" in line.lower() or "number of matching keys" in line.lower():
            # the handles follow, after a `Handles of matching keys:` line in newer builds
            following = [l for l in body[index + 1:index + 4] if l.strip() and not l.strip().endswith(":")]
            if following and NUMBERS.match(following[0]):
                handles = [int(h) for h in re.findall(r"\d+", following[0])]
    return total, handles


def key_info(body: list[str]) -> dict:
    """getKeyInfo: owner, users it is shared with (one a line, or a comma list), quorum value;
    `session` only where the text says it (CMU's `Session Key,`; KMU does not print it)."""
    info = {"session": any("Session Key" in l for l in body), "owner": None, "shared_with": [],
            "m_value": 0}
    for index, line in enumerate(body):
        if m := OWNER.search(line):
            info["owner"] = int(m.group(1))
        elif SHARED.search(line):
            for following in body[index + 1:]:
                if following.strip() and not NUMBERS.match(following):
                    break
                info["shared_with"] += [int(h) for h in re.findall(r"\d+", following)]
        elif m := QUORUM.search(line):
            info["m_value"] = int(m.group(1))
    return info


def attribute_file(text: str) -> list[tuple[str, str]]:
    """getAttribute -out: alternating lines, the attribute's name then its value."""
    rows = text.split("\n")
    pairs = []
    for index in range(len(rows) - 1):       # (an -a 512 file starts with a blank line)
        if rows[index].startswith("OBJ_ATTR_"):
            pairs.append((rows[index].strip(), rows[index + 1].rstrip("\r")))
    return pairs
