"""Turn a line into tokens: shell-like quoting, with the limits an HSM console expects.

Lines are ASCII (CloudHSM names, labels and paths are), at most MAX_LINE characters, with no
control characters; anything else is a one-line `parse-error` that says where.
"""

from __future__ import annotations

import re

from hsmshell.errors import ParseError

MAX_LINE = 4096
_NEEDS_SHLEX = re.compile(r"[\"'\\]")
_PLAIN_TOKEN = re.compile(r"[A-Za-z0-9_\-./:@,=+]+")   # shown without quotes


def check_text(text: str) -> None:
    if len(text) > MAX_LINE:
        raise ParseError(f"line too long: {len(text)} characters (at most {MAX_LINE})")
    if text.isascii() and text.replace("\t", " ").isprintable():
        return                      # the common case, checked in C; the loop below says where
    for column, char in enumerate(text, start=1):
        if char == "\t":
            continue
        if ord(char) < 32 or ord(char) == 127:
            raise ParseError(f"control character {ord(char):#04x} at column {column}",
                             hint="remove it; commands are plain text")
        if ord(char) > 126:
            raise ParseError(f"non-ASCII character {char.encode('unicode_escape').decode()!s} at column {column}",
                             hint="names, labels and paths must be ASCII")


def strip_comment(text: str) -> str:
    """The line without its `# comment`: a `#` that starts a word outside quotes ends the line,
    as in a shell (so README examples with trailing comments run as typed). A `#` inside a
    word (`pass#1`) or quoted (`'#1'`) is kept."""
    if "#" not in text:
        return text
    quote, escaped = None, False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or text[index - 1] in " \t"):
            return text[:index].rstrip()
    return text


def tokenize(text: str) -> list[str]:
    check_text(text)
    text = strip_comment(text)
    if not _NEEDS_SHLEX.search(text):
        return text.split()         # no quotes or escapes: shlex would split on blanks too
    import shlex            # only for quotes or escapes: kept off every start's import path
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError as exc:   # shlex says "No closing quotation" / "No escaped character"
        raise ParseError(f"cannot split the line: {str(exc).lower()}",
                         hint="close the quote, or escape it with a backslash") from None


def split_statements(text: str) -> list[str]:
    """Split `A; B` at semicolons that are outside quotes (for -c and the REPL); a `# comment`
    runs to the end of the line, semicolons included."""
    text = strip_comment(text)
    statements, current, quote, escaped = [], [], None, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and quote != "'":
            current.append(char)
            escaped = True
        elif quote:
            current.append(char)
            if char == quote:
                quote = None
        elif char in "'\"":
            current.append(char)
            quote = char
        elif char == ";":
            statements.append("".join(current))
            current = []
        else:
            current.append(char)
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip()]


def quote(token: str) -> str:
    """A word as a command text shows it: quoted only when it needs to be."""
    if _PLAIN_TOKEN.fullmatch(token):
        return token
    return "'" + token.replace("'", "'\"'\"'") + "'"
