"""Argument converters, by `Arg.kind`. Each takes the token and returns the typed value or
raises InvalidArgument naming the argument."""

from __future__ import annotations

from typing import Callable

from hsmshell.commands.spec import Arg
from hsmshell.errors import InvalidArgument
from hsmshell.model.users import USER_NAME_RE, USER_TYPES

MAX_INT = 2**63 - 1


def _int(arg: Arg, token: str) -> int:
    try:
        value = int(token, 0) if token.lower().startswith("0x") else int(token)
    except ValueError:
        raise InvalidArgument(f"{arg.name} must be a whole number, not '{_short(token)}'") from None
    if not 0 <= value <= MAX_INT:
        raise InvalidArgument(f"{arg.name} must be between 0 and {MAX_INT}")
    return value


def _int_list(arg: Arg, token: str) -> tuple[int, ...]:
    parts = [p for p in token.split(",") if p.strip()]
    if not parts:
        raise InvalidArgument(f"{arg.name} must be a comma-separated list of numbers")
    return tuple(_int(arg, p.strip()) for p in parts)


def _user_type(arg: Arg, token: str) -> str:
    if token in USER_TYPES:
        return USER_TYPES[token]
    exact = {k.upper(): k for k in USER_TYPES}
    hint = f"user types are case-sensitive: did you mean {exact[token.upper()]}?" \
        if token.upper() in exact else "user types: CO, CU, PRECO, PCO, AU"
    raise InvalidArgument(f"invalid user type '{_short(token)}'", hint=hint)


def _user_name(arg: Arg, token: str) -> str:
    if not USER_NAME_RE.match(token):
        if len(token) > 31:
            raise InvalidArgument(f"user name is {len(token)} characters long (at most 31)")
        raise InvalidArgument(f"invalid user name '{_short(token)}'",
                              hint="use letters, digits and _ only (at most 31 characters)")
    return token


def _choice(arg: Arg, token: str) -> str:
    for choice in arg.choices:
        if token.lower() == choice.lower():
            return choice
    raise InvalidArgument(f"{arg.name} must be one of {', '.join(arg.choices)}, not '{_short(token)}'")


def _text(arg: Arg, token: str) -> str:
    return token


def _quorum_service(arg: Arg, token: str) -> int:
    from hsmshell.model.quorum import parse_service
    return int(parse_service(token))


def _token_ids(arg: Arg, token: str) -> tuple[int, ...] | str:
    """delToken's ids: `all`, or token ids separated by commas (`1,2,5`)."""
    if token.lower() == "all":
        return "all"
    return _int_list(arg, token)


def _sdk5_user_name(arg: Arg, token: str) -> str:
    """CloudHSM CLI shows user names in lowercase (they are not case-sensitive)."""
    return _user_name(arg, token).lower()


def _filter_term(arg: Arg, token: str):
    from hsmshell.model.sdk5 import parse_filter_term
    return parse_filter_term(token)


def _attribute_setting(arg: Arg, token: str) -> tuple[str, str]:
    from hsmshell.model.sdk5 import parse_attribute_setting
    return parse_attribute_setting(token)


CONVERTERS: dict[str, Callable[[Arg, str], object]] = {
    "str": _text,
    "path": _text,
    "int": _int,
    "int_list": _int_list,
    "user_type": _user_type,
    "user_name": _user_name,
    "choice": _choice,
    "quorum_service": _quorum_service,
    "token_ids": _token_ids,
    # CloudHSM CLI (parse/nounverb.py): the last three take one or more words each
    "sdk5_user_name": _sdk5_user_name,
    "filter": _filter_term,
    "attributes": _attribute_setting,
    "sdk5_user_names": _sdk5_user_name,
}
MULTI_WORD_KINDS = frozenset({"filter", "attributes", "sdk5_user_names"})


def convert(arg: Arg, token: str) -> object:
    return CONVERTERS[arg.kind](arg, token)


def _short(token: str, limit: int = 32) -> str:
    return token if len(token) <= limit else token[: limit - 3] + "..."
