"""How a secret argument was given. Parsing records the reference; the pipeline resolves it
after the policy allowed the command, so a refused command never prompts or reads a file."""

from __future__ import annotations

from hsmshell.record import record


PROMPT_TOKEN = "-hpswd"


@record(frozen=True)
class SecretRef:
    source: str          # "literal", "prompt", "env", "file", "keyring"
    ref: str = ""        # variable name, path or keyring entry; empty for literal/prompt
    literal: str = ""    # only for source == "literal"

    def __repr__(self) -> str:           # never show a literal, even in a traceback
        return f"SecretRef({self.source!r}, {self.ref!r})"

    __str__ = __repr__

    @property
    def display(self) -> str:
        """What the redacted command text shows in place of the secret."""
        if self.source == "literal":
            return "********"
        if self.source == "prompt":
            return PROMPT_TOKEN
        if self.source == "keyring":
            return "@keyring" + (f":{self.ref}" if self.ref else "")
        return f"@{self.source}:{self.ref}"

    @property
    def history_text(self) -> str:
        """What the REPL history keeps: a literal becomes -hpswd, so recalling it asks again."""
        return PROMPT_TOKEN if self.source == "literal" else self.display


def secret_from_token(token: str) -> SecretRef:
    if token == PROMPT_TOKEN:
        return SecretRef("prompt")
    if token.startswith("@env:") and len(token) > 5:
        return SecretRef("env", token[5:])
    if token.startswith("@file:") and len(token) > 6:
        return SecretRef("file", token[6:])
    if token == "@keyring":
        return SecretRef("keyring")
    if token.startswith("@keyring:") and len(token) > 9:
        return SecretRef("keyring", token[9:])
    return SecretRef("literal", literal=token)
