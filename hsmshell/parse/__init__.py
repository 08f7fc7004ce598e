"""parse: text -> Invocation. Pure: no I/O, no prompts (secrets are resolved later)."""

from hsmshell.parse.binder import Invocation, parse_line
from hsmshell.parse.lexer import split_statements, tokenize
from hsmshell.parse.secrets import SecretRef

__all__ = ["Invocation", "SecretRef", "parse_line", "split_statements", "tokenize"]
